//! The lifecycle's outcomes written: the new status and what comes with it
//! (assessment, votes, planned window, review), in one transaction with its
//! audit line, and only if the change is still at the version the decision
//! was made from.
//!
//! A change that gets a planned window opens a **maintenance window** for
//! its items (and what sits below them) in event management, and a
//! **maintenance record** for each business service it touches, which the
//! availability report leaves out; both carry `change_id`. Moving the window
//! moves them; cancelling the change removes those not yet begun and ends
//! the others; completing or backing out ends them at that moment.

use super::{ChangeRecord, bump, fields, target, write_tickets};
use crate::audit::record;
use crate::sql::{Arg, Sql};
use crate::{Result, Store, StoreError, from_micros, micros};
use sqlx::{Any, Row, Transaction};
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::change::approval::{BoardKind, Decision, Vote};
use vigie_core::change::lifecycle::Review;
use vigie_core::change::risk::ImpactClass;
use vigie_core::change::{ChangeStatus, Likelihood, RiskLevel};
use vigie_core::ids::{TicketId, UserId};
use vigie_core::sla::availability::Interval;
use vigie_core::tenancy::Actor;

/// A recorded vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteRecord {
    /// The round it was given in.
    pub round: i64,
    /// The board.
    pub board: BoardKind,
    /// The vote.
    pub vote: Vote,
    /// When.
    pub voted_at: Timestamp,
}

/// What the maintenance records of a change should be after a transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Maintenance {
    /// Left as they are.
    Keep,
    /// Replaced by windows over the planned window, covering the change's
    /// items, and maintenance of these business services (their names).
    Plan {
        /// The business services the change touches.
        services: Vec<String>,
    },
    /// Ended now (those not yet begun are removed).
    End,
}

/// What a transition writes besides the status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The new status.
    pub status: ChangeStatus,
    /// The assessment: likelihood, impact class and risk.
    pub assessment: Option<(Likelihood, ImpactClass, RiskLevel)>,
    /// A vote to record, on this board.
    pub vote: Option<(BoardKind, Vote)>,
    /// Start a new round of votes.
    pub new_round: bool,
    /// The planned window and its flags.
    pub window: Option<(Interval, Vec<serde_json::Value>)>,
    /// The review, with the incidents the change caused.
    pub review: Option<(Review, Vec<TicketId>)>,
    /// A reason given with the action (send back, back out, cancel).
    pub reason: Option<String>,
    /// What happens to the maintenance records.
    pub maintenance: Maintenance,
}

impl Transition {
    /// A plain move to `status`.
    pub fn to(status: ChangeStatus) -> Transition {
        Transition {
            status,
            assessment: None,
            vote: None,
            new_round: false,
            window: None,
            review: None,
            reason: None,
            maintenance: Maintenance::Keep,
        }
    }
}

impl Store {
    /// Writes a transition decided from `before` (a conflict if the change
    /// was modified since it was read).
    pub async fn transition_change(
        &self,
        actor: &Actor,
        before: &ChangeRecord,
        now: Timestamp,
        t: &Transition,
    ) -> Result<ChangeRecord> {
        let mut after = before.clone();
        after.status = t.status;
        after.updated_at = now;
        after.version += 1;
        let mut values: Vec<(&'static str, Arg)> = vec![
            ("status", t.status.as_str().into()),
            ("updated_at", micros(now).into()),
            ("version", after.version.into()),
        ];
        if let Some((l, i, r)) = t.assessment {
            (after.likelihood, after.impact_class, after.risk) = (Some(l), Some(i), Some(r));
            values.push(("likelihood", l.as_str().into()));
            values.push(("impact_class", i.as_str().into()));
            values.push(("risk", r.as_str().into()));
        }
        if t.new_round {
            after.approval_round += 1;
            values.push(("approval_round", after.approval_round.into()));
        }
        if let Some((window, flags)) = &t.window {
            after.planned_start = Some(window.start);
            after.planned_end = Some(window.end);
            after.flags = flags.clone();
            let flags = serde_json::to_string(flags)
                .map_err(|e| StoreError::Database(format!("flags encoding: {e}")))?;
            values.push(("planned_start", micros(window.start).into()));
            values.push(("planned_end", micros(window.end).into()));
            values.push(("flags", flags.into()));
        }
        if let Some((review, caused)) = &t.review {
            after.review_success = Some(review.success);
            after.review_problems = review.problems.clone();
            after.review_lessons = review.lessons.clone();
            let mut caused = caused.clone();
            caused.sort();
            caused.dedup();
            after.caused = caused;
            values.push(("review_success", review.success.into()));
            values.push(("review_problems", review.problems.as_str().into()));
            values.push(("review_lessons", review.lessons.as_str().into()));
        }
        let mut tx = self.write_tx().await?;
        bump(&mut tx, before, values).await?;
        if let Some((board, vote)) = &t.vote {
            Sql::insert(
                "change_votes",
                vec![
                    ("tenant_id", before.tenant_id.0.into()),
                    ("change_id", before.id.0.into()),
                    ("round", before.approval_round.into()),
                    ("board", board.as_str().into()),
                    ("voter_id", vote.voter.0.into()),
                    ("decision", vote.decision.as_str().into()),
                    ("comment", vote.comment.as_str().into()),
                    ("voted_at", micros(now).into()),
                ],
            )
            .query()
            .execute(&mut *tx)
            .await?;
        }
        if t.review.is_some() {
            for ticket in &after.caused {
                let found = Sql::new("SELECT id FROM tickets WHERE tenant_id = ")
                    .bind(before.tenant_id.0)
                    .push(" AND id = ")
                    .bind(ticket.0)
                    .query()
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::Invalid(format!(
                        "caused_incidents: there is no ticket {ticket} in this tenant"
                    )));
                }
            }
            Sql::new("DELETE FROM change_tickets WHERE change_id = ")
                .bind(before.id.0)
                .push(" AND role = 'caused'")
                .query()
                .execute(&mut *tx)
                .await?;
            write_tickets(&mut tx, &after, "caused", &after.caused).await?;
        }
        sync_maintenance(&mut tx, &after, now, &t.maintenance).await?;
        let mut before_fields = fields(before);
        let mut after_fields = fields(&after);
        if let Some((_, vote)) = &t.vote {
            after_fields.push((
                "vote",
                Some(format!(
                    "{} by #{}: {}",
                    vote.decision, vote.voter, vote.comment
                )),
            ));
        }
        if let Some(reason) = &t.reason {
            before_fields.push(("reason", None));
            after_fields.push(("reason", Some(reason.clone())));
        }
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&before_fields),
            Some(&after_fields),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The votes of a change in its current round, oldest first.
    pub async fn change_votes(&self, change: &ChangeRecord) -> Result<Vec<VoteRecord>> {
        let rows = Sql::new(
            "SELECT round, board, voter_id, decision, comment, voted_at FROM change_votes WHERE change_id = ",
        )
        .bind(change.id.0)
        .push(" AND round = ")
        .bind(change.approval_round)
        .push(" ORDER BY id")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let board: String = r.try_get("board")?;
                let decision: String = r.try_get("decision")?;
                Ok(VoteRecord {
                    round: r.try_get("round")?,
                    board: board
                        .parse()
                        .map_err(|_| StoreError::Database(format!("bad board `{board}`")))?,
                    vote: Vote {
                        voter: UserId(r.try_get("voter_id")?),
                        decision: decision.parse::<Decision>().map_err(|_| {
                            StoreError::Database(format!("bad decision `{decision}`"))
                        })?,
                        comment: r.try_get("comment")?,
                    },
                    voted_at: from_micros(r.try_get("voted_at")?),
                })
            })
            .collect()
    }
}

async fn sync_maintenance(
    tx: &mut Transaction<'static, Any>,
    change: &ChangeRecord,
    now: Timestamp,
    m: &Maintenance,
) -> Result<()> {
    match m {
        Maintenance::Keep => Ok(()),
        Maintenance::Plan { services } => {
            clear(tx, change).await?;
            let (Some(start), Some(end)) = (change.planned_start, change.planned_end) else {
                return Ok(());
            };
            let name = format!("change #{}: {}", change.number, change.title);
            if !change.items.is_empty() {
                let ids: Vec<String> = change.items.iter().map(|c| c.0.to_string()).collect();
                Sql::insert(
                    "maintenance_windows",
                    vec![
                        ("tenant_id", change.tenant_id.0.into()),
                        ("name", name.as_str().into()),
                        ("starts_at", micros(start).into()),
                        ("ends_at", micros(end).into()),
                        ("ci_ids", ids.join(",").into()),
                        ("include_children", true.into()),
                        ("created_at", micros(now).into()),
                        ("change_id", change.id.0.into()),
                    ],
                )
                .query()
                .execute(&mut **tx)
                .await?;
            }
            for service in services {
                Sql::insert(
                    "sla_outages",
                    vec![
                        ("tenant_id", change.tenant_id.0.into()),
                        ("service_ref", service.as_str().into()),
                        ("kind", "maintenance".into()),
                        ("starts_at", micros(start).into()),
                        ("ends_at", micros(end).into()),
                        ("note", name.as_str().into()),
                        ("created_at", micros(now).into()),
                        ("change_id", change.id.0.into()),
                    ],
                )
                .query()
                .execute(&mut **tx)
                .await?;
            }
            Ok(())
        }
        Maintenance::End => {
            for table in ["maintenance_windows", "sla_outages"] {
                Sql::new(&format!("DELETE FROM {table} WHERE change_id = "))
                    .bind(change.id.0)
                    .push(" AND starts_at >= ")
                    .bind(micros(now))
                    .query()
                    .execute(&mut **tx)
                    .await?;
                Sql::new(&format!("UPDATE {table} SET ends_at = "))
                    .bind(micros(now))
                    .push(" WHERE change_id = ")
                    .bind(change.id.0)
                    .push(" AND ends_at > ")
                    .bind(micros(now))
                    .query()
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }
    }
}

async fn clear(tx: &mut Transaction<'static, Any>, change: &ChangeRecord) -> Result<()> {
    for table in ["maintenance_windows", "sla_outages"] {
        Sql::new(&format!("DELETE FROM {table} WHERE change_id = "))
            .bind(change.id.0)
            .query()
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The audit fields of a board's members, for its history.
pub(crate) fn member_fields(quorum: i64, users: &[UserId], groups: &[i64]) -> Fields {
    let list = |v: Vec<String>| Some(v.join(", ")).filter(|s| !s.is_empty());
    vec![
        ("quorum", Some(quorum.to_string())),
        ("users", list(users.iter().map(|u| u.to_string()).collect())),
        (
            "groups",
            list(groups.iter().map(|g| g.to_string()).collect()),
        ),
    ]
}
