-- Attachments of tickets, stored in the database so that several instances
-- need no shared disk. A content is stored once per tenant, keyed by its
-- SHA-256 (lowercase hex); each upload is a row of ticket_attachments that
-- points at it. Blobs are per tenant so that no tenant can learn, even by
-- timing, whether another tenant holds a given file, and so that a
-- tenant's data can be purged without counting references across tenants.
-- Booleans are INTEGER 0/1 here and BOOLEAN on PostgreSQL.

CREATE TABLE attachment_blobs (
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    hash        TEXT    NOT NULL,          -- SHA-256 of content, lowercase hex
    size        BIGINT  NOT NULL,
    content     BLOB    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, hash)
);

CREATE TABLE ticket_attachments (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id),
    ticket_id       BIGINT  NOT NULL REFERENCES tickets (id),
    blob_hash       TEXT    NOT NULL,
    file_name       TEXT    NOT NULL,      -- sanitised: no separators nor control characters
    content_type    TEXT    NOT NULL,      -- decided by Vigie from the allowlist, not the client's
    size            BIGINT  NOT NULL,
    uploaded_by     BIGINT,
    uploader_label  TEXT    NOT NULL,
    public          INTEGER NOT NULL,      -- 1: seen by the requester; 0: agents only
    created_at      BIGINT  NOT NULL,
    FOREIGN KEY (tenant_id, blob_hash) REFERENCES attachment_blobs (tenant_id, hash)
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id, id);
CREATE INDEX ticket_attachments_blob ON ticket_attachments (tenant_id, blob_hash);
