-- Ticket notifications: captured in the transaction of the change that
-- calls for them (one row per recipient), then written as mails in the
-- recipient's language by the notifier, which deletes the row in the
-- transaction that queues the mail.
CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    tenant_id      BIGINT  NOT NULL REFERENCES tenants (id),
    ticket_id      BIGINT  NOT NULL REFERENCES tickets (id),
    kind           TEXT    NOT NULL,      -- vigie_core::notification::NotificationKind
    user_id        BIGINT  NOT NULL REFERENCES users (id),
    actor_user_id  BIGINT  NOT NULL,
    actor_label    TEXT    NOT NULL,
    text           TEXT    NOT NULL,      -- the reply, solution or reason told
    created_at     BIGINT  NOT NULL
);
CREATE INDEX notifications_order ON notifications (id);

-- The kinds of notification a user turned off (every kind is on unless
-- listed here).
CREATE TABLE notification_opt_outs (
    user_id  BIGINT NOT NULL REFERENCES users (id),
    kind     TEXT   NOT NULL,
    PRIMARY KEY (user_id, kind)
);
