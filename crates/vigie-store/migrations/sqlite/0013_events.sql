-- Event management: the keys monitoring tools authenticate with, every
-- accepted event (appended; a retried delivery finds its event_key taken and
-- stores nothing), one alert per fingerprint (the deduplicated state), the
-- alert groups correlation builds, the tenant's classification rules and
-- its maintenance windows.

CREATE TABLE integration_keys (
    id            INTEGER PRIMARY KEY,
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    entity_id     BIGINT  NOT NULL REFERENCES entities (id),   -- where its incidents open
    requester_id  BIGINT  NOT NULL REFERENCES users (id),      -- the tenant's monitoring account
    source        TEXT    NOT NULL,                            -- alertmanager, zabbix, centreon…
    prefix        TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT,
    CONSTRAINT integration_keys_secret_hash_key UNIQUE (secret_hash)
);
CREATE INDEX integration_keys_tenant ON integration_keys (tenant_id, id);

-- pending = 1 until the processor has applied the event.
-- The delivery key is unique with the event's time in front: events arrive
-- roughly in time order, so new keys land at the end of the index instead
-- of on a random page (a random page per row made every commit rewrite
-- thousands of pages).
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    tenant_id    BIGINT  NOT NULL,
    key_id       BIGINT  NOT NULL,
    event_key    TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    resource     TEXT    NOT NULL,
    check_name   TEXT    NOT NULL,
    severity     TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    summary      TEXT    NOT NULL,
    payload      TEXT    NOT NULL,      -- JSON: labels, details, dedup_key
    occurred_at  BIGINT  NOT NULL,
    received_at  BIGINT  NOT NULL,
    clamped      INTEGER NOT NULL DEFAULT 0,
    pending      INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT events_key UNIQUE (tenant_id, occurred_at, event_key)
);
CREATE INDEX events_pending ON events (id) WHERE pending = 1;
-- The events of an alert, once processed: indexing them at ingestion
-- would put every row on a random page (by fingerprint); the processor
-- adds them when it marks them done, and the few still pending are found
-- through events_pending.
CREATE INDEX events_alert ON events (tenant_id, fingerprint, id) WHERE pending = 0;

CREATE TABLE alert_groups (
    id                INTEGER PRIMARY KEY,
    tenant_id         BIGINT  NOT NULL REFERENCES tenants (id),
    root_ci_id        BIGINT,
    root_fingerprint  TEXT,
    title             TEXT    NOT NULL,
    state             TEXT    NOT NULL,      -- open | acknowledged | resolved
    severity          TEXT    NOT NULL,      -- the worst seen
    incident_id       BIGINT  REFERENCES tickets (id),
    event_count       BIGINT  NOT NULL DEFAULT 0,
    opened_at         BIGINT  NOT NULL,
    last_event_at     BIGINT  NOT NULL,
    acknowledged_at   BIGINT,
    acknowledged_by   TEXT,
    resolved_at       BIGINT,
    merged_into       BIGINT                     -- the group it was merged into
);
CREATE INDEX alert_groups_tenant ON alert_groups (tenant_id, state, id);

CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY,
    tenant_id      BIGINT  NOT NULL REFERENCES tenants (id),
    fingerprint    TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    resource       TEXT    NOT NULL,
    check_name     TEXT    NOT NULL,
    summary        TEXT    NOT NULL,
    severity       TEXT    NOT NULL,
    last_action    TEXT    NOT NULL,
    class          TEXT    NOT NULL,
    ci_id          BIGINT,
    group_id       BIGINT  REFERENCES alert_groups (id),
    count          BIGINT  NOT NULL,
    first_seen     BIGINT  NOT NULL,
    last_seen      BIGINT  NOT NULL,
    flapping       INTEGER NOT NULL DEFAULT 0,
    flap_changes   TEXT    NOT NULL DEFAULT '[]',   -- JSON: micros of recent state changes
    updated_at     BIGINT  NOT NULL,
    CONSTRAINT alerts_fingerprint_key UNIQUE (tenant_id, fingerprint)
);
CREATE INDEX alerts_group ON alerts (group_id);

CREATE TABLE event_rules (
    tenant_id   BIGINT PRIMARY KEY REFERENCES tenants (id),
    rules       TEXT   NOT NULL,                -- JSON array of classification rules
    updated_at  BIGINT NOT NULL
);

CREATE TABLE maintenance_windows (
    id                INTEGER PRIMARY KEY,
    tenant_id         BIGINT  NOT NULL REFERENCES tenants (id),
    name              TEXT    NOT NULL,
    starts_at         BIGINT  NOT NULL,
    ends_at           BIGINT  NOT NULL,
    ci_ids            TEXT,                      -- comma-separated; NULL: the whole tenant
    include_children  INTEGER NOT NULL DEFAULT 1,
    created_at        BIGINT  NOT NULL
);
CREATE INDEX maintenance_windows_tenant ON maintenance_windows (tenant_id, ends_at);
