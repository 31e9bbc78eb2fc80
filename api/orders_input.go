package api

import (
	"fmt"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
)

// maxOrderLines bounds one order upsert. A line's quantity has the one
// limit every way in shares, webhooks.MaxQuantity: an order the API writes
// can be replayed as a canonical event, and the other way round.
const maxOrderLines = 100

// putOrderRequest: pointers tell an omitted field from a zero one, because
// an omitted lines list or quantity read as empty would retire seats.
type putOrderRequest struct {
	CustomerExternalID *string             `json:"customer_external_id"`
	Lines              *[]orderLineRequest `json:"lines"`
	Status             *string             `json:"status"`
	CancelAt           *time.Time          `json:"cancel_at"`
	CurrentPeriodEnd   *time.Time          `json:"current_period_end"`
}

type orderLineRequest struct {
	ProductID         *string    `json:"product_id"`
	Quantity          *int       `json:"quantity"`
	ScheduledQuantity *int       `json:"scheduled_quantity"`
	ScheduledAt       *time.Time `json:"scheduled_at"`
	Elastic           bool       `json:"elastic"`
	MaxQuantity       *int       `json:"max_quantity"`
	Release           string     `json:"release"`
}

// checkOrder validates an order upsert, naming the field at fault, and
// returns what the engine is to apply.
func checkOrder(externalID string, req putOrderRequest) (storage.OrderInput, error) {
	in := storage.OrderInput{ExternalID: externalID, Status: storage.OrderActive}
	if err := checkIDField("order", externalID); err != nil { // named as the URL names it, as checkParams does
		return in, err
	}
	if req.CustomerExternalID == nil {
		return in, invalidParameter("customer_external_id", "customer_external_id is required")
	}
	in.Customer.ExternalID = *req.CustomerExternalID
	if err := checkIDField("customer_external_id", in.Customer.ExternalID); err != nil {
		return in, err
	}
	if req.Status != nil {
		in.Status = *req.Status
	}
	if err := checkEnumField("status", in.Status, storage.OrderActive, storage.OrderCanceled); err != nil {
		return in, err
	}
	if req.Lines == nil {
		return in, invalidParameter("lines", "lines is required: it is the order's complete set of lines; send [] for an order without seats")
	}
	lines := *req.Lines
	if len(lines) > maxOrderLines {
		return in, invalidParameter("lines", fmt.Sprintf("lines has %d entries, the limit is %d", len(lines), maxOrderLines))
	}
	seen := make(map[string]int, len(lines))
	in.Lines = make([]storage.LineInput, 0, len(lines))
	for i, l := range lines {
		field := fmt.Sprintf("lines[%d].product_id", i)
		if l.ProductID == nil {
			return in, invalidParameter(field, field+" is required")
		}
		if err := checkIDField(field, *l.ProductID); err != nil {
			return in, err
		}
		if j, dup := seen[*l.ProductID]; dup {
			return in, invalidParameter(field, fmt.Sprintf("%s %q repeats lines[%d]; an order has one line per product",
				field, clipped(*l.ProductID), j))
		}
		seen[*l.ProductID] = i
		field = fmt.Sprintf("lines[%d].quantity", i)
		switch {
		case l.Quantity == nil:
			return in, invalidParameter(field, field+" is required; send 0 to drop the line's seats")
		case *l.Quantity < 0 || *l.Quantity > webhooks.MaxQuantity:
			return in, invalidParameter(field, fmt.Sprintf("%s must be an integer from 0 to %d, not %d", field, webhooks.MaxQuantity, *l.Quantity))
		}
		line := webhooks.OrderLine{ProductID: *l.ProductID, Quantity: *l.Quantity,
			ScheduledQuantity: l.ScheduledQuantity, ScheduledAt: l.ScheduledAt,
			Elastic: l.Elastic, MaxQuantity: l.MaxQuantity, Release: l.Release}
		if err := line.Check(req.CurrentPeriodEnd != nil); err != nil {
			field = fmt.Sprintf("lines[%d]", i)
			return in, invalidParameter(field, field+"."+err.Error())
		}
		in.Lines = append(in.Lines, storage.LineInput{ProductID: *l.ProductID, Quantity: *l.Quantity, LineSettings: storage.LineSettings{
			ScheduledQuantity: l.ScheduledQuantity, ScheduledAt: l.ScheduledAt,
			Elastic: l.Elastic, MaxQuantity: l.MaxQuantity, Release: l.Release,
		}})
	}
	in.CancelAt, in.CurrentPeriodEnd = req.CancelAt, req.CurrentPeriodEnd
	return in, nil
}
