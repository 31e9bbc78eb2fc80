-- +goose Up

-- Seats over time (SPEC §1). A line may carry a scheduled lower quantity
-- and the time it takes effect; an order a scheduled cancellation and the
-- end of its billing period. A line may be elastic: it grows a seat for a
-- user when none is free, up to max_quantity, and its release setting says
-- whether a seat freed on it is retired at once or at the period end.
-- A provider that sends line schedules in events of their own (Stripe's
-- subscription schedules) orders them by schedule_event_at.
ALTER TABLE orders
    ADD COLUMN cancel_at          timestamptz,
    ADD COLUMN current_period_end timestamptz,
    ADD COLUMN schedule_event_at  timestamptz;

ALTER TABLE order_lines
    ADD COLUMN scheduled_quantity int,
    ADD COLUMN scheduled_at       timestamptz,
    ADD COLUMN elastic            boolean NOT NULL DEFAULT false,
    ADD COLUMN max_quantity       int,
    ADD COLUMN release            text    NOT NULL DEFAULT 'immediate',
    -- Live seats marked pending_removal, kept by the seat counter triggers.
    ADD COLUMN pending_removals   int     NOT NULL DEFAULT 0,
    -- Whether the line last reported seat.pool_exhausted (true) or
    -- seat.pool_available (false), so each transition is reported once.
    ADD COLUMN exhausted          boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT order_lines_schedule CHECK ((scheduled_quantity IS NULL) = (scheduled_at IS NULL) AND scheduled_quantity >= 0),
    ADD CONSTRAINT order_lines_max_quantity CHECK (max_quantity IS NULL OR (elastic AND max_quantity >= 0)),
    ADD CONSTRAINT order_lines_release CHECK (release IN ('immediate', 'period_end')),
    ADD CONSTRAINT order_lines_pending_removals CHECK (pending_removals >= 0 AND pending_removals <= live);

-- The seats that a scheduled change (or an elastic line's release at the
-- period end) will retire; the mark stays with the seat, whoever holds it.
ALTER TABLE seats ADD COLUMN pending_removal boolean NOT NULL DEFAULT false;

-- Found by line without scanning the pool: clearing or moving marks.
CREATE INDEX seats_pending_removal ON seats (line_id, id) WHERE retired_at IS NULL AND pending_removal;
-- What falls due: the scheduler's safety-net sweep reads only these.
CREATE INDEX order_lines_scheduled_at ON order_lines (scheduled_at) WHERE scheduled_at IS NOT NULL;
CREATE INDEX orders_cancel_at ON orders (cancel_at) WHERE cancel_at IS NOT NULL AND status = 'active';

-- The counter triggers of 00006, now also counting pending removals.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION seats_counters_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_lines l
    SET live = l.live + d.live, assigned = l.assigned + d.assigned, invited = l.invited + d.invited,
        pending_removals = l.pending_removals + d.pending
    FROM (SELECT line_id, count(*) AS live,
                 count(*) FILTER (WHERE status = 'assigned') AS assigned,
                 count(*) FILTER (WHERE status = 'invited') AS invited,
                 count(*) FILTER (WHERE pending_removal) AS pending
          FROM new_seats WHERE retired_at IS NULL GROUP BY line_id) d
    WHERE l.id = d.line_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION seats_counters_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_lines l
    SET live = l.live + d.live, assigned = l.assigned + d.assigned, invited = l.invited + d.invited,
        pending_removals = l.pending_removals + d.pending
    FROM (SELECT line_id, sum(live) AS live, sum(assigned) AS assigned, sum(invited) AS invited, sum(pending) AS pending
          FROM (SELECT line_id, 1 AS live, (status = 'assigned')::int AS assigned, (status = 'invited')::int AS invited,
                       pending_removal::int AS pending
                FROM new_seats WHERE retired_at IS NULL
                UNION ALL
                SELECT line_id, -1, -(status = 'assigned')::int, -(status = 'invited')::int, -(pending_removal::int)
                FROM old_seats WHERE retired_at IS NULL) c
          GROUP BY line_id) d
    WHERE l.id = d.line_id AND (d.live, d.assigned, d.invited, d.pending) <> (0, 0, 0, 0);
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION seats_counters_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_lines l
    SET live = l.live - d.live, assigned = l.assigned - d.assigned, invited = l.invited - d.invited,
        pending_removals = l.pending_removals - d.pending
    FROM (SELECT line_id, count(*) AS live,
                 count(*) FILTER (WHERE status = 'assigned') AS assigned,
                 count(*) FILTER (WHERE status = 'invited') AS invited,
                 count(*) FILTER (WHERE pending_removal) AS pending
          FROM old_seats WHERE retired_at IS NULL GROUP BY line_id) d
    WHERE l.id = d.line_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- The 00006 counter functions, without pending removals.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION seats_counters_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_lines l
    SET live = l.live + d.live, assigned = l.assigned + d.assigned, invited = l.invited + d.invited
    FROM (SELECT line_id, count(*) AS live,
                 count(*) FILTER (WHERE status = 'assigned') AS assigned,
                 count(*) FILTER (WHERE status = 'invited') AS invited
          FROM new_seats WHERE retired_at IS NULL GROUP BY line_id) d
    WHERE l.id = d.line_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION seats_counters_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_lines l
    SET live = l.live + d.live, assigned = l.assigned + d.assigned, invited = l.invited + d.invited
    FROM (SELECT line_id, sum(live) AS live, sum(assigned) AS assigned, sum(invited) AS invited
          FROM (SELECT line_id, 1 AS live, (status = 'assigned')::int AS assigned, (status = 'invited')::int AS invited
                FROM new_seats WHERE retired_at IS NULL
                UNION ALL
                SELECT line_id, -1, -(status = 'assigned')::int, -(status = 'invited')::int
                FROM old_seats WHERE retired_at IS NULL) c
          GROUP BY line_id) d
    WHERE l.id = d.line_id AND (d.live, d.assigned, d.invited) <> (0, 0, 0);
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION seats_counters_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_lines l
    SET live = l.live - d.live, assigned = l.assigned - d.assigned, invited = l.invited - d.invited
    FROM (SELECT line_id, count(*) AS live,
                 count(*) FILTER (WHERE status = 'assigned') AS assigned,
                 count(*) FILTER (WHERE status = 'invited') AS invited
          FROM old_seats WHERE retired_at IS NULL GROUP BY line_id) d
    WHERE l.id = d.line_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

DROP INDEX orders_cancel_at;
DROP INDEX order_lines_scheduled_at;
DROP INDEX seats_pending_removal;
ALTER TABLE seats DROP COLUMN pending_removal;
ALTER TABLE order_lines
    DROP COLUMN scheduled_quantity, DROP COLUMN scheduled_at, DROP COLUMN elastic, DROP COLUMN max_quantity,
    DROP COLUMN release, DROP COLUMN pending_removals, DROP COLUMN exhausted;
ALTER TABLE orders DROP COLUMN cancel_at, DROP COLUMN current_period_end, DROP COLUMN schedule_event_at;
