-- Service level management: business calendars, targets (SLA, OLA, UC),
-- one clock per ticket, target and metric (written in the same transaction
-- as the ticket change that moves it), escalation markers whose key makes a
-- second firing impossible, and outage records for availability.

CREATE TABLE sla_calendars (
    id               INTEGER PRIMARY KEY,
    tenant_id        BIGINT  NOT NULL REFERENCES tenants (id),
    name             TEXT    NOT NULL,
    time_zone        TEXT    NOT NULL,
    french_holidays  INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    CONSTRAINT sla_calendars_name_key UNIQUE (tenant_id, name)
);

-- Weekly service hours: minutes since midnight, 1440 meaning 24:00.
CREATE TABLE sla_calendar_hours (
    calendar_id  BIGINT NOT NULL REFERENCES sla_calendars (id) ON DELETE CASCADE,
    weekday      BIGINT NOT NULL,      -- 0 = Monday … 6 = Sunday
    starts_min   BIGINT NOT NULL,
    ends_min     BIGINT NOT NULL
);
CREATE INDEX sla_calendar_hours_calendar ON sla_calendar_hours (calendar_id);

-- Dated rules: holidays (first_day), closures (first_day..last_day), and
-- exceptional openings (first_day, one row per segment; no segment: closed).
CREATE TABLE sla_calendar_days (
    calendar_id  BIGINT NOT NULL REFERENCES sla_calendars (id) ON DELETE CASCADE,
    kind         TEXT   NOT NULL,      -- holiday | closure | opening
    first_day    TEXT   NOT NULL,      -- YYYY-MM-DD
    last_day     TEXT,
    starts_min   BIGINT,
    ends_min     BIGINT
);
CREATE INDEX sla_calendar_days_calendar ON sla_calendar_days (calendar_id);

-- service_ref '' means any service (so that the unique key holds).
CREATE TABLE sla_targets (
    id                  INTEGER PRIMARY KEY,
    tenant_id           BIGINT  NOT NULL REFERENCES tenants (id),
    name                TEXT    NOT NULL,
    kind                TEXT    NOT NULL,   -- sla | ola | uc
    service_ref         TEXT    NOT NULL DEFAULT '',
    priority            TEXT    NOT NULL,   -- critique | haut | moyen | bas
    calendar_id         BIGINT  NOT NULL REFERENCES sla_calendars (id),
    own_minutes         BIGINT,
    resolve_minutes     BIGINT  NOT NULL,
    pause_on            TEXT    NOT NULL,   -- comma-separated pending reasons
    on_priority_change  TEXT    NOT NULL,   -- recompute | restart
    on_reopen           TEXT    NOT NULL,
    escalations         TEXT    NOT NULL,   -- e.g. 75:notify,90:alert_manager
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    CONSTRAINT sla_targets_key UNIQUE (tenant_id, kind, service_ref, priority)
);

-- Durations in microseconds of business time; instants in microseconds.
CREATE TABLE sla_clocks (
    id                  INTEGER PRIMARY KEY,
    tenant_id           BIGINT  NOT NULL REFERENCES tenants (id),
    ticket_id           BIGINT  NOT NULL REFERENCES tickets (id),
    target_id           BIGINT  NOT NULL REFERENCES sla_targets (id),
    metric              TEXT    NOT NULL,   -- own | resolve
    allowance_us        BIGINT  NOT NULL,
    elapsed_us          BIGINT  NOT NULL,
    started_at          BIGINT  NOT NULL,
    running_since       BIGINT,
    stopped_at          BIGINT,
    deadline            BIGINT,
    next_escalation_at  BIGINT,
    updated_at          BIGINT  NOT NULL,
    CONSTRAINT sla_clocks_key UNIQUE (ticket_id, target_id, metric)
);
CREATE INDEX sla_clocks_due ON sla_clocks (next_escalation_at);
CREATE INDEX sla_clocks_tenant ON sla_clocks (tenant_id, started_at);

-- One row per level fired: the primary key is the "exactly once".
CREATE TABLE sla_escalations_fired (
    clock_id  BIGINT NOT NULL REFERENCES sla_clocks (id),
    percent   BIGINT NOT NULL,
    action    TEXT   NOT NULL,
    fired_at  BIGINT NOT NULL,
    CONSTRAINT sla_escalations_fired_pkey PRIMARY KEY (clock_id, percent, action)
);

-- Availability promised per service: service hours and targets in basis
-- points (9900 = 99 %).
CREATE TABLE sla_services (
    id                   INTEGER PRIMARY KEY,
    tenant_id            BIGINT NOT NULL REFERENCES tenants (id),
    service_ref          TEXT   NOT NULL,
    calendar_id          BIGINT NOT NULL REFERENCES sla_calendars (id),
    availability_bp      BIGINT NOT NULL,
    out_of_hours_bp      BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    CONSTRAINT sla_services_key UNIQUE (tenant_id, service_ref)
);

CREATE TABLE sla_outages (
    id           INTEGER PRIMARY KEY,
    tenant_id    BIGINT NOT NULL REFERENCES tenants (id),
    service_ref  TEXT   NOT NULL,
    kind         TEXT   NOT NULL,       -- outage | maintenance
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT,                -- NULL: still going on
    ticket_id    BIGINT REFERENCES tickets (id),
    note         TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
CREATE INDEX sla_outages_service ON sla_outages (tenant_id, service_ref, starts_at);
