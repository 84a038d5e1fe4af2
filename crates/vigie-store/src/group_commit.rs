//! Group commit: writes that arrive together share one transaction.
//!
//! A single writer task owns the write path of the jobs sent to it. It takes
//! the first job waiting, then every job already queued behind it (up to
//! [`MAX_BATCH`]), runs them all in one transaction and commits once; each
//! caller hears back only after that commit, so an answer still means
//! "stored". When a job fails, the batch is rolled back and each job is run
//! again alone in its own transaction: the failing one gets its own error
//! and the others are not punished for it. Jobs must therefore be
//! re-runnable (`Fn`, not `FnOnce`) and do nothing outside the transaction.
//!
//! The queue is bounded ([`QUEUE`]): when it is full, callers wait for room,
//! so memory stays bounded under overload.

use crate::{Backend, Result, StoreError};
use sqlx::{Any, AnyPool, Transaction};
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

/// The most jobs one transaction takes.
pub const MAX_BATCH: usize = 256;
/// How many jobs may wait for the writer.
pub const QUEUE: usize = 4096;

/// A boxed future borrowing the transaction.
pub(crate) type TxFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// A job's work: re-runnable, it only touches the transaction it is given.
pub(crate) type Work<T> =
    Box<dyn for<'c> Fn(&'c mut Transaction<'static, Any>) -> TxFuture<'c, T> + Send + Sync>;

/// What the writer task needs to know of a job, whatever its result type.
trait Job: Send {
    /// Runs the work in `tx`, keeping its output until the batch's fate is
    /// known.
    fn run<'c>(&'c mut self, tx: &'c mut Transaction<'static, Any>) -> TxFuture<'c, ()>;
    /// Forgets the output of a run whose transaction was rolled back.
    fn reset(&mut self);
    /// Hands the result to the caller: the output if `committed` is `Ok`.
    fn finish(self: Box<Self>, committed: Result<()>);
}

struct TypedJob<T> {
    work: Work<T>,
    output: Option<T>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Job for TypedJob<T> {
    fn run<'c>(&'c mut self, tx: &'c mut Transaction<'static, Any>) -> TxFuture<'c, ()> {
        Box::pin(async move {
            self.output = Some((self.work)(tx).await?);
            Ok(())
        })
    }

    fn reset(&mut self) {
        self.output = None;
    }

    fn finish(self: Box<Self>, committed: Result<()>) {
        let TypedJob { output, reply, .. } = *self;
        let result = committed.and_then(|()| {
            output.ok_or_else(|| StoreError::Database("a grouped write lost its result".into()))
        });
        // The caller may have gone (its request was cancelled): the write
        // stands all the same.
        let _ = reply.send(result);
    }
}

/// The handle on the writer task; cheap to clone. The task ends when the
/// last handle is dropped.
#[derive(Clone, Debug)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Box<dyn Job>>,
}

impl GroupCommit {
    /// Starts the writer task on the current tokio runtime.
    pub(crate) fn start(pool: AnyPool, backend: Backend) -> GroupCommit {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(writer(pool, backend, jobs));
        GroupCommit { queue }
    }

    /// Runs `work` in the next batch and returns its output once committed.
    pub(crate) async fn run<T: Send + 'static>(&self, work: Work<T>) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(TypedJob {
            work,
            output: None,
            reply,
        });
        self.queue
            .send(job)
            .await
            .map_err(|_| StoreError::Database("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Database("the writer stopped before answering".into()))?
    }
}

/// Every place of a writer's queue, taken (see [`GroupCommit::hold_queue`]);
/// dropping it gives them back.
pub struct HeldQueue {
    _places: Vec<mpsc::OwnedPermit<Box<dyn Job>>>,
}

impl GroupCommit {
    /// Takes every free place of the queue, as that many waiting writes
    /// would: until the answer is dropped, [`GroupCommit::try_run`] refuses
    /// with [`StoreError::Busy`] (for tests of the overload path).
    pub(crate) fn hold_queue(&self) -> HeldQueue {
        let mut places = Vec::with_capacity(QUEUE);
        while let Ok(place) = self.queue.clone().try_reserve_owned() {
            places.push(place);
        }
        HeldQueue { _places: places }
    }

    /// Like [`GroupCommit::run`], but refuses at once with
    /// [`StoreError::Busy`] when the queue is full instead of waiting for
    /// room: ingestion answers "retry later" rather than holding requests.
    pub(crate) async fn try_run<T: Send + 'static>(&self, work: Work<T>) -> Result<T> {
        let permit = self.queue.try_reserve().map_err(|e| match e {
            mpsc::error::TrySendError::Full(()) => StoreError::Busy,
            mpsc::error::TrySendError::Closed(()) => {
                StoreError::Database("the writer has stopped".into())
            }
        })?;
        let (reply, answer) = oneshot::channel();
        permit.send(Box::new(TypedJob {
            work,
            output: None,
            reply,
        }));
        answer
            .await
            .map_err(|_| StoreError::Database("the writer stopped before answering".into()))?
    }
}

async fn begin(pool: &AnyPool, backend: Backend) -> Result<Transaction<'static, Any>> {
    Ok(match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    })
}

async fn writer(pool: AnyPool, backend: Backend, mut jobs: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(failed) = run_batch(&pool, backend, &mut batch).await {
            tracing::debug!(error = %failed, jobs = batch.len(), "grouped write failed; running its jobs one by one");
            for mut job in batch.drain(..) {
                job.reset();
                let outcome = run_alone(&pool, backend, job.as_mut()).await;
                job.finish(outcome);
            }
        }
    }
}

/// Runs the whole batch in one transaction; on success every caller gets
/// its output. On failure nothing is committed and the jobs stay in `batch`.
async fn run_batch(pool: &AnyPool, backend: Backend, batch: &mut Vec<Box<dyn Job>>) -> Result<()> {
    let mut tx = begin(pool, backend).await?;
    for job in batch.iter_mut() {
        job.run(&mut tx).await?;
    }
    tx.commit().await?;
    for job in batch.drain(..) {
        job.finish(Ok(()));
    }
    Ok(())
}

async fn run_alone(pool: &AnyPool, backend: Backend, job: &mut dyn Job) -> Result<()> {
    let mut tx = begin(pool, backend).await?;
    job.run(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Store, testing};

    /// Inserts `k` into a table of unique keys: a repeated `k` fails inside
    /// the transaction, as a broken constraint would.
    fn insert_key(k: i64) -> Work<i64> {
        Box::new(move |tx| {
            Box::pin(async move {
                sqlx::query("INSERT INTO group_commit_probe (k) VALUES ($1)")
                    .bind(k)
                    .execute(&mut **tx)
                    .await?;
                Ok(k)
            })
        })
    }

    async fn keys(store: &Store) -> Vec<i64> {
        use sqlx::Row;
        sqlx::query("SELECT k FROM group_commit_probe ORDER BY k")
            .fetch_all(store.pool())
            .await
            .expect("keys")
            .iter()
            .map(|r| r.try_get::<i64, _>("k").expect("k"))
            .collect()
    }

    /// Many writers at once: every one hears back, a failing job gets its
    /// own error and does not undo the others, and what was answered `Ok`
    /// is stored exactly once.
    async fn story(store: Store) {
        sqlx::query("CREATE TABLE group_commit_probe (k BIGINT PRIMARY KEY)")
            .execute(store.pool())
            .await
            .expect("probe table");
        let mut tasks = Vec::new();
        for k in 0..300_i64 {
            // Key 150 is sent twice: exactly one of the two must fail.
            let k = if k == 151 { 150 } else { k };
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.group_commit().run(insert_key(k)).await
            }));
        }
        let mut ok = Vec::new();
        let mut conflicts = 0;
        for t in tasks {
            match t.await.expect("task") {
                Ok(k) => ok.push(k),
                Err(StoreError::Conflict { .. }) => conflicts += 1,
                Err(e) => panic!("unexpected error {e}"),
            }
        }
        ok.sort_unstable();
        assert_eq!(conflicts, 1);
        assert_eq!(ok.len(), 299);
        assert_eq!(keys(&store).await, ok);
    }

    /// When the queue is full, `try_run` refuses at once (the shell answers
    /// 503) and the refused work is never run; once there is room, the
    /// same work goes through.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once_and_runs_nothing() {
        let store = testing::sqlite().await.expect("sqlite");
        sqlx::query("CREATE TABLE group_commit_probe (k BIGINT PRIMARY KEY)")
            .execute(store.pool())
            .await
            .expect("probe table");
        // Every place of the queue taken, as by QUEUE jobs waiting.
        let mut places = Vec::with_capacity(QUEUE);
        for _ in 0..QUEUE {
            places.push(store.group_commit().queue.try_reserve().expect("room"));
        }
        match store.group_commit().try_run(insert_key(1)).await {
            Err(StoreError::Busy) => {}
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(places);
        assert_eq!(
            store
                .group_commit()
                .try_run(insert_key(1))
                .await
                .expect("room again"),
            1
        );
        assert_eq!(keys(&store).await, vec![1], "the refused job wrote nothing");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_commit_on_sqlite() {
        story(testing::sqlite().await.expect("sqlite")).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_commit_on_postgres() {
        if let Some(store) = testing::postgres().await.expect("postgres") {
            story(store).await;
        }
    }
}
