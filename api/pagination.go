package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// List limits (SPEC §4).
const (
	defaultLimit = 50
	maxLimit     = 200
)

// page is a list request's window: at most Limit items after the cursor.
type page struct {
	Limit int
	After string // "": from the start
}

// parsePage reads ?limit= and ?after=. Whether After names an item of the
// list is for the handler to check, against its own storage.
func parsePage(c *gin.Context) (page, error) {
	p := page{Limit: defaultLimit, After: c.Query("after")}
	if raw, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxLimit {
			return page{}, invalidParameter("limit", fmt.Sprintf("limit must be an integer from 1 to %d", maxLimit))
		}
		p.Limit = n
	}
	if _, ok := c.GetQuery("after"); ok && p.After == "" {
		return page{}, invalidParameter("after", "after must be a cursor from a previous page's meta.pagination.next")
	}
	return p, nil
}

// fetch is how many items to ask storage for: one more than the page holds,
// to learn whether another page follows without counting.
func (p page) fetch() int { return p.Limit + 1 }

// invalidParameter answers 400 naming the query parameter at fault.
func invalidParameter(name, message string) error {
	return &detailedError{
		apiError: &apiError{http.StatusBadRequest, "invalid_parameter", message},
		details:  map[string]any{"parameter": name},
	}
}

type paginationJSON struct {
	HasMore bool    `json:"has_more"`
	Next    *string `json:"next"`
}

type metaJSON struct {
	Pagination paginationJSON `json:"pagination"`
}

// listJSON is the envelope of every list answer.
type listJSON[T any] struct {
	Data []T      `json:"data"`
	Meta metaJSON `json:"meta"`
}

// paginate trims rows, fetched with p.fetch(), to the page and builds the
// envelope. next is the cursor of the last item returned, set only when
// another page follows.
func paginate[R, T any](p page, rows []R, cursor func(R) string, toJSON func(R) T) listJSON[T] {
	hasMore := len(rows) > p.Limit
	if hasMore {
		rows = rows[:p.Limit]
	}
	out := listJSON[T]{Data: make([]T, 0, len(rows)), Meta: metaJSON{Pagination: paginationJSON{HasMore: hasMore}}}
	for _, r := range rows {
		out.Data = append(out.Data, toJSON(r))
	}
	if hasMore {
		next := cursor(rows[len(rows)-1])
		out.Meta.Pagination.Next = &next
	}
	return out
}
