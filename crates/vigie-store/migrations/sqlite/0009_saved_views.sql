-- Saved views of the ticket queues: a user names a filter (the queue's
-- query string, kept in canonical form) to find it again among his tabs.
-- Views are personal: only their owner lists, uses or deletes them.

CREATE TABLE saved_views (
    id          INTEGER PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    user_id     BIGINT  NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL,
    query       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT saved_views_name_key UNIQUE (user_id, name)
);
