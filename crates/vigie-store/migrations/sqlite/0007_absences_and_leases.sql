-- Absences (leave, sickness, training) with the backup who takes the
-- tickets meanwhile, and the leases that let one instance at a time run a
-- background job.

CREATE TABLE absences (
    id          INTEGER PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    user_id     BIGINT  NOT NULL REFERENCES users (id),
    kind        TEXT    NOT NULL,      -- leave | sickness | training | other
    starts_at   BIGINT  NOT NULL,
    ends_at     BIGINT  NOT NULL,
    backup_id   BIGINT  REFERENCES users (id),
    created_by  BIGINT,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX absences_user ON absences (user_id, ends_at);
CREATE INDEX absences_current ON absences (ends_at, starts_at);

-- A job runs where its lease is held; a lease past `until` may be taken.
CREATE TABLE job_leases (
    name    TEXT    PRIMARY KEY,
    holder  TEXT    NOT NULL,
    until   BIGINT  NOT NULL
);
