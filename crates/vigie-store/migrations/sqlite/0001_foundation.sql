-- Foundation: tenants, the entity tree, users and their roles, support
-- Booleans are INTEGER 0/1 here and BOOLEAN on PostgreSQL; the store reads both.
-- groups, API tokens, web sessions, login attempts and the audit log.
-- Times are microseconds since the Unix epoch, UTC.

CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,          -- customer | provider | consortium | platform
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    CONSTRAINT tenants_slug_key UNIQUE (slug)
);

-- Entities form a tree per tenant; `path` is the materialised path (/1/4/9/).
CREATE TABLE entities (
    id          INTEGER PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    parent_id   BIGINT  REFERENCES entities (id),
    path        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,          -- group | region | site | establishment | department
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX entities_tenant_path ON entities (tenant_id, path);
CREATE UNIQUE INDEX entities_sibling_name_key ON entities (tenant_id, COALESCE(parent_id, 0), name);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id),
    entity_id       BIGINT  NOT NULL REFERENCES entities (id),
    login           TEXT    NOT NULL,
    display_name    TEXT    NOT NULL,
    email           TEXT,
    locale          TEXT,
    password_hash   TEXT,
    platform_admin  INTEGER NOT NULL DEFAULT 0,
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    CONSTRAINT users_login_key UNIQUE (login)
);
CREATE INDEX users_tenant_entity ON users (tenant_id, entity_id);

CREATE TABLE grants (
    id          INTEGER PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    user_id     BIGINT  NOT NULL REFERENCES users (id),
    entity_id   BIGINT  NOT NULL REFERENCES entities (id),
    role        TEXT    NOT NULL,
    recursive   INTEGER NOT NULL,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT grants_user_entity_role_key UNIQUE (user_id, entity_id, role)
);

CREATE TABLE support_groups (
    id           INTEGER PRIMARY KEY,
    tenant_id    BIGINT  NOT NULL REFERENCES tenants (id),
    entity_id    BIGINT  NOT NULL REFERENCES entities (id),
    name         TEXT    NOT NULL,
    level        BIGINT  NOT NULL,
    manager_id   BIGINT  REFERENCES users (id),
    email        TEXT,
    description  TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    CONSTRAINT support_groups_name_key UNIQUE (tenant_id, name)
);

CREATE TABLE group_members (
    group_id    BIGINT  NOT NULL REFERENCES support_groups (id) ON DELETE CASCADE,
    user_id     BIGINT  NOT NULL REFERENCES users (id),
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

-- API tokens: only a SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    user_id       BIGINT  NOT NULL REFERENCES users (id),
    name          TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT,
    CONSTRAINT api_tokens_secret_hash_key UNIQUE (secret_hash)
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Web sessions: only a SHA-256 of the cookie value is kept.
CREATE TABLE sessions (
    id_hash            TEXT    PRIMARY KEY,
    user_id            BIGINT  NOT NULL REFERENCES users (id),
    csrf_token         TEXT    NOT NULL,
    current_entity_id  BIGINT  REFERENCES entities (id),
    created_at         BIGINT  NOT NULL,
    expires_at         BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id         INTEGER PRIMARY KEY,
    login      TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    at         BIGINT  NOT NULL,
    success    INTEGER NOT NULL
);
CREATE INDEX login_attempts_login_at ON login_attempts (login, at);
CREATE INDEX login_attempts_address_at ON login_attempts (address, at);

-- Every write, in the transaction of the write.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY,
    tenant_id      BIGINT  REFERENCES tenants (id),
    entity_id      BIGINT,
    entity_path    TEXT,
    actor_user_id  BIGINT,
    actor_label    TEXT    NOT NULL,
    at             BIGINT  NOT NULL,
    action         TEXT    NOT NULL,
    record_type    TEXT    NOT NULL,
    record_id      BIGINT  NOT NULL,
    changes        TEXT    NOT NULL
);
CREATE INDEX audit_log_tenant_id ON audit_log (tenant_id, id);
CREATE INDEX audit_log_record ON audit_log (record_type, record_id);
