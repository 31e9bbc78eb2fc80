package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// IdempotencyKeyHeader lets a client retry a POST without doing it twice.
const IdempotencyKeyHeader = "Idempotency-Key"

const (
	maxIdempotencyKeyLength = 255
	// idempotencyLock is how long a request holds its key. Handlers answer
	// in milliseconds; a key still locked after this belongs to a request
	// that died, and a retry may take it over.
	idempotencyLock = time.Minute
	// idempotencyTTL is how long a key is remembered.
	idempotencyTTL = 24 * time.Hour
	// expiredKeysPerClaim is how many expired keys each new key deletes:
	// more than one, so the table shrinks faster than it grows, and few
	// enough that the delete stays a short index scan.
	expiredKeysPerClaim = 20
)

var (
	errIdempotencyKeyInUse = &apiError{http.StatusConflict, "idempotency_key_in_use",
		"a request with this Idempotency-Key is still running; retry once it has answered"}
	errIdempotencyKeyReused = &apiError{http.StatusConflict, "idempotency_key_reused",
		"this Idempotency-Key was used with another request (method, path or body); use a new key for a new request"}
)

// idempotent makes a POST with an Idempotency-Key run at most once per API
// key: the first request runs and its answer is stored; a repeat with the
// same method, path and body gets that answer again; a repeat with anything
// else is refused. A 5xx answer is not stored, so that a retry runs again.
// It runs after authenticate and limitRate.
func (a *API) idempotent(c *gin.Context) {
	values := c.Request.Header.Values(IdempotencyKeyHeader)
	if c.Request.Method != http.MethodPost || len(values) == 0 {
		c.Next()
		return
	}
	if err := checkIdempotencyKey(values); err != nil {
		a.fail(c, err)
		return
	}
	// Up to the largest body any route takes (a batch); each handler then
	// holds the body to its own limit.
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBatchBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		a.fail(c, &apiError{http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the request body is over the limit of %d bytes", maxBatchBody)})
		return
	}
	if err != nil {
		a.fail(c, &apiError{http.StatusBadRequest, "malformed_json", "the request body could not be read: " + err.Error()})
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))

	ctx := c.Request.Context()
	apiKeyID := c.MustGet(apiKeyContextKey).(storage.APIKey).ID
	key := storage.IdempotencyClaim{
		APIKeyID: apiKeyID, Key: values[0], RequestHash: requestHash(c.Request.Method, c.Request.URL.Path, body),
		LockFor: idempotencyLock, TTL: idempotencyTTL,
	}
	claim, err := a.db.ClaimIdempotencyKey(ctx, key)
	switch {
	case errors.Is(err, storage.ErrConflict):
		a.fail(c, errIdempotencyKeyInUse)
		return
	case err != nil:
		a.fail(c, err)
		return
	case !claim.Owned:
		a.answerClaimed(c, claim, key.RequestHash)
		return
	}
	a.runClaimed(c, key, claim)
}

// answerClaimed answers a request whose key another request holds.
func (a *API) answerClaimed(c *gin.Context, claim storage.IdempotencyKey, hash []byte) {
	switch {
	case !bytes.Equal(claim.RequestHash, hash):
		a.fail(c, errIdempotencyKeyReused)
	case claim.ResponseStatus == nil:
		a.fail(c, errIdempotencyKeyInUse)
	default:
		c.Header("Idempotent-Replayed", "true")
		if len(claim.ResponseBody) == 0 {
			c.AbortWithStatus(*claim.ResponseStatus)
			return
		}
		c.Data(*claim.ResponseStatus, "application/json; charset=utf-8", claim.ResponseBody)
		c.Abort()
	}
}

// runClaimed runs the request under the key it holds and stores its
// answer, or releases the key when there is no answer worth replaying.
func (a *API) runClaimed(c *gin.Context, key storage.IdempotencyClaim, claim storage.IdempotencyKey) {
	// The writes below must happen even when the client hung up.
	ctx := context.WithoutCancel(c.Request.Context())
	if _, err := a.db.DeleteExpiredIdempotencyKeys(ctx, idempotencyTTL, expiredKeysPerClaim); err != nil {
		a.log.WarnContext(ctx, "delete expired idempotency keys", "error", err)
	}
	rec := &recorder{ResponseWriter: c.Writer}
	c.Writer = rec
	answered := false
	defer func() {
		// A panicking handler leaves no answer to store: free the key now
		// rather than when its lock runs out.
		if !answered {
			a.release(ctx, key, claim)
		}
	}()
	c.Next()
	answered = true
	if status := rec.Status(); status >= http.StatusInternalServerError {
		a.release(ctx, key, claim)
	} else if err := a.db.FinishIdempotencyKey(ctx, key.APIKeyID, key.Key, claim.LockedUntil, status, replayBody(c, rec)); err != nil {
		a.log.ErrorContext(ctx, "store the answer of an idempotent request", "error", err)
	}
}

func (a *API) release(ctx context.Context, key storage.IdempotencyClaim, claim storage.IdempotencyKey) {
	if err := a.db.ReleaseIdempotencyKey(ctx, key.APIKeyID, key.Key, claim.LockedUntil); err != nil {
		a.log.ErrorContext(ctx, "release idempotency key", "error", err)
	}
}

// checkIdempotencyKey admits one key of 1 to 255 printable ASCII
// characters.
func checkIdempotencyKey(values []string) error {
	if len(values) > 1 {
		return invalidParameter(IdempotencyKeyHeader, "send one Idempotency-Key header, not several")
	}
	k := values[0]
	if k == "" || len(k) > maxIdempotencyKeyLength {
		return invalidParameter(IdempotencyKeyHeader,
			fmt.Sprintf("Idempotency-Key must be 1 to %d characters long", maxIdempotencyKeyLength))
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return invalidParameter(IdempotencyKeyHeader, "Idempotency-Key must be printable ASCII")
		}
	}
	return nil
}

// requestHash identifies a request by what it asks for. Each part is
// length-prefixed, so that no two different requests hash alike by moving
// bytes from one part into the next.
func requestHash(method, path string, body []byte) []byte {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(method), []byte(path), body} {
		_ = binary.Write(h, binary.BigEndian, uint64(len(part))) // a hash.Hash never fails to write
		h.Write(part)
	}
	return h.Sum(nil)
}

// recorder keeps a copy of the answer's body as it is written.
type recorder struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.body.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}

// replayAnswerKey holds the body a replay answers instead of the one the
// client got, for answers that carry a one-time secret.
const replayAnswerKey = "seatsync.replay_answer"

// replayWithout has a replay of this request answer v rather than the
// answer itself, for answers that show a secret once (an invitation
// token, an endpoint's signing secret): an idempotency record must not
// keep it in clear for a day. Handlers call it before answering; it does
// nothing without an Idempotency-Key.
func replayWithout(c *gin.Context, v any) {
	c.Set(replayAnswerKey, v)
}

// replayBody is what a replay of the request answers.
func replayBody(c *gin.Context, rec *recorder) []byte {
	v, ok := c.Get(replayAnswerKey)
	if !ok {
		return rec.body.Bytes()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil // an answer without a body beats one with the secret
	}
	return b
}
