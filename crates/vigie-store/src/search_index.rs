//! SQLite's full-text index of tickets (`ticket_search`: FTS5, contentless,
//! `detail = none`), which holds for each word the tickets that hold it,
//! and nothing more (no positions, no counts a search reads: searches ask
//! only for words, never for phrases or an order by relevance).
//!
//! So the index of a text depends only on the set of its words, and a text
//! whose repeated words are given once is indexed the same. The store
//! writes every row itself: a new ticket's from its title and description,
//! a ticket whose text changed (a public reply, an edit) from its title,
//! description and public replies read again, each whitespace-separated
//! piece once ([`index_text`]). SQLite's tokenizer then reads a 5–50 KB
//! mail's distinct pieces rather than every word: the pieces are sorted
//! out in Rust, cheaper than tokenizing the repeats, and the writer's
//! thread, the one a busy SQLite database waits on, does less. The rows
//! are gathered by [`Indexing`] and written last in their transaction.
//! PostgreSQL keeps its own index by trigger (`tsvector`).

use crate::sql::{Arg, Sql};
use crate::{Backend, Result};
use sqlx::{Any, Transaction};
use std::collections::BTreeMap;

/// `text` with each of its whitespace-separated pieces once, in the order
/// they first appear, separated by one space.
///
/// The index's tokenizer (`unicode61`) splits words at every character that
/// is neither a letter, a number nor private use, so at least at every
/// whitespace character Rust knows (Unicode `White_Space`): a piece yields
/// the same words wherever it stands, and leaving out a piece seen before
/// leaves out no word.
pub(crate) fn index_text(text: &str) -> String {
    // foldhash, seeded at random per set: several times faster than the
    // default hasher on short pieces, and still not open to a text written
    // to collide (a set lives for one text).
    let mut seen: std::collections::HashSet<&str, foldhash::fast::RandomState> =
        std::collections::HashSet::with_capacity_and_hasher(
            text.len() / 16 + 8,
            Default::default(),
        );
    let mut out = String::with_capacity(text.len() / 2 + 8);
    for piece in text.split_whitespace() {
        if seen.insert(piece) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(piece);
        }
    }
    out
}

/// Rows of the index per statement (three values each).
const PER_STATEMENT: usize = 500;

/// The index's columns.
const COLUMNS: [&str; 3] = ["rowid", "title", "body"];

/// The rows of the index a transaction writes, gathered as it goes and
/// written together just before it commits ([`Indexing::write`]). FTS5
/// writes what it holds to disk as a new segment whenever a later statement
/// of the transaction begins, and merges segments as they pile up: written
/// last and in one statement, a transaction's rows make one segment rather
/// than one for each statement that follows an index write. On PostgreSQL
/// it gathers nothing: triggers keep the `tsvector`s.
pub(crate) struct Indexing {
    /// Whether there is anything to do (SQLite).
    sqlite: bool,
    /// New tickets' rows: id, title, the description's pieces once.
    new: Vec<(i64, String, String)>,
    /// Tickets whose text changed (a public reply, an edit), indexed again
    /// from the tables.
    changed: Vec<i64>,
}

impl Indexing {
    /// Nothing gathered yet, for a transaction on `backend`.
    pub(crate) fn new(backend: Backend) -> Indexing {
        Indexing {
            sqlite: backend == Backend::Sqlite,
            new: Vec::new(),
            changed: Vec::new(),
        }
    }

    /// Adds a new ticket.
    pub(crate) fn add_new(&mut self, id: i64, title: &str, description: &str) {
        if self.sqlite {
            self.new
                .push((id, title.to_owned(), index_text(description)));
        }
    }

    /// Adds a ticket whose text changed: a public reply, or an edit of its
    /// title or description.
    pub(crate) fn add_changed(&mut self, id: i64) {
        if self.sqlite {
            self.changed.push(id);
        }
    }

    /// Writes the rows gathered, in the caller's transaction: a changed
    /// ticket's row written anew from its title, description and every
    /// public reply, each piece once.
    pub(crate) async fn write(self, tx: &mut Transaction<'static, Any>) -> Result<()> {
        let Indexing {
            new, mut changed, ..
        } = self;
        if new.is_empty() && changed.is_empty() {
            return Ok(());
        }
        let backend = Backend::Sqlite;
        changed.sort_unstable();
        changed.dedup();
        let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(new.len() + changed.len());
        for chunk in changed.chunks(PER_STATEMENT) {
            for (id, (title, text)) in texts_of(tx, chunk).await? {
                rows.push(vec![id.into(), title.into(), index_text(&text).into()]);
            }
            let mut sql = Sql::new("DELETE FROM ticket_search WHERE rowid IN (");
            sql.bind_list(chunk.iter().copied()).push(")");
            sql.for_backend(backend).query().execute(&mut **tx).await?;
        }
        for (id, title, text) in new {
            // A ticket replied to in its own transaction is in `changed`.
            if changed.binary_search(&id).is_err() {
                rows.push(vec![id.into(), title.into(), text.into()]);
            }
        }
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(PER_STATEMENT).collect();
            Sql::insert_many("ticket_search", &COLUMNS, chunk)
                .for_backend(backend)
                .query()
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

/// The title and the whole text (the description, then each public reply)
/// of each ticket of `ids`, by id (SQLite).
async fn texts_of(
    tx: &mut Transaction<'static, Any>,
    ids: &[i64],
) -> Result<BTreeMap<i64, (String, String)>> {
    use sqlx::Row;
    let mut texts: BTreeMap<i64, (String, String)> = BTreeMap::new();
    let mut sql = Sql::new("SELECT id, title, description FROM tickets WHERE id IN (");
    sql.bind_list(ids.iter().copied()).push(")");
    let query = sql.for_backend(Backend::Sqlite);
    for row in query.query().fetch_all(&mut **tx).await? {
        texts.insert(
            row.try_get("id")?,
            (row.try_get("title")?, row.try_get("description")?),
        );
    }
    let mut sql =
        Sql::new("SELECT ticket_id, body FROM ticket_comments WHERE public = 1 AND ticket_id IN (");
    sql.bind_list(ids.iter().copied()).push(") ORDER BY id");
    let query = sql.for_backend(Backend::Sqlite);
    for row in query.query().fetch_all(&mut **tx).await? {
        let id: i64 = row.try_get("ticket_id")?;
        let body: String = row.try_get("body")?;
        if let Some((_, text)) = texts.get_mut(&id) {
            text.push('\n');
            text.push_str(&body);
        }
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::index_text;

    #[test]
    fn each_piece_is_kept_once_in_first_order() {
        assert_eq!(
            index_text("Imprimante  en panne\n\nimprimante en\tpanne Imprimante"),
            "Imprimante en panne imprimante"
        );
    }

    #[test]
    fn pieces_keep_their_punctuation_and_accents() {
        // "l'écran" and "l'écran," differ as pieces and both stay: the
        // tokenizer makes the same words of them.
        assert_eq!(
            index_text("l'écran, l'écran l'écran, mot-de-passe"),
            "l'écran, l'écran mot-de-passe"
        );
    }

    #[test]
    fn unicode_spaces_separate_pieces() {
        assert_eq!(
            index_text("accès\u{a0}refusé accès\u{2009}refusé"),
            "accès refusé"
        );
    }

    #[test]
    fn nothing_but_spaces_gives_nothing() {
        assert_eq!(index_text(" \n\t "), "");
        assert_eq!(index_text(""), "");
    }
}
