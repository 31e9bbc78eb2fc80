-- +goose Up

-- Per-line counters of live seats, so that no rule has to count a pool's
-- rows: rule 1 reads live, assigned and invited here. Statement triggers
-- keep them in the transaction of every change to seats, whatever code
-- makes it; storage.InvariantViolations checks them against the rows.
ALTER TABLE order_lines
    ADD COLUMN live     int NOT NULL DEFAULT 0,
    ADD COLUMN assigned int NOT NULL DEFAULT 0,
    ADD COLUMN invited  int NOT NULL DEFAULT 0,
    ADD CONSTRAINT order_lines_counters CHECK (assigned >= 0 AND invited >= 0 AND assigned + invited <= live);

UPDATE order_lines l SET live = c.live, assigned = c.assigned, invited = c.invited
FROM (SELECT line_id, count(*) AS live,
             count(*) FILTER (WHERE status = 'assigned') AS assigned,
             count(*) FILTER (WHERE status = 'invited') AS invited
      FROM seats WHERE retired_at IS NULL GROUP BY line_id) c
WHERE c.line_id = l.id;

-- +goose StatementBegin
CREATE FUNCTION seats_counters_insert() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE FUNCTION seats_counters_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE FUNCTION seats_counters_delete() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER seats_counters_insert AFTER INSERT ON seats
    REFERENCING NEW TABLE AS new_seats FOR EACH STATEMENT EXECUTE FUNCTION seats_counters_insert();
CREATE TRIGGER seats_counters_update AFTER UPDATE ON seats
    REFERENCING OLD TABLE AS old_seats NEW TABLE AS new_seats FOR EACH STATEMENT EXECUTE FUNCTION seats_counters_update();
CREATE TRIGGER seats_counters_delete AFTER DELETE ON seats
    REFERENCING OLD TABLE AS old_seats FOR EACH STATEMENT EXECUTE FUNCTION seats_counters_delete();

-- The few rows a decision needs, found by index instead of a scan of the
-- pool: the oldest free seats (assignment, refill) and the newest (rule 6
-- retires those first), and the occupied seats in the order rule 6
-- retires them (invited, then assigned, most recently occupied first).
CREATE INDEX seats_free ON seats (line_id, created_at, id) WHERE retired_at IS NULL AND status = 'unassigned';
CREATE INDEX seats_occupied ON seats (line_id, status, occupied_at, id) WHERE retired_at IS NULL AND status <> 'unassigned';
-- The waiting list in FIFO order per product.
CREATE INDEX waiting_list_fifo ON waiting_list (customer_id, product_id, id);

-- +goose Down
DROP INDEX waiting_list_fifo;
DROP INDEX seats_occupied;
DROP INDEX seats_free;
DROP TRIGGER seats_counters_delete ON seats;
DROP TRIGGER seats_counters_update ON seats;
DROP TRIGGER seats_counters_insert ON seats;
DROP FUNCTION seats_counters_delete();
DROP FUNCTION seats_counters_update();
DROP FUNCTION seats_counters_insert();
ALTER TABLE order_lines DROP CONSTRAINT order_lines_counters,
    DROP COLUMN invited, DROP COLUMN assigned, DROP COLUMN live;
