-- One revision number per tenant's CMDB, raised in the same transaction as
-- every change to its items or relations. An instance keeps the tenant's
-- graph in memory for impact analysis and reloads it when the number it
-- read differs: several instances stay correct without talking to each
-- other.

CREATE TABLE cmdb_revisions (
    tenant_id  BIGINT PRIMARY KEY REFERENCES tenants (id),
    revision   BIGINT NOT NULL
);
