-- +goose Up

-- The elastic lines whose seats freed with release "period_end" wait to be
-- retired at their order's current_period_end: what the scheduler's sweep
-- reads (storage.DueSchedules), only those lines.
CREATE INDEX order_lines_release_due ON order_lines (order_id)
    WHERE elastic AND release = 'period_end' AND pending_removals > 0;

-- +goose Down
DROP INDEX order_lines_release_due;
