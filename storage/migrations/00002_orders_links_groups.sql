-- +goose Up

-- Provider objects linked to a customer: a Stripe cus_…, a WorkOS org_…
-- Inbound provider events find their customer through this table.
CREATE TABLE customer_links (
    provider    text        NOT NULL,
    provider_id text        NOT NULL,
    customer_id uuid        NOT NULL REFERENCES customers (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, provider_id)
);
CREATE INDEX customer_links_customer ON customer_links (customer_id);

-- Orders are the source of truth for how many seats exist. The lines and
-- the status keep separate event times: order.canceled changes only the
-- status, and an older upsert that arrives after it still brings its lines.
CREATE TABLE orders (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    external_id      text        NOT NULL UNIQUE,
    customer_id      uuid        NOT NULL REFERENCES customers (id),
    status           text        NOT NULL DEFAULT 'active'
                     CHECK (status IN ('active', 'canceled')),
    applied_event_at timestamptz,
    status_event_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer ON orders (customer_id);

-- A line is kept when its product leaves the order (quantity 0): seats and
-- their history hang off it.
CREATE TABLE order_lines (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id   uuid        NOT NULL REFERENCES orders (id),
    product_id text        NOT NULL,
    quantity   integer     NOT NULL CHECK (quantity >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, product_id)
);

-- Group memberships carry their own event time, because identity providers
-- report them one change at a time and out of order. A row with
-- member = false remembers a removal, so an older addition stays stale.
CREATE TABLE user_groups (
    user_id          uuid        NOT NULL REFERENCES users (id),
    group_name       text        NOT NULL,
    member           boolean     NOT NULL,
    applied_event_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, group_name)
);

-- The time of the last full group list (user.upserted with groups): a
-- single membership change older than it is stale. The status keeps its own
-- event time too, because user.deactivated changes nothing else.
ALTER TABLE users ADD COLUMN groups_listed_at timestamptz;
ALTER TABLE users ADD COLUMN status_event_at timestamptz;
UPDATE users SET status_event_at = applied_event_at;

INSERT INTO user_groups (user_id, group_name, member, applied_event_at)
SELECT id, unnest(groups), true, COALESCE(applied_event_at, updated_at) FROM users;
UPDATE users SET groups_listed_at = applied_event_at;
ALTER TABLE users DROP COLUMN groups;

-- +goose Down
ALTER TABLE users ADD COLUMN groups text[] NOT NULL DEFAULT '{}';
UPDATE users u SET groups = ARRAY(
    SELECT group_name FROM user_groups g WHERE g.user_id = u.id AND g.member ORDER BY group_name);
ALTER TABLE users DROP COLUMN groups_listed_at;
ALTER TABLE users DROP COLUMN status_event_at;
DROP TABLE user_groups;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE customer_links;
