//! A small SQL text builder with `$n` placeholders, which both SQLite and
//! PostgreSQL understand (sqlx's `Any` builder would emit `?`), and the
//! translation of a [`Scope`] into a `WHERE` fragment.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use vigie_core::tenancy::{Scope, ScopeRule};

/// A value to bind.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    I64(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::I64(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

/// SQL text with its arguments.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
    /// Where `bind` wrote each placeholder: byte offset and length.
    placeholders: Vec<(usize, usize)>,
    /// Whether a placeholder stands for several uses (`bind_existing`).
    reuses: bool,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            ..Sql::default()
        }
    }

    /// On SQLite, writes the placeholders as anonymous `?` rather than `$n`.
    /// SQLite looks a named parameter up by walking a list, when it parses
    /// the statement and when each value is bound, so a statement with
    /// thousands of `$n` costs time quadratic in their number (about 0.6 ms
    /// per row at 2,000 rows of 10 columns, against 1 µs with `?`). Multi-row
    /// statements go through here; a text that reuses a placeholder is left
    /// as it is.
    pub(crate) fn for_backend(mut self, backend: crate::Backend) -> Self {
        if backend != crate::Backend::Sqlite || self.reuses {
            return self;
        }
        let mut text = String::with_capacity(self.text.len());
        let mut from = 0;
        for (at, len) in &self.placeholders {
            text.push_str(&self.text[from..*at]);
            text.push('?');
            from = at + len;
        }
        text.push_str(&self.text[from..]);
        self.text = text;
        self.placeholders.clear();
        self
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        let at = self.text.len();
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self.placeholders.push((at, self.text.len() - at));
        self
    }

    /// Appends placeholders for `values`, separated by commas (the inside
    /// of an `IN (…)`).
    pub(crate) fn bind_list<A: Into<Arg>>(
        &mut self,
        values: impl IntoIterator<Item = A>,
    ) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self
    }

    /// Adds an argument for a placeholder already written in the text (for
    /// queries that use the same `$n` several times).
    pub(crate) fn bind_existing(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.reuses = true;
        self
    }

    /// Appends ` AND (…)` limiting rows to the scope, given the columns that
    /// hold the row's tenant and its entity path.
    pub(crate) fn scope(&mut self, scope: &Scope, tenant_col: &str, path_col: &str) -> &mut Self {
        self.scope_or(scope, tenant_col, path_col, None)
    }

    /// Like [`Sql::scope`], also letting through the rows of the scope's
    /// tenant whose `column` equals `value` (e.g. a requester's own tickets).
    pub(crate) fn scope_or(
        &mut self,
        scope: &Scope,
        tenant_col: &str,
        path_col: &str,
        or_equal: Option<(&str, i64)>,
    ) -> &mut Self {
        let Scope::Tenant { tenant, rules } = scope else {
            return self;
        };
        self.push(" AND ")
            .push(tenant_col)
            .push(" = ")
            .bind(tenant.0);
        self.push(" AND (1 = 0");
        for rule in rules {
            self.push(" OR ");
            match rule {
                ScopeRule::Exactly(path) => self.push(path_col).push(" = ").bind(path.as_str()),
                // Paths hold only digits and slashes: no LIKE
                // metacharacters to escape.
                ScopeRule::Subtree(path) => self
                    .push(path_col)
                    .push(" LIKE ")
                    .bind(format!("{}%", path.as_str())),
            };
        }
        if let Some((column, value)) = or_equal {
            self.push(" OR ").push(column).push(" = ").bind(value);
        }
        self.push(")")
    }

    /// `INSERT INTO table (a, b) VALUES ($1, $2)`.
    pub(crate) fn insert(table: &str, values: Vec<(&str, Arg)>) -> Self {
        let columns: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
        let mut sql = Sql::new(&format!(
            "INSERT INTO {table} ({}) VALUES (",
            columns.join(", ")
        ));
        for (i, (_, v)) in values.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(v);
        }
        sql.push(")");
        sql
    }

    /// `INSERT INTO table (a, b) VALUES ($1, $2), ($3, $4), …`: one statement
    /// for many rows (keep rows × columns under 30,000 for SQLite).
    pub(crate) fn insert_many(table: &str, columns: &[&str], rows: Vec<Vec<Arg>>) -> Self {
        let mut sql = Sql::new(&format!(
            "INSERT INTO {table} ({}) VALUES ",
            columns.join(", ")
        ));
        for (r, row) in rows.into_iter().enumerate() {
            sql.push(if r == 0 { "(" } else { ", (" });
            for (i, v) in row.into_iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(v);
            }
            sql.push(")");
        }
        sql
    }

    /// `rows` as many-row inserts ([`Sql::insert_many`], placeholders for
    /// `backend`), each under 30,000 values (SQLite's limit is 32,766).
    pub(crate) fn insert_chunks(
        backend: crate::Backend,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Arg>>,
    ) -> Vec<Sql> {
        let per = (30_000 / columns.len().max(1)).max(1);
        let mut rows = rows.into_iter().peekable();
        let mut out = Vec::new();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(per).collect();
            out.push(Sql::insert_many(table, columns, chunk).for_backend(backend));
        }
        out
    }

    /// The text of `INSERT INTO table (a, b) VALUES (…), (…), …` for `rows`
    /// rows whose values the caller binds itself, in order (by reference,
    /// where building [`Arg`]s would copy every value): anonymous `?` on
    /// SQLite, as [`Sql::for_backend`] writes them, `$n` on PostgreSQL.
    pub(crate) fn insert_many_text(
        backend: crate::Backend,
        table: &str,
        columns: &[&str],
        rows: usize,
    ) -> String {
        use std::fmt::Write;
        let mut text = String::with_capacity(64 + rows * columns.len() * 7);
        let _ = write!(text, "INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0usize;
        for r in 0..rows {
            text.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..columns.len() {
                if c > 0 {
                    text.push_str(", ");
                }
                n += 1;
                match backend {
                    crate::Backend::Sqlite => text.push('?'),
                    crate::Backend::Postgres => {
                        let _ = write!(text, "${n}");
                    }
                }
            }
            text.push(')');
        }
        text
    }

    /// `UPDATE table SET a = $1, b = $2 WHERE key = $3`.
    pub(crate) fn update(table: &str, values: Vec<(&str, Arg)>, key: (&str, Arg)) -> Self {
        let mut sql = Sql::new(&format!("UPDATE {table} SET "));
        for (i, (column, v)) in values.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(column).push(" = ").bind(v);
        }
        sql.push(" WHERE ").push(key.0).push(" = ").bind(key.1);
        sql
    }

    /// Runs an `INSERT … RETURNING id` and gives the new id.
    pub(crate) async fn insert_returning_id(
        mut self,
        tx: &mut sqlx::Transaction<'static, Any>,
    ) -> crate::Result<i64> {
        use sqlx::Row;
        self.push(" RETURNING id");
        Ok(self.query().fetch_one(&mut **tx).await?.try_get("id")?)
    }

    /// The query, ready to run.
    pub(crate) fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for arg in &self.args {
            q = match arg {
                Arg::I64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_deref()),
                Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;

    #[test]
    fn sqlite_gets_anonymous_placeholders_in_order() {
        let rows = vec![
            vec![Arg::from(1), "a".into()],
            vec![Arg::from(2), "b".into()],
        ];
        let sql = Sql::insert_many("t", &["n", "s"], rows.clone()).for_backend(Backend::Sqlite);
        assert_eq!(sql.text, "INSERT INTO t (n, s) VALUES (?, ?), (?, ?)");
        assert_eq!(sql.args.len(), 4);
        let pg = Sql::insert_many("t", &["n", "s"], rows).for_backend(Backend::Postgres);
        assert_eq!(pg.text, "INSERT INTO t (n, s) VALUES ($1, $2), ($3, $4)");
    }

    #[test]
    fn a_many_row_text_numbers_its_placeholders_per_backend() {
        let cols = ["a", "b"];
        assert_eq!(
            Sql::insert_many_text(crate::Backend::Sqlite, "t", &cols, 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            Sql::insert_many_text(crate::Backend::Postgres, "t", &cols, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }

    #[test]
    fn a_reused_placeholder_keeps_its_number() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(5).push(" OR b = $1");
        sql.bind_existing(5);
        let sql = sql.for_backend(Backend::Sqlite);
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 OR b = $1");
    }
}
