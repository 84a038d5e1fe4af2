//! The tickets that name a configuration item in their free `ci_refs`
//! (by its name or one of its identifiers).

use super::*;

impl Store {
    /// The newest tickets the access may read whose `ci_refs` hold one of
    /// `refs` exactly (`ci_refs` is a comma-separated list).
    pub async fn tickets_naming(
        &self,
        access: &TicketAccess,
        refs: &[String],
        limit: u32,
    ) -> Result<Vec<TicketRecord>> {
        if refs.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(SELECT);
        readable(&mut sql, access);
        sql.push(" AND (1 = 0");
        for r in refs.iter().take(20) {
            let escaped = r
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            sql.push(" OR (',' || LOWER(t.ci_refs) || ',') LIKE ")
                .bind(format!("%,{},%", escaped.trim().to_lowercase()))
                .push(" ESCAPE '\\'");
        }
        sql.push(") ORDER BY t.id DESC LIMIT ")
            .bind(i64::from(limit.clamp(1, 200)));
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(ticket_row).collect()
    }
}
