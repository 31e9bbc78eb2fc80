-- +goose Up

-- Scheduled reductions (issue 14, part "schedule").
-- Free seats are handed out unmarked first: a seat marked pending_removal
-- goes to a user only when no unmarked one is free. The index serves
-- FreeSeats' order (unmarked first, then oldest) without a sort.
CREATE INDEX seats_free_unmarked ON seats (line_id, pending_removal, created_at, id)
    WHERE retired_at IS NULL AND status = 'unassigned';
DROP INDEX seats_free;

-- The schedule (and the order's cancel_at) that the line last reported in
-- seat.pool_updated, so that a schedule set, changed or cleared is
-- reported once, whatever event or request changed it.
ALTER TABLE order_lines
    ADD COLUMN reported_scheduled_quantity int,
    ADD COLUMN reported_scheduled_at       timestamptz,
    ADD COLUMN reported_cancel_at          timestamptz;

-- +goose Down
ALTER TABLE order_lines
    DROP COLUMN reported_scheduled_quantity, DROP COLUMN reported_scheduled_at, DROP COLUMN reported_cancel_at;
DROP INDEX seats_free_unmarked;
CREATE INDEX seats_free ON seats (line_id, created_at, id) WHERE retired_at IS NULL AND status = 'unassigned';
