//! Received mails, from their bytes to what they became: parsed
//! ([`super::parse`]), looked up (threading ids, subject tag, sender,
//! recent mails from him) and decided by the core
//! (`vigie_core::mail::decide`) a batch at a time ([`plan`]: the look-ups
//! of the whole batch in a few statements, each mail seeing what those
//! before it in the batch made), then stored with what they made in one
//! transaction. The IMAP poller and `vigie ingest mail` both hand their
//! mails over by batches ([`ingest_batch`]: up to [`BATCH`] mails a
//! transaction), and [`ingest`] handles one mail alone as a batch of one,
//! so a mail is handled the same whichever way it came.
//!
//! A mail that cannot be read, or whose outcome the store refuses (a
//! ticket closed meanwhile, a rule naming an entity of another tenant), is
//! recorded as `failed` with the reason and does not stop the mailbox; only
//! a database failure is returned as an error, so the caller leaves the mail
//! unread and tries again later.

mod plan;

use super::parse::{self, Limits, ParsedMail};
use super::rules_wire::compile_stored;
use crate::AppState;
use plan::{Planner, Slot};
use vigie_core::ids::TicketId;
use vigie_core::mail::rules::{Placement, RuleError, RuleSet};
use vigie_core::mail::{MailDecision, MailboxPolicy, RateLimit};
use vigie_core::tenancy::Scope;
use vigie_store::{
    EntityRecord, IntegrationKeyRecord, MailStored, MailWrite, MailboxRecord, ReceivedMail,
    StoreError,
};

/// A mailbox with what its mails need: its rules compiled, its entity, its
/// events' key.
#[derive(Clone, Debug)]
pub struct MailboxContext {
    /// The mailbox.
    pub mailbox: MailboxRecord,
    /// Its rules.
    pub rules: RuleSet,
    /// Its default entity.
    pub entity: EntityRecord,
    /// The key its events are stored under.
    pub key: Option<IntegrationKeyRecord>,
    /// The parser's limits.
    pub limits: Limits,
    /// The tenant's ticket settings, read once per context (one IMAP run).
    pub settings: vigie_store::TicketSettings,
    /// The tenant's assignment rules, read once per context.
    pub routing: Vec<vigie_core::ticket::routing::RoutingRule>,
}

/// Why a mail could not be handled now (it stays unread, to try again).
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The database failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The mailbox's stored rules are unreadable.
    #[error("the mailbox's rules: {0}")]
    Rules(#[from] RuleError),
}

impl MailboxContext {
    /// Loads what a mailbox's mails need.
    pub async fn load(state: &AppState, mailbox: MailboxRecord) -> Result<Self, IntakeError> {
        let (_, rules) = compile_stored(&mailbox.rules)?;
        let entity = state
            .store()
            .get_entity(&Scope::Platform, mailbox.entity_id)
            .await?;
        let key = match mailbox.integration_key_id {
            Some(k) => Some(
                state
                    .store()
                    .get_integration_key(&Scope::Platform, k)
                    .await?,
            ),
            None => None,
        };
        let settings = state.store().ticket_settings(mailbox.tenant_id).await?;
        let routing = state
            .store()
            .list_assignment_rules(mailbox.tenant_id)
            .await?;
        Ok(MailboxContext {
            mailbox,
            rules,
            entity,
            key,
            limits: Limits::default(),
            settings,
            routing,
        })
    }

    fn policy(&self) -> MailboxPolicy<'_> {
        MailboxPolicy {
            rules: &self.rules,
            defaults: Placement {
                entity: Some(self.mailbox.entity_id),
                category: self.mailbox.category_id,
                ..Placement::default()
            },
            unknown: self.mailbox.unknown_senders,
            single_contact: self.mailbox.single_contact,
            rate: RateLimit {
                max: self.mailbox.rate_max,
                window: jiff::SignedDuration::from_secs(self.mailbox.rate_window_seconds),
            },
        }
    }
}

/// What a mail became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new ticket.
    Ticket(TicketId),
    /// A reply on a ticket.
    Reply(TicketId),
    /// An event.
    Event,
    /// Ignored, and why.
    Ignored(String),
    /// Refused with a notice, and why.
    Refused(String),
    /// Recorded as failed, and why.
    Failed(String),
    /// Stored already.
    Duplicate,
}

/// The most mails one transaction stores ([`ingest_batch`]).
pub const BATCH: usize = 100;

/// The most bytes of mail a mailbox's batch holds ([`Batcher`]), so that a
/// folder of large mails is not read whole into memory: 100 mails of
/// 50 MB would be 5 GB.
pub const BATCH_BYTES: usize = 64 * 1024 * 1024;

/// Gathers mails read one by one into batches of at most `max_mails` mails
/// and `max_bytes` bytes (a mail bigger than that makes a batch alone),
/// each mail kept with its key (its UID).
#[derive(Debug)]
pub struct Batcher<K> {
    max_mails: usize,
    max_bytes: usize,
    mails: Vec<(K, Vec<u8>)>,
    bytes: usize,
}

impl<K> Batcher<K> {
    /// An empty batcher with these bounds.
    pub fn new(max_mails: usize, max_bytes: usize) -> Batcher<K> {
        Batcher {
            max_mails: max_mails.max(1),
            max_bytes,
            mails: Vec::new(),
            bytes: 0,
        }
    }

    /// Adds a mail; answers the batch to store first when this mail does
    /// not fit in it.
    pub fn push(&mut self, key: K, raw: Vec<u8>) -> Option<Vec<(K, Vec<u8>)>> {
        let full = !self.mails.is_empty()
            && (self.mails.len() >= self.max_mails
                || self.bytes.saturating_add(raw.len()) > self.max_bytes);
        let ready = full.then(|| self.take());
        self.bytes = self.bytes.saturating_add(raw.len());
        self.mails.push((key, raw));
        ready
    }

    /// The last batch, if any mail is left.
    pub fn finish(mut self) -> Option<Vec<(K, Vec<u8>)>> {
        (!self.mails.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> Vec<(K, Vec<u8>)> {
        self.bytes = 0;
        std::mem::take(&mut self.mails)
    }
}

/// What the core would decide for a mail, and the parsed mail: nothing is
/// written (the rule tester; the look-ups run in a transaction rolled back).
pub async fn preview(
    state: &AppState,
    ctx: &MailboxContext,
    raw: &[u8],
) -> Result<Result<(ParsedMail, MailDecision), parse::ParseError>, IntakeError> {
    let mail = match parse::parse(raw, &ctx.limits) {
        Ok(m) => m,
        Err(e) => return Ok(Err(e)),
    };
    let now = state.clock().now();
    let mut batch = state.store().begin_mail_batch().await?;
    let id = mail.message_id.clone();
    let parsed = [Ok(mail)];
    let mut planner = Planner::read(state, ctx, &mut batch, &parsed, &[id], now).await?;
    let [Ok(mail)] = parsed else {
        return Err(StoreError::Database("the mail went missing".into()).into());
    };
    let decided = planner.decide(&mail).await?;
    Ok(Ok((mail, decided.decision)))
}

/// Handles one raw mail for a mailbox, in its own transaction.
pub async fn ingest(
    state: &AppState,
    ctx: &MailboxContext,
    raw: &[u8],
) -> Result<Outcome, IntakeError> {
    let raws = [raw];
    let parsed = vec![parse_one(ctx, raw)];
    match write_batch(state, ctx, &raws, parsed).await?.0 {
        Written::Done(mut outcomes) if outcomes.len() == 1 => {
            Ok(outcomes.pop().unwrap_or(Outcome::Duplicate))
        }
        Written::Done(_) => Err(StoreError::Database("a mail was left unhandled".into()).into()),
        // Another writer stored it meanwhile: what was written for it is
        // rolled back.
        Written::Raced => Ok(Outcome::Duplicate),
        Written::Refused {
            record: None,
            error,
        } => Err(error.into()),
        Written::Refused {
            record: Some(record),
            error,
        } => {
            tracing::warn!(mailbox = %ctx.mailbox.id, message_id = %record.message_id, error = %error, "mail not stored");
            record_failed(state, record, error.to_string()).await
        }
    }
}

/// Records, as failed, a mail too large to be read ([`Limits::max_bytes`])
/// from its header alone (its first bytes: the IMAP poller fetches no
/// more of it) and its size: its Message-ID, sender and subject as the
/// header gives them, so that reading it again finds it recorded.
pub async fn refuse_too_large(
    state: &AppState,
    ctx: &MailboxContext,
    header: &[u8],
    size: usize,
) -> Result<Outcome, IntakeError> {
    let error = parse::ParseError::TooLarge {
        size,
        max: ctx.limits.max_bytes,
    };
    let facts = parse::header_facts(header);
    let record = ReceivedMail {
        tenant_id: ctx.mailbox.tenant_id,
        mailbox_id: Some(ctx.mailbox.id),
        message_id: facts.message_id.unwrap_or_else(|| fallback_id(header)),
        from: facts.from,
        subject: facts.subject,
        html: None,
    };
    tracing::warn!(mailbox = %ctx.mailbox.id, message_id = %record.message_id, reason = %error, "mail refused");
    record_failed(state, record, error.to_string()).await
}

/// Stores a mail's record as failed, and why, in a transaction of its own.
async fn record_failed(
    state: &AppState,
    record: ReceivedMail,
    reason: String,
) -> Result<Outcome, IntakeError> {
    let now = state.clock().now();
    let mut batch = state.store().begin_mail_batch().await?;
    let planned = vigie_store::PlannedMail {
        record,
        reason: String::new(),
        write: MailWrite::Nothing {
            outcome: "failed",
            reason: reason.clone(),
            notice: None,
        },
    };
    match batch.store_all(now, vec![planned]).await?.as_slice() {
        [MailStored::Stored { .. }] => {
            batch.commit().await?;
            Ok(Outcome::Failed(reason))
        }
        _ => Ok(Outcome::Duplicate),
    }
}

/// Handles mails read together, in one transaction per [`BATCH`] mails,
/// and answers what each became, in order, once committed. A reply to a
/// mail of the same batch threads to its ticket; the same Message-ID twice
/// is stored once. If the store refuses a mail of a batch, or the batch
/// fails, its mails are handled again one by one ([`ingest`]), so that the
/// culprit is recorded as failed and the others stored; only a database
/// failure of that second pass is returned. The next batch is parsed on a
/// blocking thread while one is written.
pub async fn ingest_batch(
    state: &AppState,
    ctx: &MailboxContext,
    raws: &[Vec<u8>],
) -> Result<Vec<Outcome>, IntakeError> {
    let mut outcomes = Vec::with_capacity(raws.len());
    // The mails from `next` on that are parsed, in order; those up to
    // `parsing_to` are being parsed by `parsing`.
    let mut next = 0;
    let mut parsed: std::collections::VecDeque<Parsed> = std::collections::VecDeque::new();
    let mut parsing = (!raws.is_empty()).then(|| parse_later(ctx, raws));
    let mut parsing_to = BATCH.min(raws.len());
    while next < raws.len() {
        if parsed.len() < BATCH
            && let Some(job) = parsing.take()
        {
            match job.await {
                Ok(done) => parsed.extend(done),
                // The parser panicked: parse here, where it shows.
                Err(_) => {
                    let from = next + parsed.len();
                    parsed.extend(raws[from..parsing_to].iter().map(|r| parse_one(ctx, r)));
                }
            }
        }
        if parsing.is_none() && parsing_to < raws.len() {
            parsing = Some(parse_later(ctx, &raws[parsing_to..]));
            parsing_to = (parsing_to + BATCH).min(raws.len());
        }
        let n = parsed.len().min(BATCH);
        let chunk: Vec<&[u8]> = raws[next..next + n].iter().map(Vec::as_slice).collect();
        let mails: Vec<Parsed> = parsed.drain(..n).collect();
        let (done, left) = if n > 1 {
            match write_batch(state, ctx, &chunk, mails).await {
                Ok((Written::Done(done), left)) => (done, left),
                Ok((Written::Raced | Written::Refused { .. }, _)) => (Vec::new(), Vec::new()),
                Err(e) => {
                    tracing::warn!(mailbox = %ctx.mailbox.id, error = %e, "batch of mails failed, mail by mail");
                    (Vec::new(), Vec::new())
                }
            }
        } else {
            (Vec::new(), Vec::new())
        };
        if done.is_empty() {
            for raw in &chunk {
                outcomes.push(ingest(state, ctx, raw).await?);
            }
            next += n;
        } else {
            next += done.len();
            outcomes.extend(done);
            // What a cut batch left is parsed already: it leads the next.
            for m in left.into_iter().rev() {
                parsed.push_front(m);
            }
        }
    }
    Ok(outcomes)
}

/// A mail parsed, or why it could not be.
type Parsed = Result<ParsedMail, parse::ParseError>;

fn parse_one(ctx: &MailboxContext, raw: &[u8]) -> Parsed {
    parse::parse(raw, &ctx.limits)
}

/// Parses the first [`BATCH`] of `raws` on a blocking thread.
fn parse_later(ctx: &MailboxContext, raws: &[Vec<u8>]) -> tokio::task::JoinHandle<Vec<Parsed>> {
    let raws: Vec<Vec<u8>> = raws.iter().take(BATCH).cloned().collect();
    let limits = ctx.limits;
    tokio::task::spawn_blocking(move || raws.iter().map(|r| parse::parse(r, &limits)).collect())
}

/// What became of a batch.
enum Written {
    /// Committed: what the first mails became (all of them, or those before
    /// a mail that must start the next batch).
    Done(Vec<Outcome>),
    /// A mail of it was stored meanwhile by another writer: rolled back.
    Raced,
    /// The store refused what it made: rolled back. The record is that of
    /// the mail, for a batch of one.
    Refused {
        record: Option<ReceivedMail>,
        error: StoreError,
    },
}

/// Decides the mails in order, then writes what they make in one
/// transaction. `parsed` are the mails of `raws`, parsed; the mails left
/// when a mail must start the next batch are given back, parsed.
async fn write_batch(
    state: &AppState,
    ctx: &MailboxContext,
    raws: &[&[u8]],
    parsed: Vec<Parsed>,
) -> Result<(Written, Vec<Parsed>), IntakeError> {
    let now = state.clock().now();
    let ids: Vec<String> = parsed
        .iter()
        .zip(raws)
        .map(|(p, raw)| match p {
            Ok(m) => m.message_id.clone(),
            Err(_) => fallback_id(raw),
        })
        .collect();
    let mut batch = state.store().begin_mail_batch().await?;
    let mut planner = Planner::read(state, ctx, &mut batch, &parsed, &ids, now).await?;
    let mut slots = Vec::with_capacity(raws.len());
    for (mail, id) in parsed.iter().zip(ids) {
        if planner.seen(&id) {
            slots.push(Slot::Duplicate);
            continue;
        }
        let k = planner.plans.len();
        match mail {
            Err(e) => planner.unreadable(id, e),
            Ok(mail) => {
                let decided = planner.decide(mail).await?;
                if !planner.plan(mail, decided).await? {
                    break;
                }
            }
        }
        slots.push(Slot::Planned(k));
    }
    let left: Vec<Parsed> = parsed.into_iter().skip(slots.len()).collect();
    let first = match (raws.len(), planner.plans.first()) {
        (1, Some(p)) => Some(p.record.clone()),
        _ => None,
    };
    let Planner { plans, .. } = planner;
    let known: Vec<Option<Outcome>> = plans.iter().map(|p| known_outcome(&p.write)).collect();
    let stored = match batch.store_all(now, plans).await {
        Ok(stored) => stored,
        Err(e @ (StoreError::Database(_) | StoreError::Busy)) => return Err(e.into()),
        Err(error) => {
            return Ok((
                Written::Refused {
                    record: first,
                    error,
                },
                left,
            ));
        }
    };
    if stored.contains(&MailStored::Duplicate) {
        return Ok((Written::Raced, left));
    }
    batch.commit().await?;
    let mut answers: Vec<Option<Outcome>> = stored
        .into_iter()
        .zip(known)
        .map(|(s, r)| Some(outcome(s, r)))
        .collect();
    if answers.iter().flatten().any(|o| *o == Outcome::Event) {
        state.events_waiting().notify_one();
    }
    let done = slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Duplicate => Outcome::Duplicate,
            Slot::Planned(k) => answers
                .get_mut(k)
                .and_then(Option::take)
                .unwrap_or(Outcome::Duplicate),
        })
        .collect();
    Ok((Written::Done(done), left))
}

/// What a mail's write says it became before it is stored: all but a
/// ticket or a reply, whose ids come from the store.
fn known_outcome(write: &MailWrite) -> Option<Outcome> {
    match write {
        MailWrite::Nothing {
            outcome, reason, ..
        } => Some(match *outcome {
            "ignored" => Outcome::Ignored(reason.clone()),
            "refused" => Outcome::Refused(reason.clone()),
            _ => Outcome::Failed(reason.clone()),
        }),
        MailWrite::Event { .. } => Some(Outcome::Event),
        MailWrite::Ticket { .. } | MailWrite::Reply { .. } => None,
    }
}

/// What a written mail became.
fn outcome(stored: MailStored, known: Option<Outcome>) -> Outcome {
    match (known, stored) {
        (Some(o), _) => o,
        (
            None,
            MailStored::Stored {
                ticket_id: Some(t),
                comment_id,
            },
        ) => match comment_id {
            Some(_) => Outcome::Reply(t),
            None => Outcome::Ticket(t),
        },
        (None, _) => Outcome::Failed("nothing was made".into()),
    }
}

/// The id of a mail that could not be read: a hash of its bytes, so that
/// reading it again finds it recorded.
fn fallback_id(raw: &[u8]) -> String {
    use sha2::Digest;
    format!(
        "sha256-{}@vigie.invalid",
        crate::api::attachments::hex(&sha2::Sha256::digest(raw))
    )
}

#[cfg(test)]
mod tests {
    use super::Batcher;

    /// The keys of each batch a sequence of mails of these sizes makes.
    fn batches(max_mails: usize, max_bytes: usize, sizes: &[usize]) -> Vec<Vec<usize>> {
        let mut batcher = Batcher::new(max_mails, max_bytes);
        let mut out = Vec::new();
        for (i, size) in sizes.iter().enumerate() {
            if let Some(b) = batcher.push(i, vec![b'x'; *size]) {
                out.push(b.into_iter().map(|(k, _)| k).collect());
            }
        }
        if let Some(b) = batcher.finish() {
            out.push(b.into_iter().map(|(k, _)| k).collect());
        }
        out
    }

    #[test]
    fn a_batch_stops_at_its_count() {
        assert_eq!(
            batches(2, 1_000, &[1, 1, 1, 1, 1]),
            vec![vec![0, 1], vec![2, 3], vec![4]]
        );
    }

    #[test]
    fn a_batch_stops_before_the_mail_that_would_pass_its_bytes() {
        assert_eq!(
            batches(100, 10, &[4, 4, 4, 6, 10]),
            vec![vec![0, 1], vec![2, 3], vec![4]]
        );
    }

    #[test]
    fn a_mail_bigger_than_a_batch_goes_alone() {
        assert_eq!(
            batches(100, 10, &[3, 50, 3]),
            vec![vec![0], vec![1], vec![2]]
        );
    }

    #[test]
    fn nothing_read_makes_no_batch() {
        assert!(batches(100, 10, &[]).is_empty());
    }
}
