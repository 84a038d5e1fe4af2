-- Change management: requests for change with the seven Rs, the items they
-- touch, their checklist, the votes of the CAB and ECAB, the boards, the
-- freeze periods, the tenant's change windows and standard-change
-- templates. A change's field history lives in audit_log (record_type
-- 'change'), the one history model of every record. Scheduled changes
-- open maintenance windows (events) and maintenance records
-- (availability); change_id says which change made them.
-- Booleans are INTEGER 0/1 here and BOOLEAN on PostgreSQL.

CREATE TABLE change_templates (
    id                   INTEGER PRIMARY KEY,
    tenant_id            BIGINT  NOT NULL REFERENCES tenants (id),
    name                 TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    implementation_plan  TEXT    NOT NULL,
    backout_plan         TEXT    NOT NULL,
    checklist            TEXT    NOT NULL DEFAULT '',   -- one item a line
    created_at           BIGINT  NOT NULL,
    CONSTRAINT change_templates_name_key UNIQUE (tenant_id, name)
);

CREATE TABLE changes (
    id                   INTEGER PRIMARY KEY,
    tenant_id            BIGINT  NOT NULL REFERENCES tenants (id),
    entity_id            BIGINT  NOT NULL REFERENCES entities (id),
    entity_path          TEXT    NOT NULL,
    number               BIGINT  NOT NULL,
    kind                 TEXT    NOT NULL,      -- standard | normal | emergency
    status               TEXT    NOT NULL,
    title                TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    raised_by            BIGINT  NOT NULL REFERENCES users (id),
    reason               TEXT    NOT NULL,
    expected_return      TEXT    NOT NULL,
    risks                TEXT    NOT NULL,
    resources            TEXT    NOT NULL,
    responsible_id       BIGINT  REFERENCES users (id),
    relationship         TEXT    NOT NULL,      -- how it relates to other changes (and change_links)
    likelihood           TEXT,
    impact_class         TEXT,
    risk                 TEXT,
    implementation_plan  TEXT    NOT NULL,
    backout_plan         TEXT    NOT NULL,
    backout_tested       INTEGER NOT NULL DEFAULT 0,
    template_id          BIGINT  REFERENCES change_templates (id),
    planned_start        BIGINT,
    planned_end          BIGINT,
    flags                TEXT    NOT NULL DEFAULT '[]',   -- JSON: the planned window's flags
    approval_round       BIGINT  NOT NULL DEFAULT 1,
    version              BIGINT  NOT NULL DEFAULT 0,   -- bumped by every write: optimistic concurrency
    review_success       INTEGER,
    review_problems      TEXT    NOT NULL DEFAULT '',
    review_lessons       TEXT    NOT NULL DEFAULT '',
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    CONSTRAINT changes_number_key UNIQUE (tenant_id, number)
);
CREATE INDEX changes_status ON changes (tenant_id, status, id);
CREATE INDEX changes_planned ON changes (tenant_id, planned_start);

CREATE TABLE change_items (
    change_id  BIGINT NOT NULL REFERENCES changes (id),
    tenant_id  BIGINT NOT NULL,
    ci_id      BIGINT NOT NULL REFERENCES cis (id),
    PRIMARY KEY (change_id, ci_id)
);
CREATE INDEX change_items_ci ON change_items (tenant_id, ci_id);

CREATE TABLE change_links (
    change_id        BIGINT NOT NULL REFERENCES changes (id),
    tenant_id        BIGINT NOT NULL,
    other_change_id  BIGINT NOT NULL REFERENCES changes (id),
    PRIMARY KEY (change_id, other_change_id)
);

CREATE TABLE change_tickets (
    change_id  BIGINT NOT NULL REFERENCES changes (id),
    tenant_id  BIGINT NOT NULL,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id),
    role       TEXT   NOT NULL,      -- resolves | caused
    PRIMARY KEY (change_id, ticket_id, role)
);
CREATE INDEX change_tickets_ticket ON change_tickets (tenant_id, ticket_id);

CREATE TABLE change_checklist (
    id         INTEGER PRIMARY KEY,
    change_id  BIGINT  NOT NULL REFERENCES changes (id),
    tenant_id  BIGINT  NOT NULL,
    position   BIGINT  NOT NULL,
    label      TEXT    NOT NULL,
    done_by    BIGINT  REFERENCES users (id),
    done_at    BIGINT
);
CREATE INDEX change_checklist_change ON change_checklist (change_id, position);

CREATE TABLE change_votes (
    id         INTEGER PRIMARY KEY,
    tenant_id  BIGINT  NOT NULL,
    change_id  BIGINT  NOT NULL REFERENCES changes (id),
    round      BIGINT  NOT NULL,
    board      TEXT    NOT NULL,      -- cab | ecab
    voter_id   BIGINT  NOT NULL REFERENCES users (id),
    decision   TEXT    NOT NULL,      -- approve | reject
    comment    TEXT    NOT NULL,
    voted_at   BIGINT  NOT NULL,
    CONSTRAINT change_votes_once UNIQUE (change_id, round, voter_id)
);

CREATE TABLE change_boards (
    tenant_id  BIGINT NOT NULL REFERENCES tenants (id),
    board      TEXT   NOT NULL,       -- cab | ecab
    quorum     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, board)
);

CREATE TABLE change_board_members (
    tenant_id    BIGINT NOT NULL REFERENCES tenants (id),
    board        TEXT   NOT NULL,
    member_kind  TEXT   NOT NULL,     -- user | group
    member_id    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, board, member_kind, member_id)
);

CREATE TABLE change_freezes (
    id          INTEGER PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    name        TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    starts_at   BIGINT  NOT NULL,
    ends_at     BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX change_freezes_tenant ON change_freezes (tenant_id, ends_at);

CREATE TABLE change_settings (
    tenant_id           BIGINT NOT NULL PRIMARY KEY REFERENCES tenants (id),
    window_calendar_id  BIGINT REFERENCES sla_calendars (id),   -- NULL: 19:00–06:00 and weekends
    time_zone           TEXT   NOT NULL
);

ALTER TABLE maintenance_windows ADD COLUMN change_id BIGINT;
CREATE INDEX maintenance_windows_change ON maintenance_windows (change_id);
ALTER TABLE sla_outages ADD COLUMN change_id BIGINT;
CREATE INDEX sla_outages_change ON sla_outages (change_id);
