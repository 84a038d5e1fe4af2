-- Service desk: categories, per-tenant ticket settings and counters,
-- tickets and their conversation. Field history lives in audit_log
-- (record_type 'ticket'), the one history model of every record.
-- Booleans are INTEGER 0/1 here and BOOLEAN on PostgreSQL.

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    parent_id   BIGINT  REFERENCES categories (id),
    name        TEXT    NOT NULL,
    applies_to  TEXT    NOT NULL,          -- incident | request | both
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE UNIQUE INDEX categories_sibling_name_key ON categories (tenant_id, COALESCE(parent_id, 0), name);

-- One row per tenant that changed the defaults.
CREATE TABLE ticket_settings (
    tenant_id     BIGINT  PRIMARY KEY REFERENCES tenants (id),
    matrix        TEXT    NOT NULL,        -- 16 priorities, impact-major, JSON
    reopen_hours  BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

-- Per-tenant sequences (ticket numbers).
CREATE TABLE counters (
    tenant_id  BIGINT  NOT NULL REFERENCES tenants (id),
    name       TEXT    NOT NULL,
    value      BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id),
    number          BIGINT  NOT NULL,
    entity_id       BIGINT  NOT NULL REFERENCES entities (id),
    entity_path     TEXT    NOT NULL,
    type            TEXT    NOT NULL,      -- incident | request
    title           TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    pending_reason  TEXT,
    requester_id    BIGINT  NOT NULL REFERENCES users (id),
    channel         TEXT    NOT NULL,
    category_id     BIGINT  REFERENCES categories (id),
    service_ref     TEXT,
    ci_refs         TEXT    NOT NULL DEFAULT '',
    impact          TEXT    NOT NULL,
    urgency         TEXT    NOT NULL,
    priority        TEXT    NOT NULL,
    priority_rank   BIGINT  NOT NULL,      -- 1 (P1) to 4 (P4), for sorting
    group_id        BIGINT  REFERENCES support_groups (id),
    assignee_id     BIGINT  REFERENCES users (id),
    solution        TEXT,
    solution_code   TEXT,
    resolved_at     BIGINT,
    closed_at       BIGINT,
    created_by      BIGINT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    CONSTRAINT tickets_number_key UNIQUE (tenant_id, number)
);
CREATE INDEX tickets_queue ON tickets (tenant_id, status, priority_rank, id);
-- The work order of open tickets (queries must repeat this predicate).
CREATE INDEX tickets_open_queue ON tickets (tenant_id, priority_rank, id)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id, status);
CREATE INDEX tickets_group ON tickets (tenant_id, group_id, status);
CREATE INDEX tickets_requester ON tickets (tenant_id, requester_id);
CREATE INDEX tickets_entity ON tickets (tenant_id, entity_path);
CREATE INDEX tickets_updated ON tickets (tenant_id, updated_at);

CREATE TABLE ticket_comments (
    id            INTEGER PRIMARY KEY,
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    ticket_id     BIGINT  NOT NULL REFERENCES tickets (id),
    author_id     BIGINT,
    author_label  TEXT    NOT NULL,
    public        INTEGER NOT NULL,        -- 1: reply seen by the requester; 0: internal note
    body          TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, id);
