//! Requests for change: the record with its seven Rs, the items it
//! touches, the changes it relates to, the tickets it resolves or caused,
//! its checklist and the votes of its board. Changes belong to an entity
//! and are read through a [`Scope`]; each write audits itself
//! (`record_type` `change`) and bumps `version`, so two writers acting on
//! the same version get a clean conflict instead of a lost update.
//!
//! - [`transitions`]: the lifecycle's outcomes written, with the votes and
//!   the maintenance windows a scheduled change opens;
//! - [`boards`]: the CAB and ECAB, freezes, the change windows setting and
//!   the standard-change templates;
//! - [`calendar`]: the changes with a planned window, for the calendar and
//!   the conflict check.

mod boards;
mod calendar;
mod transitions;

pub use boards::{BoardRecord, BoardSetup, FreezeRecord, NewFreeze, NewTemplate, TemplateRecord};
pub use calendar::PlannedRecord;
pub use transitions::{Maintenance, Transition, VoteRecord};

use crate::audit::{AuditTarget, record};
use crate::sql::{Arg, Sql};
use crate::{
    EntityRecord, Page, PageRequest, Result, Store, StoreError, from_micros, get_bool, micros,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::change::risk::ImpactClass;
use vigie_core::change::{ChangeKind, ChangeStatus, Likelihood, RiskLevel};
use vigie_core::ids::{ChangeId, ChangeTemplateId, CiId, EntityId, TenantId, TicketId, UserId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// A request for change as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeRecord {
    /// Its id.
    pub id: ChangeId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The entity it belongs to.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// Its number in the tenant.
    pub number: i64,
    /// Standard, normal or emergency.
    pub kind: ChangeKind,
    /// Where it is in its lifecycle.
    pub status: ChangeStatus,
    /// A one-line title.
    pub title: String,
    /// What is changed.
    pub description: String,
    /// Who raised it.
    pub raised_by: UserId,
    /// Why.
    pub reason: String,
    /// The return expected.
    pub expected_return: String,
    /// Its risks.
    pub risks: String,
    /// The resources it needs.
    pub resources: String,
    /// Who is responsible for it.
    pub responsible_id: Option<UserId>,
    /// How it relates to other changes, in words.
    pub relationship: String,
    /// The related changes.
    pub related_changes: Vec<ChangeId>,
    /// The assessed likelihood of failure.
    pub likelihood: Option<Likelihood>,
    /// The impact class of its items at assessment.
    pub impact_class: Option<ImpactClass>,
    /// The risk at assessment.
    pub risk: Option<RiskLevel>,
    /// How it is carried out.
    pub implementation_plan: String,
    /// How it is undone.
    pub backout_plan: String,
    /// Whether the backout plan was tested.
    pub backout_tested: bool,
    /// The template a standard change was made from.
    pub template_id: Option<ChangeTemplateId>,
    /// The planned window's start.
    pub planned_start: Option<Timestamp>,
    /// The planned window's end.
    pub planned_end: Option<Timestamp>,
    /// The flags the planned window earned (JSON objects with a `flag`).
    pub flags: Vec<serde_json::Value>,
    /// The voting round (a send-back starts a new one).
    pub approval_round: i64,
    /// Bumped by every write.
    pub version: i64,
    /// The review's verdict.
    pub review_success: Option<bool>,
    /// The problems met.
    pub review_problems: String,
    /// The lessons learnt.
    pub review_lessons: String,
    /// The items it touches.
    pub items: Vec<CiId>,
    /// The tickets it resolves.
    pub resolves: Vec<TicketId>,
    /// The incidents it caused (from its review).
    pub caused: Vec<TicketId>,
    /// The release it belongs to.
    pub release_id: Option<i64>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// The editable text of a change: the seven Rs and the plans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeText {
    /// A one-line title.
    pub title: String,
    /// What is changed.
    pub description: String,
    /// Why.
    pub reason: String,
    /// The return expected.
    pub expected_return: String,
    /// Its risks.
    pub risks: String,
    /// The resources it needs.
    pub resources: String,
    /// Who is responsible (a user of the tenant).
    pub responsible_id: Option<UserId>,
    /// How it relates to other changes.
    pub relationship: String,
    /// How it is carried out.
    pub implementation_plan: String,
    /// How it is undone.
    pub backout_plan: String,
    /// Whether the backout plan was tested.
    pub backout_tested: bool,
}

/// A change to create (checked by the caller: text lengths, kind).
#[derive(Clone, Debug)]
pub struct NewChange {
    /// Standard, normal or emergency.
    pub kind: ChangeKind,
    /// The text.
    pub text: ChangeText,
    /// The template of a standard change.
    pub template_id: Option<ChangeTemplateId>,
    /// The items it touches (of the tenant).
    pub items: Vec<CiId>,
    /// Related changes (of the tenant).
    pub related_changes: Vec<ChangeId>,
    /// Tickets it resolves (of the tenant).
    pub resolves: Vec<TicketId>,
    /// The pre-change checklist.
    pub checklist: Vec<String>,
}

/// What an edit replaces; `None` keeps the field.
#[derive(Clone, Debug, Default)]
pub struct ChangeEdit {
    /// The text, whole.
    pub text: Option<ChangeText>,
    /// The items.
    pub items: Option<Vec<CiId>>,
    /// The related changes.
    pub related_changes: Option<Vec<ChangeId>>,
    /// The tickets it resolves.
    pub resolves: Option<Vec<TicketId>>,
}

/// Which changes a list shows.
#[derive(Clone, Debug, Default)]
pub struct ChangeFilter {
    /// Only this status.
    pub status: Option<ChangeStatus>,
    /// Only this type.
    pub kind: Option<ChangeKind>,
    /// Only changes touching this item.
    pub ci: Option<CiId>,
    /// Only changes whose review links incidents they caused.
    pub caused_incidents: bool,
    /// Only changes raised at or after this instant.
    pub raised_from: Option<Timestamp>,
    /// Only changes raised before this instant.
    pub raised_before: Option<Timestamp>,
    /// Newest first: by id descending, the page's `after` then meaning
    /// "ids below".
    pub newest_first: bool,
}

/// A checklist item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistItem {
    /// Its id.
    pub id: i64,
    /// Its place in the list.
    pub position: i64,
    /// What to check.
    pub label: String,
    /// Who ticked it.
    pub done_by: Option<UserId>,
    /// When.
    pub done_at: Option<Timestamp>,
}

const SELECT: &str = "SELECT c.id, c.tenant_id, c.entity_id, c.entity_path, c.number, c.kind, c.status, \
    c.title, c.description, c.raised_by, c.reason, c.expected_return, c.risks, c.resources, \
    c.responsible_id, c.relationship, c.likelihood, c.impact_class, c.risk, c.implementation_plan, \
    c.backout_plan, c.backout_tested, c.template_id, c.planned_start, c.planned_end, c.flags, \
    c.approval_round, c.version, c.review_success, c.review_problems, c.review_lessons, \
    c.created_at, c.updated_at FROM changes c WHERE 1 = 1";

fn parse<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Database(format!("unexpected {column} `{text}` in changes")))
}

fn parse_opt<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<Option<T>> {
    match row.try_get::<Option<String>, _>(column)? {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| StoreError::Database(format!("unexpected {column} `{text}` in changes"))),
    }
}

fn change_row(row: &AnyRow) -> Result<ChangeRecord> {
    let path: String = row.try_get("entity_path")?;
    let flags: String = row.try_get("flags")?;
    let review_success = match row.try_get::<Option<i64>, _>("review_success") {
        Ok(v) => v.map(|v| v != 0),
        Err(_) => row.try_get::<Option<bool>, _>("review_success")?,
    };
    Ok(ChangeRecord {
        id: ChangeId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("bad entity path `{path}`")))?,
        number: row.try_get("number")?,
        kind: parse(row, "kind")?,
        status: parse(row, "status")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        raised_by: UserId(row.try_get("raised_by")?),
        reason: row.try_get("reason")?,
        expected_return: row.try_get("expected_return")?,
        risks: row.try_get("risks")?,
        resources: row.try_get("resources")?,
        responsible_id: row.try_get::<Option<i64>, _>("responsible_id")?.map(UserId),
        relationship: row.try_get("relationship")?,
        related_changes: Vec::new(),
        likelihood: parse_opt(row, "likelihood")?,
        impact_class: parse_opt(row, "impact_class")?,
        risk: parse_opt(row, "risk")?,
        implementation_plan: row.try_get("implementation_plan")?,
        backout_plan: row.try_get("backout_plan")?,
        backout_tested: get_bool(row, "backout_tested")?,
        template_id: row
            .try_get::<Option<i64>, _>("template_id")?
            .map(ChangeTemplateId),
        planned_start: row
            .try_get::<Option<i64>, _>("planned_start")?
            .map(from_micros),
        planned_end: row
            .try_get::<Option<i64>, _>("planned_end")?
            .map(from_micros),
        flags: serde_json::from_str(&flags).unwrap_or_default(),
        approval_round: row.try_get("approval_round")?,
        version: row.try_get("version")?,
        review_success,
        review_problems: row.try_get("review_problems")?,
        review_lessons: row.try_get("review_lessons")?,
        items: Vec::new(),
        resolves: Vec::new(),
        caused: Vec::new(),
        release_id: None,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

pub(crate) fn fields(c: &ChangeRecord) -> Fields {
    let list = |ids: &[i64]| {
        Some(
            ids.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        )
        .filter(|s| !s.is_empty())
    };
    let text = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    vec![
        ("entity_id", Some(c.entity_id.to_string())),
        ("kind", Some(c.kind.to_string())),
        ("status", Some(c.status.to_string())),
        ("title", Some(c.title.clone())),
        ("description", text(&c.description)),
        ("reason", text(&c.reason)),
        ("expected_return", text(&c.expected_return)),
        ("risks", text(&c.risks)),
        ("resources", text(&c.resources)),
        ("responsible_id", c.responsible_id.map(|u| u.to_string())),
        ("relationship", text(&c.relationship)),
        (
            "related_changes",
            list(&c.related_changes.iter().map(|c| c.0).collect::<Vec<_>>()),
        ),
        ("likelihood", c.likelihood.map(|l| l.to_string())),
        ("impact_class", c.impact_class.map(|l| l.to_string())),
        ("risk", c.risk.map(|l| l.to_string())),
        ("implementation_plan", text(&c.implementation_plan)),
        ("backout_plan", text(&c.backout_plan)),
        ("backout_tested", Some(c.backout_tested.to_string())),
        ("planned_start", c.planned_start.map(|t| t.to_string())),
        ("planned_end", c.planned_end.map(|t| t.to_string())),
        (
            "items",
            list(&c.items.iter().map(|c| c.0).collect::<Vec<_>>()),
        ),
        (
            "resolves",
            list(&c.resolves.iter().map(|c| c.0).collect::<Vec<_>>()),
        ),
        (
            "caused",
            list(&c.caused.iter().map(|c| c.0).collect::<Vec<_>>()),
        ),
        ("release_id", c.release_id.map(|r| r.to_string())),
        ("review_success", c.review_success.map(|s| s.to_string())),
        ("review_problems", text(&c.review_problems)),
        ("review_lessons", text(&c.review_lessons)),
    ]
}

pub(crate) fn target(c: &ChangeRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(c.tenant_id),
        entity_id: Some(c.entity_id.0),
        entity_path: Some(&c.entity_path),
        record_type: "change",
        record_id: c.id.0,
    }
}

/// Checks that each id names a row of `table` in the tenant.
async fn check_ids(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    table: &str,
    field: &str,
    ids: &[i64],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    // One query for the whole list: the ids found, then the first missing.
    let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE tenant_id = "));
    sql.bind(tenant.0).push(" AND id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    let found: std::collections::HashSet<i64> = sql
        .query()
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<std::result::Result<_, _>>()?;
    match ids.iter().find(|id| !found.contains(id)) {
        Some(id) => Err(StoreError::Invalid(format!(
            "{field}: there is no {id} in this tenant"
        ))),
        None => Ok(()),
    }
}

fn dedup<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

async fn write_links(tx: &mut Transaction<'static, Any>, c: &ChangeRecord) -> Result<()> {
    for table in ["change_items", "change_links"] {
        Sql::new(&format!("DELETE FROM {table} WHERE change_id = "))
            .bind(c.id.0)
            .query()
            .execute(&mut **tx)
            .await?;
    }
    Sql::new("DELETE FROM change_tickets WHERE change_id = ")
        .bind(c.id.0)
        .push(" AND role = 'resolves'")
        .query()
        .execute(&mut **tx)
        .await?;
    let rows = |ids: Vec<i64>| -> Vec<Vec<Arg>> {
        ids.into_iter()
            .map(|i| vec![c.id.0.into(), c.tenant_id.0.into(), i.into()])
            .collect()
    };
    if !c.items.is_empty() {
        Sql::insert_many(
            "change_items",
            &["change_id", "tenant_id", "ci_id"],
            rows(c.items.iter().map(|i| i.0).collect()),
        )
        .query()
        .execute(&mut **tx)
        .await?;
    }
    if !c.related_changes.is_empty() {
        Sql::insert_many(
            "change_links",
            &["change_id", "tenant_id", "other_change_id"],
            rows(c.related_changes.iter().map(|i| i.0).collect()),
        )
        .query()
        .execute(&mut **tx)
        .await?;
    }
    write_tickets(tx, c, "resolves", &c.resolves).await
}

pub(crate) async fn write_tickets(
    tx: &mut Transaction<'static, Any>,
    c: &ChangeRecord,
    role: &str,
    tickets: &[TicketId],
) -> Result<()> {
    if tickets.is_empty() {
        return Ok(());
    }
    let rows = tickets
        .iter()
        .map(|t| vec![c.id.0.into(), c.tenant_id.0.into(), t.0.into(), role.into()])
        .collect();
    Sql::insert_many(
        "change_tickets",
        &["change_id", "tenant_id", "ticket_id", "role"],
        rows,
    )
    .query()
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn check_links(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    c: &ChangeRecord,
) -> Result<()> {
    let ids = |v: &[i64]| v.to_vec();
    check_ids(
        tx,
        tenant,
        "cis",
        "ci_ids",
        &ids(&c.items.iter().map(|i| i.0).collect::<Vec<_>>()),
    )
    .await?;
    check_ids(
        tx,
        tenant,
        "changes",
        "related_changes",
        &c.related_changes.iter().map(|i| i.0).collect::<Vec<_>>(),
    )
    .await?;
    check_ids(
        tx,
        tenant,
        "tickets",
        "resolves",
        &c.resolves.iter().map(|i| i.0).collect::<Vec<_>>(),
    )
    .await?;
    if let Some(r) = c.responsible_id {
        check_ids(tx, tenant, "users", "responsible_id", &[r.0]).await?;
    }
    if c.related_changes.contains(&c.id) {
        return Err(StoreError::Invalid(
            "related_changes: a change is not related to itself".into(),
        ));
    }
    Ok(())
}

fn text_values(t: &ChangeText) -> Vec<(&'static str, Arg)> {
    vec![
        ("title", t.title.as_str().into()),
        ("description", t.description.as_str().into()),
        ("reason", t.reason.as_str().into()),
        ("expected_return", t.expected_return.as_str().into()),
        ("risks", t.risks.as_str().into()),
        ("resources", t.resources.as_str().into()),
        ("responsible_id", t.responsible_id.map(|u| u.0).into()),
        ("relationship", t.relationship.as_str().into()),
        ("implementation_plan", t.implementation_plan.as_str().into()),
        ("backout_plan", t.backout_plan.as_str().into()),
        ("backout_tested", t.backout_tested.into()),
    ]
}

impl ChangeRecord {
    /// The editable text, as an edit takes it.
    pub fn text(&self) -> ChangeText {
        ChangeText {
            title: self.title.clone(),
            description: self.description.clone(),
            reason: self.reason.clone(),
            expected_return: self.expected_return.clone(),
            risks: self.risks.clone(),
            resources: self.resources.clone(),
            responsible_id: self.responsible_id,
            relationship: self.relationship.clone(),
            implementation_plan: self.implementation_plan.clone(),
            backout_plan: self.backout_plan.clone(),
            backout_tested: self.backout_tested,
        }
    }

    fn set_text(&mut self, t: &ChangeText) {
        self.title = t.title.clone();
        self.description = t.description.clone();
        self.reason = t.reason.clone();
        self.expected_return = t.expected_return.clone();
        self.risks = t.risks.clone();
        self.resources = t.resources.clone();
        self.responsible_id = t.responsible_id;
        self.relationship = t.relationship.clone();
        self.implementation_plan = t.implementation_plan.clone();
        self.backout_plan = t.backout_plan.clone();
        self.backout_tested = t.backout_tested;
    }
}

impl Store {
    /// Creates a change in an entity the caller checked against his scope,
    /// in draft, raised by the actor.
    pub async fn create_change(
        &self,
        actor: &Actor,
        entity: &EntityRecord,
        now: Timestamp,
        new: &NewChange,
    ) -> Result<ChangeRecord> {
        let tenant = entity.tenant_id;
        let mut tx = self.write_tx().await?;
        if let Some(t) = new.template_id {
            check_ids(&mut tx, tenant, "change_templates", "template_id", &[t.0]).await?;
        }
        let number = crate::tickets::next_number(&mut tx, tenant, "change").await?;
        let mut values = vec![
            ("tenant_id", tenant.0.into()),
            ("entity_id", entity.id.0.into()),
            ("entity_path", entity.path.as_str().into()),
            ("number", number.into()),
            ("kind", new.kind.as_str().into()),
            ("status", ChangeStatus::Draft.as_str().into()),
            ("raised_by", actor.user.0.into()),
            ("template_id", new.template_id.map(|t| t.0).into()),
            ("created_at", micros(now).into()),
            ("updated_at", micros(now).into()),
        ];
        values.extend(text_values(&new.text));
        let id = Sql::insert("changes", values)
            .insert_returning_id(&mut tx)
            .await?;
        let mut created = ChangeRecord {
            id: ChangeId(id),
            tenant_id: tenant,
            entity_id: entity.id,
            entity_path: entity.path.clone(),
            number,
            kind: new.kind,
            status: ChangeStatus::Draft,
            title: String::new(),
            description: String::new(),
            raised_by: actor.user,
            reason: String::new(),
            expected_return: String::new(),
            risks: String::new(),
            resources: String::new(),
            responsible_id: None,
            relationship: String::new(),
            related_changes: dedup(&new.related_changes),
            likelihood: None,
            impact_class: None,
            risk: None,
            implementation_plan: String::new(),
            backout_plan: String::new(),
            backout_tested: false,
            template_id: new.template_id,
            planned_start: None,
            planned_end: None,
            flags: Vec::new(),
            approval_round: 1,
            version: 0,
            review_success: None,
            review_problems: String::new(),
            review_lessons: String::new(),
            items: dedup(&new.items),
            resolves: dedup(&new.resolves),
            caused: Vec::new(),
            release_id: None,
            created_at: now,
            updated_at: now,
        };
        created.set_text(&new.text);
        check_links(&mut tx, tenant, &created).await?;
        write_links(&mut tx, &created).await?;
        if !new.checklist.is_empty() {
            let rows = new
                .checklist
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    vec![
                        id.into(),
                        tenant.0.into(),
                        (i as i64 + 1).into(),
                        label.as_str().into(),
                    ]
                })
                .collect();
            Sql::insert_many(
                "change_checklist",
                &["change_id", "tenant_id", "position", "label"],
                rows,
            )
            .query()
            .execute(&mut *tx)
            .await?;
        }
        record(
            &mut tx,
            actor,
            now,
            target(&created),
            None,
            Some(&fields(&created)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Reads a change in scope, with its links.
    pub async fn get_change(&self, scope: &Scope, id: ChangeId) -> Result<ChangeRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "c.tenant_id", "c.entity_path");
        sql.push(" AND c.id = ").bind(id.0);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut items = vec![change_row(&row)?];
        self.fill_change_links(&mut items).await?;
        items.pop().ok_or(StoreError::NotFound)
    }

    /// Reads a change in scope by its number.
    pub async fn get_change_by_number(&self, scope: &Scope, number: i64) -> Result<ChangeRecord> {
        let mut sql = Sql::new("SELECT c.id FROM changes c WHERE 1 = 1");
        sql.scope(scope, "c.tenant_id", "c.entity_path");
        sql.push(" AND c.number = ").bind(number);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        self.get_change(scope, ChangeId(row.try_get("id")?)).await
    }

    async fn fill_change_links(&self, changes: &mut [ChangeRecord]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let ids = || {
            let mut sql = String::from("(");
            for (i, c) in changes.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&c.id.0.to_string());
            }
            sql.push(')');
            sql
        };
        let list = ids();
        let items = Sql::new(&format!(
            "SELECT change_id, ci_id AS other, '' AS role FROM change_items WHERE change_id IN {list} \
             UNION ALL SELECT change_id, other_change_id AS other, 'link' AS role FROM change_links WHERE change_id IN {list} \
             UNION ALL SELECT change_id, ticket_id AS other, role FROM change_tickets WHERE change_id IN {list} \
             UNION ALL SELECT change_id, release_id AS other, 'release' AS role FROM release_changes WHERE change_id IN {list} \
             ORDER BY 1, 3, 2"
        ))
        .query()
        .fetch_all(self.pool())
        .await?;
        for row in items {
            let change: i64 = row.try_get("change_id")?;
            let other: i64 = row.try_get("other")?;
            let role: String = row.try_get("role")?;
            if let Some(c) = changes.iter_mut().find(|c| c.id.0 == change) {
                match role.as_str() {
                    "" => c.items.push(CiId(other)),
                    "link" => c.related_changes.push(ChangeId(other)),
                    "resolves" => c.resolves.push(TicketId(other)),
                    "release" => c.release_id = Some(other),
                    _ => c.caused.push(TicketId(other)),
                }
            }
        }
        Ok(())
    }

    /// Lists the changes in scope, by id.
    pub async fn list_changes(
        &self,
        scope: &Scope,
        filter: &ChangeFilter,
        page: PageRequest,
    ) -> Result<Page<ChangeRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "c.tenant_id", "c.entity_path");
        if let Some(s) = filter.status {
            sql.push(" AND c.status = ").bind(s.as_str());
        }
        if let Some(k) = filter.kind {
            sql.push(" AND c.kind = ").bind(k.as_str());
        }
        if let Some(ci) = filter.ci {
            sql.push(" AND c.id IN (SELECT change_id FROM change_items WHERE ci_id = ")
                .bind(ci.0)
                .push(")");
        }
        if filter.caused_incidents {
            sql.push(" AND c.id IN (SELECT change_id FROM change_tickets WHERE role = 'caused')");
        }
        if let Some(t) = filter.raised_from {
            sql.push(" AND c.created_at >= ").bind(micros(t));
        }
        if let Some(t) = filter.raised_before {
            sql.push(" AND c.created_at < ").bind(micros(t));
        }
        let (below, order) = if filter.newest_first {
            (" AND c.id < ", " ORDER BY c.id DESC LIMIT ")
        } else {
            (" AND c.id > ", " ORDER BY c.id LIMIT ")
        };
        if let Some(after) = page.after {
            sql.push(below).bind(after);
        }
        sql.push(order).bind(page.fetch_limit());
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut items = rows.iter().map(change_row).collect::<Result<Vec<_>>>()?;
        self.fill_change_links(&mut items).await?;
        Ok(Page::from_rows(items, page, |c| c.id.0))
    }

    /// Edits a change read at `version` (a stale version is a conflict).
    pub async fn update_change(
        &self,
        actor: &Actor,
        before: &ChangeRecord,
        now: Timestamp,
        edit: &ChangeEdit,
    ) -> Result<ChangeRecord> {
        let mut after = before.clone();
        if let Some(t) = &edit.text {
            after.set_text(t);
        }
        if let Some(v) = &edit.items {
            after.items = dedup(v);
        }
        if let Some(v) = &edit.related_changes {
            after.related_changes = dedup(v);
        }
        if let Some(v) = &edit.resolves {
            after.resolves = dedup(v);
        }
        if after == *before {
            return Ok(after);
        }
        after.updated_at = now;
        after.version += 1;
        let mut tx = self.write_tx().await?;
        check_links(&mut tx, before.tenant_id, &after).await?;
        let mut values = text_values(&after.text());
        values.push(("updated_at", micros(now).into()));
        values.push(("version", after.version.into()));
        bump(&mut tx, before, values).await?;
        write_links(&mut tx, &after).await?;
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&fields(before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The checklist of a change, in order.
    pub async fn change_checklist(&self, change: &ChangeRecord) -> Result<Vec<ChecklistItem>> {
        let rows = Sql::new(
            "SELECT id, position, label, done_by, done_at FROM change_checklist WHERE change_id = ",
        )
        .bind(change.id.0)
        .push(" ORDER BY position, id")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ChecklistItem {
                    id: r.try_get("id")?,
                    position: r.try_get("position")?,
                    label: r.try_get("label")?,
                    done_by: r.try_get::<Option<i64>, _>("done_by")?.map(UserId),
                    done_at: r.try_get::<Option<i64>, _>("done_at")?.map(from_micros),
                })
            })
            .collect()
    }

    /// Ticks (or unticks) a checklist item of a change.
    pub async fn tick_checklist(
        &self,
        actor: &Actor,
        change: &ChangeRecord,
        now: Timestamp,
        item: i64,
        done: bool,
    ) -> Result<ChecklistItem> {
        let mut tx = self.write_tx().await?;
        let row = Sql::new("SELECT label, done_at FROM change_checklist WHERE change_id = ")
            .bind(change.id.0)
            .push(" AND id = ")
            .bind(item)
            .query()
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let label: String = row.try_get("label")?;
        let was = row.try_get::<Option<i64>, _>("done_at")?.is_some();
        if was != done {
            Sql::update(
                "change_checklist",
                vec![
                    ("done_by", done.then_some(actor.user.0).into()),
                    ("done_at", done.then_some(micros(now)).into()),
                ],
                ("id", item.into()),
            )
            .query()
            .execute(&mut *tx)
            .await?;
            let field = |d: bool| -> Fields {
                vec![(
                    "checklist",
                    Some(format!("{label}: {}", if d { "done" } else { "to do" })),
                )]
            };
            record(
                &mut tx,
                actor,
                now,
                target(change),
                Some(&field(was)),
                Some(&field(done)),
            )
            .await?;
        }
        tx.commit().await?;
        let items = self.change_checklist(change).await?;
        items
            .into_iter()
            .find(|i| i.id == item)
            .ok_or(StoreError::NotFound)
    }

    /// Puts a change in a release of its tenant (or takes it out with
    /// `None`); a change belongs to one release at most.
    pub async fn set_change_release(
        &self,
        actor: &Actor,
        before: &ChangeRecord,
        now: Timestamp,
        release: Option<i64>,
    ) -> Result<ChangeRecord> {
        let mut after = before.clone();
        after.release_id = release;
        after.updated_at = now;
        after.version += 1;
        let mut tx = self.write_tx().await?;
        if let Some(r) = release {
            check_ids(&mut tx, before.tenant_id, "releases", "release_id", &[r]).await?;
        }
        bump(
            &mut tx,
            before,
            vec![
                ("updated_at", micros(now).into()),
                ("version", after.version.into()),
            ],
        )
        .await?;
        Sql::new("DELETE FROM release_changes WHERE change_id = ")
            .bind(before.id.0)
            .query()
            .execute(&mut *tx)
            .await?;
        if let Some(r) = release {
            Sql::insert(
                "release_changes",
                vec![("release_id", r.into()), ("change_id", before.id.0.into())],
            )
            .query()
            .execute(&mut *tx)
            .await?;
        }
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&fields(before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The history of a change, oldest first (at most 2,000 lines).
    pub async fn change_history(&self, change: &ChangeRecord) -> Result<Vec<crate::AuditRecord>> {
        let rows = Sql::new(
            "SELECT id, tenant_id, entity_id, actor_user_id, actor_label, at, action, \
             record_type, record_id, changes FROM audit_log WHERE tenant_id = ",
        )
        .bind(change.tenant_id.0)
        .push(" AND record_type = 'change' AND record_id = ")
        .bind(change.id.0)
        .push(" ORDER BY id LIMIT 2000")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(crate::audit::audit_row).collect()
    }
}

/// Updates the change row if it is still at the version read.
async fn bump(
    tx: &mut Transaction<'static, Any>,
    before: &ChangeRecord,
    values: Vec<(&'static str, Arg)>,
) -> Result<()> {
    let mut sql = Sql::update("changes", values, ("id", before.id.0.into()));
    sql.push(" AND version = ").bind(before.version);
    let done = sql.query().execute(&mut **tx).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            what: "the change was modified meanwhile; read it again and retry".into(),
        });
    }
    Ok(())
}
