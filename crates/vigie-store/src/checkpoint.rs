//! SQLite's WAL checkpoints, off the writer's path: a task copies what the
//! write-ahead log holds into the database file (`PRAGMA
//! wal_checkpoint(PASSIVE)`, which waits for no reader nor writer) on a
//! connection of the read pool, so on another thread, while the writer
//! goes on. The writer's own automatic checkpoint is set far higher
//! ([`WRITER_AUTOCHECKPOINT`] pages): it only runs should this task fall
//! behind, and then bounds the log as before. The task looks again soon
//! while the log grows, seldom when it does not, and ends with the store.

use sqlx::{AnyPool, Row};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// The writer connection's automatic checkpoint, in pages (64 MiB of 4 KiB
/// pages; SQLite's default is 1,000).
pub(crate) const WRITER_AUTOCHECKPOINT: u32 = 16_384;

/// How soon the task looks again after a checkpoint that copied pages.
const BUSY: Duration = Duration::from_millis(20);

/// How soon it looks again when the log held nothing new.
const IDLE: Duration = Duration::from_millis(200);

/// Keeps the checkpoint task alive: the task ends once every clone of the
/// store that holds it is dropped.
#[derive(Clone, Debug, Default)]
pub(crate) struct Checkpoints(Arc<()>);

impl Checkpoints {
    /// Starts the task on the current tokio runtime, checkpointing through
    /// `pool`.
    pub(crate) fn start(pool: AnyPool) -> Checkpoints {
        let alive = Checkpoints::default();
        tokio::spawn(run(pool, Arc::downgrade(&alive.0)));
        alive
    }
}

async fn run(pool: AnyPool, alive: Weak<()>) {
    let mut copied_last = 0i64;
    loop {
        if alive.strong_count() == 0 || pool.is_closed() {
            return;
        }
        // (busy, frames in the log, frames copied into the file)
        let copied = match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await
        {
            Ok(row) => row.try_get::<i64, _>(2).unwrap_or(0),
            Err(e) => {
                tracing::debug!(error = %e, "background checkpoint failed");
                0
            }
        };
        let pause = if copied > 0 && copied != copied_last {
            BUSY
        } else {
            IDLE
        };
        copied_last = copied;
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use crate::testing;

    /// What the writer commits reaches the database file without the
    /// writer checkpointing (its own threshold is far above what is
    /// written here): the task copied it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_is_copied_into_the_file_by_the_task() {
        let store = testing::sqlite().await.expect("store");
        let file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(store.pool())
                .await
                .expect("file");
        sqlx::query("CREATE TABLE checkpoint_probe (k BIGINT PRIMARY KEY, v TEXT)")
            .execute(store.pool())
            .await
            .expect("probe table");
        let before = std::fs::metadata(&file).expect("file").len();
        let mut tx = store.write_tx().await.expect("write");
        let text = "x".repeat(4000);
        for k in 0..1000_i64 {
            sqlx::query("INSERT INTO checkpoint_probe (k, v) VALUES ($1, $2)")
                .bind(k)
                .bind(text.as_str())
                .execute(&mut *tx)
                .await
                .expect("insert");
        }
        tx.commit().await.expect("commit");
        // About 4 MB in the log, under the writer's threshold: only the
        // task copies it (bounded wait).
        let mut grown = 0;
        for _ in 0..200 {
            grown = std::fs::metadata(&file).expect("file").len();
            if grown > before + 3_000_000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(grown > before + 3_000_000, "{before} → {grown} bytes");
    }
}
