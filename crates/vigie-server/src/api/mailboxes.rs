//! `/api/v1/mailboxes`: the mailboxes Vigie reads a tenant's mail from, their
//! ordered rules, and the rule tester. Mailboxes hold a server password,
//! so they are the tenant administrators' (`ManageTicketSettings`, on the
//! mailbox's entity); the password is written, never read back
//! (`password_set` says whether one is stored).

use super::{ApiJson, ApiPath, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::mail::intake::IntakeError;
use crate::mail::rules_wire::{self, RuleWire};
use crate::mail::settings::{self, MailboxFields, Refusal};
use crate::mail::tester::{self, MailTest};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::{EntityId, MailboxId};
use vigie_core::role::Permission;
use vigie_store::{MailboxInput, MailboxRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_mailboxes, create_mailbox))
        .routes(routes!(get_mailbox, update_mailbox, delete_mailbox))
        .routes(routes!(get_rules, put_rules))
        .routes(routes!(test_mailbox))
}

/// A mailbox (never its password).
#[derive(Debug, Serialize, ToSchema)]
pub struct MailboxOut {
    id: i64,
    /// The default entity of its tickets.
    entity_id: i64,
    name: String,
    host: String,
    port: u16,
    /// `tls`, `starttls` or `none`.
    security: String,
    login: String,
    /// Whether a password is stored (it is never shown).
    password_set: bool,
    folder: String,
    /// `move` or `flag`.
    after_action: String,
    move_to: String,
    poll_seconds: i64,
    category_id: Option<i64>,
    /// `create_contact` or `refuse`.
    unknown_senders: String,
    single_contact: bool,
    rate_max: u32,
    rate_window_seconds: i64,
    integration_key_id: Option<i64>,
    /// The address notifications come from.
    address: String,
    active: bool,
    rules: Vec<RuleWire>,
    created_at: String,
    updated_at: String,
}

impl From<MailboxRecord> for MailboxOut {
    fn from(m: MailboxRecord) -> Self {
        let rules = rules_wire::compile_stored(&m.rules)
            .map(|(w, _)| w)
            .unwrap_or_default();
        MailboxOut {
            id: m.id.0,
            entity_id: m.entity_id.0,
            name: m.name,
            host: m.host,
            port: m.port,
            security: m.security.to_string(),
            login: m.login,
            password_set: true,
            folder: m.folder,
            after_action: m.after_action.to_string(),
            move_to: m.move_to,
            poll_seconds: m.poll_seconds,
            category_id: m.category_id.map(|c| c.0),
            unknown_senders: m.unknown_senders.to_string(),
            single_contact: m.single_contact,
            rate_max: m.rate_max,
            rate_window_seconds: m.rate_window_seconds,
            integration_key_id: m.integration_key_id.map(|k| k.0),
            address: m.address,
            active: m.active,
            rules,
            created_at: m.created_at.to_string(),
            updated_at: m.updated_at.to_string(),
        }
    }
}

fn default_folder() -> String {
    "INBOX".into()
}
fn default_move_to() -> String {
    "Vigie".into()
}
fn default_poll() -> i64 {
    60
}
fn default_rate() -> u32 {
    20
}
fn default_window() -> i64 {
    600
}
fn yes() -> bool {
    true
}

/// A mailbox to create, or its new settings (`password` may be left out on
/// a change to keep the stored one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxIn {
    entity_id: i64,
    name: String,
    host: String,
    port: u16,
    /// `tls` (default), `starttls` or `none`.
    #[serde(default)]
    security: Option<String>,
    login: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default = "default_folder")]
    folder: String,
    /// `move` (default) or `flag`.
    #[serde(default)]
    after_action: Option<String>,
    #[serde(default = "default_move_to")]
    move_to: String,
    /// 1 to 86,400 seconds (default 60).
    #[serde(default = "default_poll")]
    poll_seconds: i64,
    #[serde(default)]
    category_id: Option<i64>,
    /// `create_contact` (default) or `refuse`.
    #[serde(default)]
    unknown_senders: Option<String>,
    #[serde(default)]
    single_contact: bool,
    /// Mails per sender in the window, 1 to 100,000 (default 20).
    #[serde(default = "default_rate")]
    rate_max: u32,
    /// 60 to 86,400 seconds (default 600).
    #[serde(default = "default_window")]
    rate_window_seconds: i64,
    #[serde(default)]
    integration_key_id: Option<i64>,
    address: String,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    rules: Vec<RuleWire>,
}

impl From<Refusal> for ApiError {
    fn from(e: Refusal) -> Self {
        ApiError::invalid(&e.field, e.detail)
    }
}

fn rules_json(rules: &[RuleWire]) -> Result<String, ApiError> {
    rules_wire::checked_json(rules).map_err(|e| ApiError::invalid(&e.path, e.message))
}

fn input(body: MailboxIn) -> Result<MailboxInput, ApiError> {
    let rules = rules_json(&body.rules)?;
    Ok(settings::check(MailboxFields {
        entity_id: EntityId(body.entity_id),
        name: body.name,
        host: body.host,
        port: i64::from(body.port),
        security: body.security,
        login: body.login,
        password: body.password,
        folder: body.folder,
        after_action: body.after_action,
        move_to: body.move_to,
        poll_seconds: body.poll_seconds,
        category_id: body.category_id,
        unknown_senders: body.unknown_senders,
        single_contact: body.single_contact,
        rate_max: i64::from(body.rate_max),
        rate_window_seconds: body.rate_window_seconds,
        integration_key_id: body.integration_key_id,
        address: body.address,
        active: body.active,
        rules,
    })?)
}

/// Lists the mailboxes of the entities where the caller manages the
/// service desk's settings.
#[utoipa::path(get, path = "/mailboxes", tag = "mail",
    responses((status = 200, body = Vec<MailboxOut>), (status = 403, body = Problem)))]
async fn list_mailboxes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<MailboxOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageTicketSettings)?;
    let list = state.store().list_mailboxes(&scope).await?;
    Ok(Json(list.into_iter().map(MailboxOut::from).collect()))
}

/// Creates a mailbox (its password is required).
#[utoipa::path(post, path = "/mailboxes", tag = "mail", request_body = MailboxIn,
    responses((status = 201, body = MailboxOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_mailbox(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<MailboxIn>,
) -> Result<(StatusCode, Json<MailboxOut>), ApiError> {
    let scope = scope_for(&actor, Permission::ManageTicketSettings)?;
    state
        .store()
        .get_entity(&scope, EntityId(body.entity_id))
        .await?;
    let input = input(body)?;
    let created = state
        .store()
        .create_mailbox(&actor, &scope, state.clock().now(), &input)
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// A mailbox.
#[utoipa::path(get, path = "/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = MailboxOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_mailbox(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MailboxOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageTicketSettings)?;
    Ok(Json(
        state
            .store()
            .get_mailbox(&scope, MailboxId(id))
            .await?
            .into(),
    ))
}

/// Changes a mailbox's settings.
#[utoipa::path(put, path = "/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)), request_body = MailboxIn,
    responses((status = 200, body = MailboxOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_mailbox(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MailboxIn>,
) -> Result<Json<MailboxOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageTicketSettings)?;
    state.store().get_mailbox(&scope, MailboxId(id)).await?;
    let input = input(body)?;
    let changed = state
        .store()
        .update_mailbox(&actor, &scope, state.clock().now(), MailboxId(id), &input)
        .await?;
    Ok(Json(changed.into()))
}

/// Deletes a mailbox (the mails it received stay recorded).
#[utoipa::path(delete, path = "/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_mailbox(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let scope = scope_for(&actor, Permission::ManageTicketSettings)?;
    state
        .store()
        .delete_mailbox(&actor, &scope, state.clock().now(), MailboxId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A mailbox's rules, in order.
#[utoipa::path(get, path = "/mailboxes/{id}/rules", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RuleWire>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<RuleWire>>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageTicketSettings)?;
    let m: MailboxOut = state
        .store()
        .get_mailbox(&scope, MailboxId(id))
        .await?
        .into();
    Ok(Json(m.rules))
}

/// Replaces a mailbox's rules (checked and compiled first; a refusal names
/// `rules[i].field`).
#[utoipa::path(put, path = "/mailboxes/{id}/rules", tag = "mail", params(("id" = i64, Path)), request_body = Vec<RuleWire>,
    responses((status = 200, body = Vec<RuleWire>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(rules): ApiJson<Vec<RuleWire>>,
) -> Result<Json<Vec<RuleWire>>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageTicketSettings)?;
    let m = state.store().get_mailbox(&scope, MailboxId(id)).await?;
    let input = settings::with_rules(m, rules_json(&rules)?);
    let changed = state
        .store()
        .update_mailbox(&actor, &scope, state.clock().now(), MailboxId(id), &input)
        .await?;
    let out: MailboxOut = changed.into();
    Ok(Json(out.rules))
}

/// A pasted mail for the rule tester.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailTestIn {
    /// The whole mail, headers and body, as it was received.
    raw: String,
}

/// The event a mail would become.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailTestEvent {
    source: String,
    resource: String,
    check: String,
    severity: String,
    action: String,
    summary: String,
    labels: std::collections::BTreeMap<String, String>,
}

/// What a pasted mail would become; nothing is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailTestOut {
    /// `ticket`, `reply`, `event`, `ignored`, `refused` or `unreadable`.
    outcome: String,
    /// Why, for ignored, refused and unreadable mails.
    reason: Option<String>,
    /// The rule that decided, if any.
    rule: Option<String>,
    message_id: Option<String>,
    from: Option<String>,
    subject: Option<String>,
    /// The new ticket's title, or the reply's text.
    title: Option<String>,
    /// The ticket answered.
    ticket_id: Option<i64>,
    /// Whether the sender would become a new contact.
    new_contact: bool,
    event: Option<MailTestEvent>,
    /// Attachments kept.
    attachments: Vec<String>,
    /// What was dropped or cut.
    warnings: Vec<String>,
}

/// Shows what a pasted mail would become in this mailbox, with its rules;
/// nothing is stored or sent.
#[utoipa::path(post, path = "/mailboxes/{id}/test", tag = "mail", params(("id" = i64, Path)), request_body = MailTestIn,
    responses((status = 200, body = MailTestOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn test_mailbox(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MailTestIn>,
) -> Result<Json<MailTestOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageTicketSettings)?;
    let m = state.store().get_mailbox(&scope, MailboxId(id)).await?;
    let tested = tester::test_mail(&state, m, body.raw.as_bytes())
        .await
        .map_err(|e| match e {
            IntakeError::Store(s) => ApiError::from(s),
            other => ApiError::invalid("rules", other.to_string()),
        })?;
    Ok(Json(tested.into()))
}

impl From<MailTest> for MailTestOut {
    fn from(t: MailTest) -> Self {
        MailTestOut {
            outcome: t.outcome.as_str().to_owned(),
            reason: t.reason,
            rule: t.rule,
            message_id: t.message_id,
            from: t.from,
            subject: t.subject,
            title: t.title,
            ticket_id: t.ticket_id.map(|id| id.0),
            new_contact: t.new_contact,
            event: t.event.map(|e| MailTestEvent {
                source: e.source,
                resource: e.resource,
                check: e.check,
                severity: e.severity,
                action: e.action,
                summary: e.summary,
                labels: e.labels,
            }),
            attachments: t.attachments,
            warnings: t.warnings,
        }
    }
}
