-- The mail channel: the mailboxes Vigie reads (with their ordered rules, kept
-- as JSON), every mail received (its Message-ID unique per tenant, so a mail
-- read twice is stored once, with what it became), and the outbox of the
-- notifications to send (claimed under a lease, so two instances never send
-- one twice).

CREATE TABLE mailboxes (
    id                   INTEGER PRIMARY KEY,
    tenant_id            BIGINT  NOT NULL REFERENCES tenants (id),
    entity_id            BIGINT  NOT NULL REFERENCES entities (id),  -- default entity of its tickets
    name                 TEXT    NOT NULL,
    host                 TEXT    NOT NULL,
    port                 BIGINT  NOT NULL,
    security             TEXT    NOT NULL,      -- tls | starttls | none
    login                TEXT    NOT NULL,
    password             TEXT    NOT NULL,      -- needed in clear to log in; never read back by the API
    folder               TEXT    NOT NULL,
    after_action         TEXT    NOT NULL,      -- move | flag
    move_to              TEXT    NOT NULL,
    poll_seconds         BIGINT  NOT NULL,
    category_id          BIGINT,
    unknown_senders      TEXT    NOT NULL,      -- create_contact | refuse
    single_contact       INTEGER NOT NULL DEFAULT 0,
    rate_max             BIGINT  NOT NULL,
    rate_window_seconds  BIGINT  NOT NULL,
    integration_key_id   BIGINT  REFERENCES integration_keys (id),  -- events made by rules
    address              TEXT    NOT NULL,      -- the address notifications come from
    rules                TEXT    NOT NULL DEFAULT '[]',
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    CONSTRAINT mailboxes_name_key UNIQUE (tenant_id, name)
);

-- outcome: ticket | reply | event | ignored | refused | failed
CREATE TABLE received_mails (
    id            INTEGER PRIMARY KEY,
    tenant_id     BIGINT  NOT NULL REFERENCES tenants (id),
    mailbox_id    BIGINT,
    message_id    TEXT    NOT NULL,
    from_address  TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,
    ticket_id     BIGINT,
    comment_id    BIGINT,
    reason        TEXT    NOT NULL,
    html          TEXT,
    received_at   BIGINT  NOT NULL,
    CONSTRAINT received_mails_message_key UNIQUE (tenant_id, message_id)
);
CREATE INDEX received_mails_sender ON received_mails (tenant_id, from_address, received_at);
CREATE INDEX received_mails_mailbox ON received_mails (mailbox_id, id);

CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY,
    tenant_id        BIGINT  NOT NULL REFERENCES tenants (id),
    ticket_id        BIGINT,
    kind             TEXT    NOT NULL,      -- ticket_created | public_reply | resolved | …
    sender           TEXT    NOT NULL,
    recipient        TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    body_text        TEXT    NOT NULL,
    body_html        TEXT    NOT NULL,
    message_id       TEXT    NOT NULL,
    in_reply_to      TEXT    NOT NULL,
    refs             TEXT    NOT NULL,      -- References, space-separated
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    claimed_by       TEXT,
    claimed_until    BIGINT,
    sent_at          BIGINT,
    last_error       TEXT,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX mail_outbox_message ON mail_outbox (tenant_id, message_id);

-- Senders are matched to users by address, whatever its case.
CREATE INDEX users_email_lower ON users (tenant_id, LOWER(email));
