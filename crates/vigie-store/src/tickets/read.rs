//! Reading tickets within an actor's access: queues, full-text search,
//! one ticket.

use super::*;

impl Store {
    /// Lists the tickets an access may read.
    pub async fn list_tickets(
        &self,
        access: &TicketAccess,
        filter: &TicketFilter,
        page: PageRequest,
    ) -> Result<Page<TicketRecord>> {
        let search = filter.q.as_deref().and_then(|q| self.search_words(q));
        if search.is_some() {
            // What was written before the search is found by it; an index
            // too far behind, or busy, is read as it stands.
            self.catch_up_for_search().await;
        }
        let search_first = search.is_some()
            && self.backend() == crate::Backend::Sqlite
            && filter.sort == TicketSort::Newest;
        let mut sql = Sql::new(if search_first {
            SELECT_BY_SEARCH
        } else {
            SELECT
        });
        readable(&mut sql, access);
        if !filter.statuses.is_empty() {
            sql.push(" AND t.status IN (");
            for (i, s) in filter.statuses.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(s.as_str());
            }
            sql.push(")");
        }
        if filter.open_only {
            sql.push(" AND t.status NOT IN ('resolved', 'closed')");
        }
        if let Some(a) = filter.assignee_id {
            sql.push(" AND t.assignee_id = ").bind(a.0);
        }
        if filter.unassigned {
            sql.push(" AND t.assignee_id IS NULL");
        }
        if let Some(g) = filter.group_id {
            sql.push(" AND t.group_id = ").bind(g.0);
        }
        if let Some(u) = filter.groups_of {
            sql.push(" AND t.group_id IN (SELECT group_id FROM group_members WHERE user_id = ")
                .bind(u.0)
                .push(")");
        }
        if let Some(r) = filter.requester_id {
            sql.push(" AND t.requester_id = ").bind(r.0);
        }
        if let Some(p) = filter.priority {
            sql.push(" AND t.priority = ").bind(p.as_str());
        }
        if let Some(p) = filter.parent_id {
            sql.push(" AND t.parent_id = ").bind(p.0);
        }
        if let Some(k) = filter.ticket_type {
            sql.push(" AND t.type = ").bind(k.as_str());
        }
        if let Some(p) = &filter.within {
            sql.push(" AND t.entity_path LIKE ")
                .bind(format!("{}%", p.as_str()));
        }
        match (&search, search_first) {
            (Some(query), true) => {
                sql.push(" AND ticket_search MATCH ").bind(query.clone());
            }
            (Some(query), false) => self.full_text(&mut sql, query),
            (None, _) => {}
        }
        match filter.sort {
            TicketSort::Newest if search_first => {
                if let Some(after) = page.after {
                    sql.push(" AND ticket_search.rowid < ").bind(after);
                }
                sql.push(" ORDER BY ticket_search.rowid DESC");
            }
            TicketSort::Newest => {
                if let Some(after) = page.after {
                    sql.push(" AND t.id < ").bind(after);
                }
                sql.push(" ORDER BY t.id DESC");
            }
            TicketSort::Priority => {
                if let Some(after) = page.after {
                    sql.push(" AND (t.priority_rank * ")
                        .bind(RANK_FACTOR)
                        .push(" + t.id) > ")
                        .bind(after);
                }
                sql.push(" ORDER BY t.priority_rank, t.id");
            }
            TicketSort::Updated => {
                // The cursor is the last ticket shown; the next page starts
                // below its (last change, id), read again now.
                if let Some(after) = page.after {
                    sql.push(" AND (t.updated_at, t.id) < (SELECT p.updated_at, p.id FROM tickets p WHERE p.id = ")
                        .bind(after)
                        .push(")");
                }
                sql.push(" ORDER BY t.updated_at DESC, t.id DESC");
            }
        }
        sql.push(" LIMIT ").bind(page.fetch_limit());
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows.iter().map(ticket_row).collect::<Result<Vec<_>>>()?;
        let sort = filter.sort;
        Ok(Page::from_rows(items, page, move |t| match sort {
            TicketSort::Newest | TicketSort::Updated => t.id.0,
            TicketSort::Priority => i64::from(t.priority.rank()) * RANK_FACTOR + t.id.0,
        }))
    }

    /// The full-text query for what a user typed, in the backend's syntax,
    /// or `None` when it holds no word. SQLite (FTS5): every word must
    /// appear, accents folded, the last word as a prefix; each word is
    /// quoted, so nothing typed is FTS5 syntax. PostgreSQL: the words,
    /// stemmed in French or in English by `full_text`.
    fn search_words(&self, q: &str) -> Option<String> {
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(16)
            .map(str::to_lowercase)
            .collect();
        let last = words.len().checked_sub(1)?;
        Some(match self.backend() {
            crate::Backend::Sqlite => words
                .iter()
                .enumerate()
                .map(|(i, w)| format!("\"{w}\"{}", if i == last { "*" } else { "" }))
                .collect::<Vec<_>>()
                .join(" "),
            crate::Backend::Postgres => words.join(" "),
        })
    }

    /// Adds the full-text condition for a query made by `search_words`.
    fn full_text(&self, sql: &mut Sql, query: &str) {
        match self.backend() {
            crate::Backend::Sqlite => {
                sql.push(
                    " AND t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ",
                )
                .bind(query)
                .push(")");
            }
            crate::Backend::Postgres => {
                sql.push(" AND t.id IN (SELECT ticket_id FROM ticket_search WHERE doc @@ (plainto_tsquery('french', ")
                    .bind(query)
                    .push(") || plainto_tsquery('english', ")
                    .bind(query)
                    .push(")))");
            }
        }
    }

    /// Reads a ticket the access may read.
    pub async fn get_ticket(&self, access: &TicketAccess, id: TicketId) -> Result<TicketRecord> {
        let mut sql = Sql::new(SELECT);
        readable(&mut sql, access);
        sql.push(" AND t.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(ticket_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Reads a ticket the access may work (not merely read).
    pub async fn get_workable_ticket(
        &self,
        access: &TicketAccess,
        id: TicketId,
    ) -> Result<TicketRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(&access.work, "t.tenant_id", "t.entity_path");
        sql.push(" AND t.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        match row {
            Some(row) => ticket_row(&row),
            // Readable but not workable: say so; unreadable: not found.
            None => match self.get_ticket(access, id).await {
                Ok(_) => Err(StoreError::Forbidden(
                    "your roles do not include working this ticket".into(),
                )),
                Err(e) => Err(e),
            },
        }
    }
}
