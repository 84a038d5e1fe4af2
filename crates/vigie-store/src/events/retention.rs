//! Retention: the raw events of alerts that cleared, or that were only
//! informational, are deleted once older than the retention period. The
//! alert keeps what they added up to (count, first and last seen), and the
//! alert groups keep their event counts: the history is compacted, not
//! lost.

use crate::sql::Sql;
use crate::{Result, Store, micros};
use vigie_core::Timestamp;

impl Store {
    /// Deletes at most `limit` raw events received before `before` whose
    /// alert is cleared or informational and which the processor has
    /// applied; returns how many.
    pub async fn compact_events(&self, before: Timestamp, limit: u32) -> Result<u64> {
        let done = super::pending_is(self.backend, false, "e.pending");
        let text = format!(
            "DELETE FROM events WHERE id IN (SELECT e.id FROM events e JOIN alerts a \
             ON a.tenant_id = e.tenant_id AND a.fingerprint = e.fingerprint \
             WHERE {done} AND (a.last_action = 'resolve' OR a.class = 'informational') \
             AND e.received_at < "
        );
        let (before, limit) = (micros(before), i64::from(limit.clamp(1, 100_000)));
        // Through the group commit, so it never competes with ingestion
        // for SQLite's write lock.
        let deleted = self
            .group_commit()
            .run(Box::new(move |tx| {
                let mut sql = Sql::new(&text);
                sql.bind(before)
                    .push(" ORDER BY e.id LIMIT ")
                    .bind(limit)
                    .push(")");
                Box::pin(async move { Ok(sql.query().execute(&mut **tx).await?.rows_affected()) })
            }))
            .await?;
        Ok(deleted)
    }
}
