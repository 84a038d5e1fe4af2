-- One revision number per tenant's service level settings, raised in the
-- same transaction as every change to its calendars or targets. An
-- instance keeps the tenant's targets and built calendars in memory for
-- the clocks of new tickets and reloads them when the number it read
-- differs: several instances stay correct without talking to each other.

CREATE TABLE sla_revisions (
    tenant_id  BIGINT PRIMARY KEY REFERENCES tenants (id),
    revision   BIGINT NOT NULL
);
