//! SQLite's full-text index of tickets (`ticket_search`: FTS5, contentless,
//! `detail = none`), which holds for each word the tickets that hold it,
//! and nothing more (no positions, no counts a search reads: searches ask
//! only for words, never for phrases or an order by relevance).
//!
//! The index lives in a database file of its own, next to the main one
//! (`vigie.search.db` beside `vigie.db`), attached to every connection of
//! the main database as `search`, and written by a connection of its own:
//! SQLite lets one writer at a time into a file, and tokenizing and
//! writing the words of long mails took more than half of the main
//! writer's time. A transaction that makes or changes a ticket's text (a
//! new ticket, a public reply, a new title or description) only adds the
//! ticket's id to `search_pending` in the main database, by trigger
//! (migration `0022`), so no way of writing a ticket can forget it; the
//! [`SearchIndex`] then reads the
//! pending tickets' texts back and writes their rows in the index file,
//! on other threads while the main writer goes on. The index file records
//! the last pending row it holds (`search_meta`), in the transaction that
//! writes the rows, so a crash between the two files indexes nothing twice
//! and forgets nothing: what is pending after the mark is indexed on the
//! next round. A task runs the rounds as tickets come, and a search first
//! catches up with what was pending when it began
//! ([`SearchIndex::catch_up_for_search`]), so it finds what was written
//! before it, unless the index is far behind (being rebuilt).
//! An index file that is missing, new, ahead of the database (a restored
//! backup) or behind it (an older index restored) is rebuilt from every
//! ticket.
//!
//! The index of a text depends only on the set of its words, so a text
//! whose repeated words are given once is indexed the same: a ticket's row
//! is its title and its description and public replies, each
//! whitespace-separated piece once ([`index_text`]), sorted out in Rust,
//! cheaper than tokenizing the repeats. PostgreSQL keeps its own index by
//! trigger (`tsvector`), in the transaction: there is nothing pending.

use crate::sql::{Arg, Sql};
use crate::{Backend, Result};
use sqlx::{Any, AnyPool, Row, Transaction};
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

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

/// Pending rows a round of the index reads at most.
const PER_ROUND: i64 = 2_000;

/// The index's columns.
const COLUMNS: [&str; 3] = ["rowid", "title", "body"];

/// The last pending row ever written (0 before the first), cleared or
/// not: `AUTOINCREMENT` keeps it in `sqlite_sequence`.
const LAST_PENDING: &str =
    "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'search_pending'), 0)";

/// The index's table, as the index file holds it.
const CREATE_INDEX: &str = "CREATE VIRTUAL TABLE ticket_search USING fts5(\
    title, body, content = '', contentless_delete = 1, detail = none, \
    tokenize = 'unicode61 remove_diacritics 2')";

/// The index file of a SQLite store, its writer and the task that keeps it
/// up with the pending rows; the task ends once every clone of the store
/// that holds it is dropped.
#[derive(Clone, Debug)]
pub(crate) struct SearchIndex {
    shared: Arc<Shared>,
    _alive: Arc<()>,
}

#[derive(Debug)]
struct Shared {
    /// The main database's read connections (the index file attached).
    pool: AnyPool,
    /// The main database's writer, which clears the pending rows indexed.
    writer: AnyPool,
    /// The index file's one connection.
    index: AnyPool,
    /// Held by a round, so that one runs at a time in this process; holds
    /// the last pending row cleared.
    round: tokio::sync::Mutex<i64>,
}

/// How soon the task looks again after a round that indexed tickets: soon,
/// but late enough that a few batches gather.
const BUSY: Duration = Duration::from_millis(50);

/// How soon it looks again when nothing was pending.
const IDLE: Duration = Duration::from_millis(200);

/// Pending rows indexed before they are cleared from the main database
/// (they are cleared at once when nothing more is pending).
const CLEAR_EVERY: i64 = 5_000;

/// The most pending rows a search waits to see indexed (a few seconds'
/// work at most).
pub(crate) const SEARCH_WAITS_FOR: i64 = 10_000;

/// The index file beside the main database `file`: `vigie.search.db` for
/// `vigie.db`.
pub(crate) fn index_file(file: &str) -> String {
    let path = std::path::Path::new(file);
    path.with_extension(match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if !ext.is_empty() => format!("search.{ext}"),
        _ => "search.db".to_owned(),
    })
    .display()
    .to_string()
}

/// `ATTACH`, for the connections of the main database: the index file as
/// `search` (its name quoted as an SQL string).
pub(crate) fn attach_statement(index_file: &str) -> String {
    format!(
        "ATTACH DATABASE '{}' AS search;",
        index_file.replace('\'', "''")
    )
}

impl SearchIndex {
    /// The index of a store whose main database has `pool` and `writer`,
    /// written through `index` (one connection to the index file); starts
    /// its task on the current tokio runtime. The index's tables are made
    /// by [`SearchIndex::prepare`], once the main database is migrated.
    pub(crate) fn start(pool: AnyPool, writer: AnyPool, index: AnyPool) -> SearchIndex {
        let alive = Arc::new(());
        let shared = Arc::new(Shared {
            pool,
            writer,
            index,
            round: tokio::sync::Mutex::new(0),
        });
        tokio::spawn(run(shared.clone(), Arc::downgrade(&alive)));
        SearchIndex {
            shared,
            _alive: alive,
        }
    }

    /// Makes the index's tables if the file lacks them, and rebuilds the
    /// index from every ticket when it is new, ahead of the main database
    /// (its mark past the last pending row ever written: a backup of the
    /// database restored beside a newer index) or behind it with rows it
    /// lacks no longer pending (an older index restored).
    pub(crate) async fn prepare(&self) -> Result<()> {
        let s = &*self.shared;
        let _round = s.round.lock().await;
        let mut tx = s.index.begin_with("BEGIN IMMEDIATE").await?;
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('ticket_search', 'search_meta')",
        )
        .fetch_one(&mut *tx)
        .await?;
        let mark = if tables == 2 {
            Some(mark_in(&mut tx).await?)
        } else {
            None
        };
        // The last pending row ever written, and the first still there:
        // rows are cleared only up to the index's mark, so every row after
        // the mark is still there.
        let (written, first): (i64, Option<i64>) = {
            let row = sqlx::query(&format!(
                "SELECT {LAST_PENDING} AS written, (SELECT min(id) FROM search_pending) AS first"
            ))
            .fetch_one(&s.pool)
            .await?;
            (row.try_get("written")?, row.try_get("first")?)
        };
        let sound = match mark {
            None => false,
            // Ahead: the database was restored from an older backup.
            Some(mark) if mark > written => false,
            Some(mark) if mark == written => true,
            // Behind: what it lacks must still be pending, or it is an
            // older index restored beside the database.
            Some(mark) => first.is_some_and(|f| f <= mark + 1),
        };
        if sound {
            return Ok(());
        }
        sqlx::query("DROP TABLE IF EXISTS ticket_search")
            .execute(&mut *tx)
            .await?;
        sqlx::query(CREATE_INDEX).execute(&mut *tx).await?;
        // FTS5 merges a level's segments once `automerge` of them pile up
        // (4 by default); at 8 each word's list is rewritten half as often.
        sqlx::query("INSERT INTO ticket_search (ticket_search, rank) VALUES ('automerge', 8)")
            .execute(&mut *tx)
            .await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS search_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            .execute(&mut *tx)
            .await?;
        // Every ticket pending after the mark: the pending rows already
        // there are indexed again with them, which does no harm.
        let mut main = s.writer.begin_with("BEGIN IMMEDIATE").await?;
        let before: i64 = sqlx::query_scalar(&format!("SELECT {LAST_PENDING}"))
            .fetch_one(&mut *main)
            .await?;
        sqlx::query("DELETE FROM search_pending")
            .execute(&mut *main)
            .await?;
        let tickets = sqlx::query(
            "INSERT INTO search_pending (ticket_id) SELECT id FROM tickets ORDER BY id",
        )
        .execute(&mut *main)
        .await?
        .rows_affected();
        if tickets > 0 || mark.is_some() {
            tracing::info!(
                tickets,
                ahead = mark.is_some(),
                "the full-text index of tickets is rebuilt"
            );
        }
        set_mark(&mut tx, before).await?;
        // The index's tables first: should the second commit fail, the
        // next start finds the mark ahead or the rows pending, and
        // rebuilds or indexes them.
        tx.commit().await?;
        main.commit().await?;
        Ok(())
    }

    /// Indexes every ticket pending when it is called, and whatever came
    /// meanwhile in the rounds it takes; waits for a round of the task
    /// under way.
    pub(crate) async fn catch_up(&self) -> Result<()> {
        catch_up(&self.shared).await.map(|_| ())
    }

    /// Catches up before a search ([`SearchIndex::catch_up`]), unless more
    /// than [`SEARCH_WAITS_FOR`] rows are pending (an index being rebuilt,
    /// a burst of mails): then the search reads the index as it stands
    /// rather than wait, and the task goes on. Answers whether it caught up.
    pub(crate) async fn catch_up_for_search(&self) -> Result<bool> {
        let behind: Option<i64> = sqlx::query_scalar(
            "SELECT (SELECT max(id) FROM search_pending) \
             - COALESCE((SELECT value FROM search.search_meta WHERE name = 'indexed'), 0)",
        )
        .fetch_one(&self.shared.pool)
        .await?;
        match behind {
            Some(n) if n > SEARCH_WAITS_FOR => Ok(false),
            Some(n) if n > 0 => self.catch_up().await.map(|()| true),
            _ => Ok(true),
        }
    }

    /// Closes the index file's connection.
    pub(crate) async fn close(&self) {
        self.shared.index.close().await;
    }
}

/// The task: a round whenever tickets are pending.
async fn run(shared: Arc<Shared>, alive: Weak<()>) {
    loop {
        if alive.strong_count() == 0 || shared.pool.is_closed() || shared.index.is_closed() {
            return;
        }
        let pause = match catch_up(&shared).await {
            Ok(0) => IDLE,
            Ok(_) => BUSY,
            Err(e) => {
                // Before the migrations, or the database busy: next time.
                tracing::debug!(error = %e, "full-text index round failed");
                IDLE
            }
        };
        tokio::time::sleep(pause).await;
    }
}

/// Indexes what is pending up to the last row now, by rounds of at most
/// [`PER_ROUND`] rows; answers how many rows it indexed.
async fn catch_up(s: &Shared) -> Result<i64> {
    let mut cleared = s.round.lock().await;
    let upto: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM search_pending")
        .fetch_one(&s.pool)
        .await?;
    let Some(upto) = upto else {
        return Ok(0);
    };
    let mut indexed = 0;
    let mut mark;
    loop {
        let mut tx = s.index.begin_with("BEGIN IMMEDIATE").await?;
        mark = mark_in(&mut tx).await?;
        if mark >= upto {
            break;
        }
        let rows = sqlx::query(
            "SELECT id, ticket_id FROM search_pending WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
        )
        .bind(mark)
        .bind(upto)
        .bind(PER_ROUND)
        .fetch_all(&s.pool)
        .await?;
        let Some(last) = rows.last() else {
            break;
        };
        let last: i64 = last.try_get("id")?;
        let mut tickets = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("ticket_id"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        tickets.sort_unstable();
        tickets.dedup();
        write_rows(&s.pool, &mut tx, &tickets).await?;
        set_mark(&mut tx, last).await?;
        tx.commit().await?;
        indexed += rows.len() as i64;
        mark = last;
        if last >= upto {
            break;
        }
    }
    // Clear what the index holds, now and then: one small write on the
    // main database for many rounds.
    if mark > *cleared && (mark >= upto || mark - *cleared >= CLEAR_EVERY) {
        sqlx::query("DELETE FROM search_pending WHERE id <= ?")
            .bind(mark)
            .execute(&s.writer)
            .await?;
        *cleared = mark;
    }
    Ok(indexed)
}

/// Writes anew, in the index file's transaction `tx`, the rows of
/// `tickets` (sorted, each once) from their title, description and public
/// replies read in the main database; a ticket no longer there loses its
/// row.
async fn write_rows(
    pool: &AnyPool,
    tx: &mut Transaction<'static, Any>,
    tickets: &[i64],
) -> Result<()> {
    for chunk in tickets.chunks(PER_STATEMENT) {
        let texts = texts_of(pool, chunk).await?;
        let mut sql = Sql::new("DELETE FROM ticket_search WHERE rowid IN (");
        sql.bind_list(chunk.iter().copied()).push(")");
        sql.for_backend(Backend::Sqlite)
            .query()
            .execute(&mut **tx)
            .await?;
        let rows: Vec<Vec<Arg>> = texts
            .into_iter()
            .map(|(id, (title, text))| vec![id.into(), title.into(), index_text(&text).into()])
            .collect();
        if !rows.is_empty() {
            Sql::insert_many("ticket_search", &COLUMNS, rows)
                .for_backend(Backend::Sqlite)
                .query()
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// The last pending row the index holds.
async fn mark_in(tx: &mut Transaction<'static, Any>) -> Result<i64> {
    let mark: Option<i64> =
        sqlx::query_scalar("SELECT value FROM search_meta WHERE name = 'indexed'")
            .fetch_optional(&mut **tx)
            .await?;
    Ok(mark.unwrap_or(0))
}

/// Records the last pending row the index holds.
async fn set_mark(tx: &mut Transaction<'static, Any>, mark: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO search_meta (name, value) VALUES ('indexed', ?) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(mark)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The title and the whole text (the description, then each public reply)
/// of each ticket of `ids`, by id, read in the main database.
async fn texts_of(pool: &AnyPool, ids: &[i64]) -> Result<BTreeMap<i64, (String, String)>> {
    let mut texts: BTreeMap<i64, (String, String)> = BTreeMap::new();
    let mut sql = Sql::new("SELECT id, title, description FROM tickets WHERE id IN (");
    sql.bind_list(ids.iter().copied()).push(")");
    let query = sql.for_backend(Backend::Sqlite);
    for row in query.query().fetch_all(pool).await? {
        texts.insert(
            row.try_get("id")?,
            (row.try_get("title")?, row.try_get("description")?),
        );
    }
    let mut sql =
        Sql::new("SELECT ticket_id, body FROM ticket_comments WHERE public = 1 AND ticket_id IN (");
    sql.bind_list(ids.iter().copied()).push(") ORDER BY id");
    let query = sql.for_backend(Backend::Sqlite);
    for row in query.query().fetch_all(pool).await? {
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
    use super::{attach_statement, index_file, index_text};

    #[test]
    fn the_index_file_sits_beside_the_database() {
        assert_eq!(index_file("/data/vigie.db"), "/data/vigie.search.db");
        assert_eq!(
            index_file("/data/tickets.sqlite"),
            "/data/tickets.search.sqlite"
        );
        assert_eq!(index_file("/data/vigie"), "/data/vigie.search.db");
    }

    #[test]
    fn the_attached_file_name_is_quoted() {
        assert_eq!(
            attach_statement("/srv/l'équipe/vigie.search.db"),
            "ATTACH DATABASE '/srv/l''équipe/vigie.search.db' AS search;"
        );
    }

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
