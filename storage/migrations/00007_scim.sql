-- +goose Up

-- SCIM bearer tokens, one customer each. Like API keys, only the SHA-256 of
-- the token is stored: it carries 256 random bits.
CREATE TABLE scim_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id uuid        NOT NULL REFERENCES customers (id),
    name        text        NOT NULL DEFAULT '',
    prefix      text        NOT NULL,
    token_hash  bytea       NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX scim_tokens_customer ON scim_tokens (customer_id, created_at);

-- A SCIM user is a seatsync user of the same customer whose external id is
-- the SCIM id seatsync assigned. What the identity provider sent is kept as
-- the resource (without password, id and meta); the columns beside it are
-- what filters and uniqueness need. The foreign key is checked at commit,
-- so that the SCIM row can be written (and its userName found taken)
-- before the engine creates the user.
CREATE TABLE scim_users (
    id           text        PRIMARY KEY,
    customer_id  uuid        NOT NULL REFERENCES customers (id),
    user_name    text        NOT NULL,
    external_id  text,
    display_name text        NOT NULL DEFAULT '',
    emails       jsonb       NOT NULL DEFAULT '[]',
    resource     jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- DELETE deactivates the seatsync user and ends the SCIM resource: it is
    -- 404 from then on, and its userName is free again.
    deleted_at   timestamptz,
    UNIQUE (customer_id, id),
    FOREIGN KEY (customer_id, id) REFERENCES users (customer_id, external_id) DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX scim_users_user_name ON scim_users (customer_id, lower(user_name)) WHERE deleted_at IS NULL;
CREATE INDEX scim_users_external_id ON scim_users (customer_id, external_id) WHERE deleted_at IS NULL;
CREATE INDEX scim_users_listing ON scim_users (customer_id, created_at, id) WHERE deleted_at IS NULL;

-- A SCIM group is a seatsync group name: its members are members of the
-- group named by its displayName, so automatic assignment seats them.
CREATE TABLE scim_groups (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id  uuid        NOT NULL REFERENCES customers (id),
    display_name text        NOT NULL,
    external_id  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, id)
);
CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (customer_id, lower(display_name));

-- Members are SCIM users of the group's own customer: the composite keys
-- make a member of another customer impossible.
CREATE TABLE scim_group_members (
    group_id    uuid        NOT NULL,
    customer_id uuid        NOT NULL,
    user_id     text        NOT NULL,
    -- Members are answered in the order they joined, even when many join
    -- in one request.
    seq         bigint      GENERATED ALWAYS AS IDENTITY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (customer_id, group_id) REFERENCES scim_groups (customer_id, id) ON DELETE CASCADE,
    FOREIGN KEY (customer_id, user_id) REFERENCES scim_users (customer_id, id)
);
CREATE INDEX scim_group_members_user ON scim_group_members (customer_id, user_id);

-- +goose Down
DROP TABLE scim_group_members;
DROP TABLE scim_groups;
DROP TABLE scim_users;
DROP TABLE scim_tokens;
