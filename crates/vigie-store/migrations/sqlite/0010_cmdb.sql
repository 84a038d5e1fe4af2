-- The configuration management database: configuration items (CIs) of an
-- entity, their identifiers (unique per tenant and kind, so events, mails
-- and imports name one item only) and their typed, directed relations.
-- History lives in audit_log (record_type 'ci' and 'ci_relation').

CREATE TABLE cis (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id),
    entity_id       BIGINT  NOT NULL REFERENCES entities (id),
    entity_path     TEXT    NOT NULL,
    type            TEXT    NOT NULL,      -- site | room | rack | power_feed | …
    name            TEXT    NOT NULL,
    status          TEXT    NOT NULL,      -- planned | in_service | under_maintenance | retired
    criticality     TEXT    NOT NULL,      -- low | medium | high | critical
    owner_group_id  BIGINT  REFERENCES support_groups (id),
    attributes      TEXT    NOT NULL DEFAULT '{}',   -- JSON object of strings
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    CONSTRAINT cis_name_key UNIQUE (tenant_id, name)
);
CREATE INDEX cis_entity ON cis (tenant_id, entity_path);
CREATE INDEX cis_type ON cis (tenant_id, type, id);

CREATE TABLE ci_identifiers (
    id         INTEGER PRIMARY KEY,
    tenant_id  BIGINT  NOT NULL REFERENCES tenants (id),
    ci_id      BIGINT  NOT NULL REFERENCES cis (id),
    kind       TEXT    NOT NULL,           -- hostname | alias | ip | serial | external_id
    value      TEXT    NOT NULL,           -- normalised by the core
    CONSTRAINT ci_identifiers_value_key UNIQUE (tenant_id, kind, value)
);
CREATE INDEX ci_identifiers_ci ON ci_identifiers (ci_id);

CREATE TABLE ci_relations (
    id                INTEGER PRIMARY KEY,
    tenant_id         BIGINT  NOT NULL REFERENCES tenants (id),
    from_id           BIGINT  NOT NULL REFERENCES cis (id),
    to_id             BIGINT  NOT NULL REFERENCES cis (id),
    type              TEXT    NOT NULL,    -- located_in | powered_by | …
    redundancy_group  TEXT,                -- relations of one item sharing a group: N of M
    redundancy_needs  BIGINT,
    created_at        BIGINT  NOT NULL,
    CONSTRAINT ci_relations_key UNIQUE (from_id, to_id, type)
);
CREATE INDEX ci_relations_tenant ON ci_relations (tenant_id, type);
CREATE INDEX ci_relations_to ON ci_relations (to_id);
