-- Major incidents: a flag on the P1 incident, its children linked through
-- parent_id, and the log of communications sent to stakeholders.

ALTER TABLE tickets ADD COLUMN major INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN parent_id BIGINT REFERENCES tickets (id);
CREATE INDEX tickets_parent ON tickets (parent_id);

CREATE TABLE major_communications (
    id            INTEGER PRIMARY KEY,
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    ticket_id     BIGINT  NOT NULL REFERENCES tickets (id),
    audience      TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    author_id     BIGINT,
    author_label  TEXT    NOT NULL,
    sent_at       BIGINT  NOT NULL
);
CREATE INDEX major_communications_ticket ON major_communications (ticket_id, id);
