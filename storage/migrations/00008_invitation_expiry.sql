-- +goose Up

-- The worker's sweep looks for open invitations past their expiry: only
-- open ones are indexed, so the index stays the size of what is pending.
CREATE INDEX invitations_open_expiry ON invitations (expires_at) WHERE ended_at IS NULL;

-- +goose Down
DROP INDEX invitations_open_expiry;
