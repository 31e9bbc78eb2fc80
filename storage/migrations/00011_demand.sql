-- +goose Up

-- Seat usage counts the active users that automatic assignment entitles
-- to each product (issue 14, demand signals): the customer's active users,
-- read from the index alone, each probed for the mapped group by
-- user_groups' primary key.
CREATE INDEX users_active ON users (customer_id, id) WHERE status = 'active';

-- +goose Down
DROP INDEX users_active;
