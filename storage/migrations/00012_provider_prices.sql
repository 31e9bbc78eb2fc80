-- +goose Up

-- The product each provider price belongs to, recorded from the provider's
-- subscription events (Stripe items.data[].price), so that an event that
-- names only a price (a Stripe subscription schedule's phase items) finds
-- the order line it is about. A Stripe price never changes product or
-- usage type, so a row is written once and never updated. Metered prices
-- bill usage, not seats: they are recorded so that they are known to be no
-- line, rather than unknown.
CREATE TABLE provider_prices (
    provider   text        NOT NULL,
    price_id   text        NOT NULL,
    product_id text        NOT NULL,
    metered    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, price_id)
);

-- +goose Down
DROP TABLE provider_prices;
