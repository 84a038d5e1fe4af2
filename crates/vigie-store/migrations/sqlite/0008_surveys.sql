-- Satisfaction surveys: one per resolved ticket, answered once through the
-- link carrying `token` (sent to the requester), rating 1 to 5.

CREATE TABLE surveys (
    id            INTEGER PRIMARY KEY,
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    ticket_id     BIGINT  NOT NULL REFERENCES tickets (id),
    group_id      BIGINT  REFERENCES support_groups (id),
    requester_id  BIGINT  NOT NULL REFERENCES users (id),
    token         TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    answered_at   BIGINT,
    rating        BIGINT,
    comment       TEXT,
    CONSTRAINT surveys_ticket_key UNIQUE (ticket_id),
    CONSTRAINT surveys_token_key UNIQUE (token)
);
CREATE INDEX surveys_results ON surveys (tenant_id, answered_at);
