-- Releases and environments: the tenant's release cycle and qualification
-- group, releases with their component versions, the hours of each
-- environment item (a business calendar), data refresh requests between
-- environments and the yearly environment resets per partner. The rules
-- (refresh direction, hours within production's, notice and season, the
-- release lifecycle) are the core's; these tables keep their inputs and
-- results. Dates without a time (planned_for, requested_for) are
-- YYYY-MM-DD text; instants are microseconds since the epoch.

CREATE TABLE release_settings (
    tenant_id               BIGINT  PRIMARY KEY REFERENCES tenants (id),
    cycle_months            BIGINT  NOT NULL,
    cycle_anchor            TEXT    NOT NULL,
    qualification_group_id  BIGINT  REFERENCES support_groups (id),
    reset_notice_days       BIGINT  NOT NULL,
    reset_season_first      BIGINT  NOT NULL,
    reset_season_last       BIGINT  NOT NULL,
    updated_at              BIGINT  NOT NULL
);

CREATE TABLE releases (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id),
    entity_id       BIGINT  NOT NULL REFERENCES entities (id),
    entity_path     TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,   -- regular | exceptional | patch
    status          TEXT    NOT NULL,   -- planned | qualification | green_lit | deployed | cancelled
    planned_for     TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    green_light_by  BIGINT  REFERENCES users (id),
    green_light_at  BIGINT,
    deployed_at     BIGINT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    CONSTRAINT releases_name_key UNIQUE (tenant_id, name)
);
CREATE INDEX releases_planned ON releases (tenant_id, planned_for);

CREATE TABLE release_versions (
    release_id  BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    component   TEXT   NOT NULL,
    ci_id       BIGINT REFERENCES cis (id),
    version     TEXT   NOT NULL,
    PRIMARY KEY (release_id, position)
);

-- Filled by change management: the changes a release carries. No foreign
-- key to the changes table, which belongs to that part of Vigie.
CREATE TABLE release_changes (
    release_id  BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    change_id   BIGINT NOT NULL,
    PRIMARY KEY (release_id, change_id)
);

-- One row per environment item that has hours or its own reset season.
CREATE TABLE environment_settings (
    ci_id               BIGINT PRIMARY KEY REFERENCES cis (id),
    tenant_id           BIGINT NOT NULL REFERENCES tenants (id),
    calendar_id         BIGINT REFERENCES sla_calendars (id),
    reset_season_first  BIGINT,
    reset_season_last   BIGINT,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX environment_settings_calendar ON environment_settings (calendar_id);

-- Filed under the target environment's entity.
CREATE TABLE data_refreshes (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id),
    entity_id       BIGINT  NOT NULL REFERENCES entities (id),
    entity_path     TEXT    NOT NULL,
    source_ci_id    BIGINT  NOT NULL REFERENCES cis (id),
    target_ci_id    BIGINT  NOT NULL REFERENCES cis (id),
    requested_for   TEXT    NOT NULL,
    anonymise       INTEGER NOT NULL,
    status          TEXT    NOT NULL,   -- requested | approved | done | refused
    note            TEXT    NOT NULL DEFAULT '',
    requester_id    BIGINT  REFERENCES users (id),
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX data_refreshes_tenant ON data_refreshes (tenant_id, id);

-- partner_key is the partner's name folded by the core: one reset per
-- environment, partner and year.
CREATE TABLE environment_resets (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id),
    entity_id       BIGINT  NOT NULL REFERENCES entities (id),
    entity_path     TEXT    NOT NULL,
    ci_id           BIGINT  NOT NULL REFERENCES cis (id),
    partner         TEXT    NOT NULL,
    partner_key     TEXT    NOT NULL,
    planned_for     TEXT    NOT NULL,
    planned_year    BIGINT  NOT NULL,
    notice_days     BIGINT  NOT NULL,
    season_first    BIGINT  NOT NULL,
    season_last     BIGINT  NOT NULL,
    requester_id    BIGINT  REFERENCES users (id),
    created_at      BIGINT  NOT NULL,
    CONSTRAINT environment_resets_once_a_year UNIQUE (ci_id, partner_key, planned_year)
);
CREATE INDEX environment_resets_tenant ON environment_resets (tenant_id, planned_for);
