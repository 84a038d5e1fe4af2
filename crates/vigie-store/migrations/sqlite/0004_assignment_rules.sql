-- Assignment rules: where new tickets go, tried by position. An empty
-- condition matches anything; the entity condition covers its subtree.

CREATE TABLE assignment_rules (
    id           INTEGER PRIMARY KEY,
    tenant_id    BIGINT  NOT NULL REFERENCES tenants (id),
    position     BIGINT  NOT NULL,
    category_id  BIGINT  REFERENCES categories (id),
    service_ref  TEXT,
    entity_id    BIGINT  REFERENCES entities (id),
    channel      TEXT,
    ticket_type  TEXT,
    group_id     BIGINT  NOT NULL REFERENCES support_groups (id),
    created_at   BIGINT  NOT NULL
);
CREATE INDEX assignment_rules_tenant ON assignment_rules (tenant_id, position);
