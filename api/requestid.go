package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"

	"github.com/gin-gonic/gin"
)

// RequestIDHeader carries a request's id, in both directions.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLength bounds an id taken from a caller: it lands in every
// log line of the request.
const maxRequestIDLength = 128

type requestIDKey struct{}

// RequestID gives every request an id, answers it in X-Request-Id and puts
// it in the request's context, where RequestIDFrom and the logger made by
// WithRequestIDs find it. A caller's own id is kept when it is sane, so that
// a request can be followed from the caller's logs into ours; anything else
// is replaced, so that no caller can inject text into our logs. It is meant
// to be mounted once, on the whole server, so that every answer has an id.
func RequestID(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if !saneRequestID(id) {
		id = newRequestID()
	}
	c.Header(RequestIDHeader, id)
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestIDKey{}, id))
	c.Next()
}

// RequestIDFrom returns the id RequestID gave the request of ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// saneRequestID admits 1 to 128 characters of [A-Za-z0-9._:-]: enough for
// UUIDs, hex and most tracing ids, and nothing that needs escaping.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9',
			b == '.', b == '_', b == ':', b == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID makes 128 random bits, as hex.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	return hex.EncodeToString(b)
}

// WithRequestIDs wraps h so that every record logged with a request's
// context (log.InfoContext(ctx, …)) carries that request's request_id. It
// is done in the handler rather than by each caller so that code far from
// HTTP (the receiver, the engine) need not know about request ids.
func WithRequestIDs(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestIDFrom(ctx); id != "" {
		// A copy, so that the attribute never lands in a record another
		// handler shares.
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
