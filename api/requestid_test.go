package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

func TestSaneRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"uuid", "0b9f2c1e-6d7a-4c55-9a3e-2f1d8e7c6b5a", true},
		{"tracing style", "1-67891233:abc.def_ghi", true},
		{"one character", "x", true},
		{"longest", strings.Repeat("a", 128), true},
		{"empty", "", false},
		{"too long", strings.Repeat("a", 129), false},
		{"space", "a b", false},
		{"newline", "a\nb", false},
		{"quote", `a"b`, false},
		{"non-ASCII", "ключ", false},
	}
	for _, tt := range tests {
		if got := saneRequestID(tt.id); got != tt.want {
			t.Errorf("%s: saneRequestID(%q) = %v, want %v", tt.name, tt.id, got, tt.want)
		}
	}
}

// TestRequestIDReachesHeaderAndLog follows one id from the request to the
// answer and into a line logged with the request's context.
func TestRequestIDReachesHeaderAndLog(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(WithRequestIDs(slog.NewJSONHandler(&logs, nil))).With("component", "test")
	r := gin.New()
	r.Use(RequestID)
	r.GET("/x", func(c *gin.Context) {
		log.InfoContext(c.Request.Context(), "handled")
		c.String(http.StatusOK, RequestIDFrom(c.Request.Context()))
	})

	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"sane id kept", "trace-42", true},
		{"insane id replaced", "no spaces please", false},
		{"none sent", "", false},
	}
	for _, tt := range tests {
		logs.Reset()
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		if tt.sent != "" {
			req.Header.Set(RequestIDHeader, tt.sent)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		id := w.Header().Get(RequestIDHeader)
		if tt.kept && id != tt.sent || !tt.kept && (id == tt.sent || len(id) != 32) {
			t.Errorf("%s: answered id %q for %q", tt.name, id, tt.sent)
		}
		if w.Body.String() != id {
			t.Errorf("%s: handler saw id %q, header has %q", tt.name, w.Body.String(), id)
		}
		var line map[string]any
		if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line["request_id"] != id || line["component"] != "test" {
			t.Errorf("%s: log line %s (%v), want request_id %q", tt.name, logs.Bytes(), err, id)
		}
	}
}

func TestWithRequestIDsLeavesOtherLinesAlone(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := WithRequestIDs(slog.NewJSONHandler(&logs, nil))
	if WithRequestIDs(h) != h {
		t.Error("wrapping twice adds a second handler")
	}
	slog.New(h).Info("no request")
	if strings.Contains(logs.String(), "request_id") {
		t.Errorf("a line without a request has a request_id: %s", logs.String())
	}
}
