//! Satisfaction surveys: created when a ticket is resolved (in the same
//! transaction), answered once through their token, summed up per group and
//! per month.

use crate::sql::Sql;
use crate::{Result, Store, StoreError, TicketRecord, from_micros, micros};
use base64::Engine;
use rand::RngCore;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use vigie_core::Timestamp;
use vigie_core::ids::{TenantId, TicketId};

/// A survey as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurveyRecord {
    /// Its id.
    pub id: i64,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The resolved ticket.
    pub ticket_id: TicketId,
    /// The secret of the answer link.
    pub token: String,
    /// When it was answered.
    pub answered_at: Option<Timestamp>,
    /// The rating, 1 to 5.
    pub rating: Option<i64>,
    /// The comment.
    pub comment: Option<String>,
}

/// The answers of one group in one month.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyResult {
    /// The group that held the ticket (`None`: no group).
    pub group_name: Option<String>,
    /// The month, `YYYY-MM` (UTC).
    pub month: String,
    /// How many answers.
    pub answers: i64,
    /// Their average rating.
    pub average: f64,
}

fn survey_row(row: &AnyRow) -> Result<SurveyRecord> {
    Ok(SurveyRecord {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        ticket_id: TicketId(row.try_get("ticket_id")?),
        token: row.try_get("token")?,
        answered_at: row
            .try_get::<Option<i64>, _>("answered_at")?
            .map(from_micros),
        rating: row.try_get("rating")?,
        comment: row.try_get("comment")?,
    })
}

const SELECT: &str =
    "SELECT id, tenant_id, ticket_id, token, answered_at, rating, comment FROM surveys WHERE ";

/// Opens the survey of a ticket that was just resolved, inside the
/// resolution's transaction; a ticket keeps its first survey.
pub(crate) async fn open_survey(
    tx: &mut Transaction<'static, Any>,
    ticket: &TicketRecord,
    now: Timestamp,
) -> Result<()> {
    let mut secret = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let mut sql = Sql::insert(
        "surveys",
        vec![
            ("tenant_id", ticket.tenant_id.0.into()),
            ("ticket_id", ticket.id.0.into()),
            ("group_id", ticket.group_id.map(|g| g.0).into()),
            ("requester_id", ticket.requester_id.0.into()),
            ("token", token.into()),
            ("created_at", micros(now).into()),
        ],
    );
    sql.push(" ON CONFLICT (ticket_id) DO NOTHING");
    sql.query().execute(&mut **tx).await?;
    Ok(())
}

impl Store {
    /// The survey behind a link's token.
    pub async fn survey_by_token(&self, token: &str) -> Result<SurveyRecord> {
        let row = Sql::new(SELECT)
            .push("token = ")
            .bind(token)
            .query()
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(survey_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// The survey of a ticket the caller has read, if it was resolved.
    pub async fn survey_of_ticket(&self, ticket: &TicketRecord) -> Result<Option<SurveyRecord>> {
        let row = Sql::new(SELECT)
            .push("ticket_id = ")
            .bind(ticket.id.0)
            .query()
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(survey_row).transpose()
    }

    /// Records the answer (checked by the core); a survey is answered once.
    pub async fn answer_survey(
        &self,
        token: &str,
        now: Timestamp,
        rating: i64,
        comment: Option<&str>,
    ) -> Result<()> {
        let mut sql = Sql::update(
            "surveys",
            vec![
                ("answered_at", micros(now).into()),
                ("rating", rating.into()),
                ("comment", comment.map(str::to_owned).into()),
            ],
            ("token", token.into()),
        );
        sql.push(" AND answered_at IS NULL");
        if sql.query().execute(self.pool()).await?.rows_affected() == 1 {
            return Ok(());
        }
        self.survey_by_token(token).await?;
        Err(StoreError::Conflict {
            what: "this survey was already answered".into(),
        })
    }

    /// Answers per group and per month (UTC) answered in `[from, to)`.
    pub async fn survey_results(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SurveyResult>> {
        let rows = Sql::new(
            "SELECT g.name AS group_name, s.answered_at, s.rating FROM surveys s \
             LEFT JOIN support_groups g ON g.id = s.group_id WHERE s.tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND s.answered_at >= ")
        .bind(micros(from))
        .push(" AND s.answered_at < ")
        .bind(micros(to))
        .push(" ORDER BY s.answered_at LIMIT 1000000")
        .query()
        .fetch_all(self.pool())
        .await?;
        // Grouped here rather than in SQL: month extraction differs between
        // the two engines, and a tenant's answers per period are few.
        let mut results: Vec<SurveyResult> = Vec::new();
        for row in rows {
            let group: Option<String> = row.try_get("group_name")?;
            let at = from_micros(row.try_get("answered_at")?);
            let month = at.strftime("%Y-%m").to_string();
            let rating: i64 = row.try_get("rating")?;
            match results
                .iter_mut()
                .find(|r| r.group_name == group && r.month == month)
            {
                Some(r) => {
                    r.average =
                        (r.average * r.answers as f64 + rating as f64) / (r.answers + 1) as f64;
                    r.answers += 1;
                }
                None => results.push(SurveyResult {
                    group_name: group,
                    month,
                    answers: 1,
                    average: rating as f64,
                }),
            }
        }
        results.sort_by(|a, b| (&a.month, &a.group_name).cmp(&(&b.month, &b.group_name)));
        Ok(results)
    }
}
