-- +goose Up

-- The last outbound event sequence number of each line: subscribers use it
-- to drop out-of-order deliveries.
ALTER TABLE order_lines ADD COLUMN sequence bigint NOT NULL DEFAULT 0;

-- One billable slot of one line. Retired seats stay, for history, and are
-- never reused: a seat belongs to its line for life.
CREATE TABLE seats (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    line_id        uuid        NOT NULL REFERENCES order_lines (id),
    status         text        NOT NULL DEFAULT 'unassigned'
                   CHECK (status IN ('unassigned', 'assigned', 'invited')),
    user_id        uuid        REFERENCES users (id),
    invited_email  text,
    occupied_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    retired_at     timestamptz,
    retired_reason text,
    CHECK ((status = 'assigned') = (user_id IS NOT NULL)),
    CHECK (retired_at IS NULL OR status = 'unassigned')
);
CREATE INDEX seats_live ON seats (line_id, created_at, id) WHERE retired_at IS NULL;
-- Rule 2, enforced by Postgres whatever the workers do: a user holds at
-- most one live seat per line.
CREATE UNIQUE INDEX seats_one_per_user_per_line ON seats (line_id, user_id)
    WHERE user_id IS NOT NULL AND retired_at IS NULL;
CREATE INDEX seats_user ON seats (user_id) WHERE user_id IS NOT NULL;

-- Who held which seat, from when, until when, and why it ended.
CREATE TABLE assignments (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seat_id    uuid        NOT NULL REFERENCES seats (id),
    line_id    uuid        NOT NULL REFERENCES order_lines (id),
    user_id    uuid        NOT NULL REFERENCES users (id),
    source     text        NOT NULL CHECK (source IN ('manual', 'auto')),
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    end_reason text
);
CREATE UNIQUE INDEX assignments_live_seat ON assignments (seat_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX assignments_live_user_line ON assignments (line_id, user_id) WHERE ended_at IS NULL;

-- Automatic assignment: a customer's identity group (or, with a NULL group,
-- every active user) is entitled to a seat of a product.
CREATE TABLE auto_assign (
    customer_id uuid        NOT NULL REFERENCES customers (id),
    product_id  text        NOT NULL,
    group_name  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, product_id)
);

-- Entitled users for whom no seat was free, first come first served.
CREATE TABLE waiting_list (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id uuid        NOT NULL REFERENCES customers (id),
    product_id  text        NOT NULL,
    user_id     uuid        NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, product_id, user_id)
);

-- The transactional outbox: one row per change of occupancy, written in
-- the same transaction as the change; delivery reads it.
CREATE TABLE outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  uuid        NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    event_type  text        NOT NULL,
    customer_id uuid        NOT NULL REFERENCES customers (id),
    line_id     uuid        REFERENCES order_lines (id),
    sequence    bigint,
    body        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX outbox_line_sequence ON outbox (line_id, sequence) WHERE line_id IS NOT NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE waiting_list;
DROP TABLE auto_assign;
DROP TABLE assignments;
DROP TABLE seats;
ALTER TABLE order_lines DROP COLUMN sequence;
