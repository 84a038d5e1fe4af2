//! `/admin/mail`: the mailboxes Vigie reads a tenant's mail from. The list
//! with a creation form; each mailbox's page with its settings (the
//! password written, never shown: left empty it stays), its ordered rules
//! edited as JSON, the last mails it received with what they became, the
//! rule tester and the deletion.
//!
//! They are the tenant administrators' pages, under the API's rule
//! (`api::mailboxes`): `ManageTicketSettings`, within its scope. The forms
//! check the same values with the same words ([`settings::check`],
//! [`rules_wire`]), and the tester is the API's ([`tester::test_mail`]):
//! it stores nothing.

use super::common::{
    Choice, EntityChoice, FormError, PageResult, all_entities, entity_choices, entity_name,
    entity_names_of, explain, forbidden, frame, named_by_path, parse_id, required_id, see_other,
    store_page, utc, with_status,
};
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::mail::intake::IntakeError;
use crate::mail::rules_wire::{self, ActionWire, RuleWire};
use crate::mail::settings::{self, MailboxFields};
use crate::mail::tester::{self, MailTest};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use vigie_core::ids::{EntityId, MailboxId, TenantId};
use vigie_core::mail::rules::RuleError;
use vigie_core::mail::{AfterAction, Security, UnknownSenders};
use vigie_core::role::Permission;
use vigie_core::tenancy::Scope;
use vigie_store::{MailboxRecord, StoreError};

/// The list's address and navigation section.
pub(super) const HERE: &str = "/admin/mail";

/// How many received mails a mailbox's page shows.
const RECEIVED_SHOWN: i64 = 25;

/// The routes of the pages and their forms.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(list).post(create))
        .route("/admin/mail/{id}", get(view).post(update))
        .route("/admin/mail/{id}/rules", post(save_rules))
        .route("/admin/mail/{id}/test", post(test))
        .route("/admin/mail/{id}/delete", post(delete))
}

/// Whether the navigation offers the pages.
pub(super) fn may_manage_anywhere(actor: &vigie_core::tenancy::Actor) -> bool {
    actor.can_anywhere(Permission::ManageTicketSettings)
}

/// The mailbox settings form, as sent (every field text; checkboxes
/// present when checked).
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct MailboxForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    folder: String,
    #[serde(default)]
    after_action: String,
    #[serde(default)]
    move_to: String,
    #[serde(default)]
    poll_seconds: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    unknown_senders: String,
    #[serde(default)]
    single_contact: String,
    #[serde(default)]
    rate_max: String,
    #[serde(default)]
    rate_window_seconds: String,
    #[serde(default)]
    integration_key: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    active: String,
}

/// What the settings form shows: a mailbox's values, the defaults of a
/// new one, or what was typed (never the password).
struct Draft {
    entity: i64,
    name: String,
    host: String,
    port: String,
    security: String,
    login: String,
    folder: String,
    after_action: String,
    move_to: String,
    poll_seconds: String,
    category: i64,
    unknown_senders: String,
    single_contact: bool,
    rate_max: String,
    rate_window_seconds: String,
    key: i64,
    address: String,
    active: bool,
}

impl Draft {
    /// A new mailbox's defaults (the API's).
    fn new_mailbox() -> Draft {
        Draft {
            entity: 0,
            name: String::new(),
            host: String::new(),
            port: "993".to_owned(),
            security: Security::Tls.as_str().to_owned(),
            login: String::new(),
            folder: "INBOX".to_owned(),
            after_action: AfterAction::Move.as_str().to_owned(),
            move_to: "Vigie".to_owned(),
            poll_seconds: "60".to_owned(),
            category: 0,
            unknown_senders: UnknownSenders::CreateContact.as_str().to_owned(),
            single_contact: false,
            rate_max: "20".to_owned(),
            rate_window_seconds: "600".to_owned(),
            key: 0,
            address: String::new(),
            active: true,
        }
    }

    /// A mailbox's values.
    fn of(m: &MailboxRecord) -> Draft {
        Draft {
            entity: m.entity_id.0,
            name: m.name.clone(),
            host: m.host.clone(),
            port: m.port.to_string(),
            security: m.security.as_str().to_owned(),
            login: m.login.clone(),
            folder: m.folder.clone(),
            after_action: m.after_action.as_str().to_owned(),
            move_to: m.move_to.clone(),
            poll_seconds: m.poll_seconds.to_string(),
            category: m.category_id.map_or(0, |c| c.0),
            unknown_senders: m.unknown_senders.as_str().to_owned(),
            single_contact: m.single_contact,
            rate_max: m.rate_max.to_string(),
            rate_window_seconds: m.rate_window_seconds.to_string(),
            key: m.integration_key_id.map_or(0, |k| k.0),
            address: m.address.clone(),
            active: m.active,
        }
    }

    /// What was typed.
    fn typed(f: &MailboxForm) -> Draft {
        Draft {
            entity: parse_id(&f.entity).unwrap_or(0),
            name: f.name.clone(),
            host: f.host.clone(),
            port: f.port.clone(),
            security: f.security.clone(),
            login: f.login.clone(),
            folder: f.folder.clone(),
            after_action: f.after_action.clone(),
            move_to: f.move_to.clone(),
            poll_seconds: f.poll_seconds.clone(),
            category: parse_id(&f.category).unwrap_or(0),
            unknown_senders: f.unknown_senders.clone(),
            single_contact: !f.single_contact.is_empty(),
            rate_max: f.rate_max.clone(),
            rate_window_seconds: f.rate_window_seconds.clone(),
            key: parse_id(&f.integration_key).unwrap_or(0),
            address: f.address.clone(),
            active: !f.active.is_empty(),
        }
    }
}

/// A whole number typed in a field.
fn number(field: &str, value: &str) -> Result<i64, FormError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| FormError::Invalid(format!("`{field}` must be a whole number")))
}

/// A choice of a closed set; empty means its default.
fn chosen(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// The form's values as settings to check, with the rules to keep.
fn fields_of(f: &MailboxForm, rules: String) -> Result<MailboxFields, FormError> {
    Ok(MailboxFields {
        entity_id: EntityId(required_id(&f.entity, "entity_id")?),
        name: f.name.clone(),
        host: f.host.clone(),
        port: number("port", &f.port)?,
        security: chosen(&f.security),
        login: f.login.clone(),
        // Left empty: the stored password stays (a new mailbox needs one).
        password: (!f.password.is_empty()).then(|| f.password.clone()),
        folder: f.folder.clone(),
        after_action: chosen(&f.after_action),
        move_to: f.move_to.clone(),
        poll_seconds: number("poll_seconds", &f.poll_seconds)?,
        category_id: parse_id(&f.category),
        unknown_senders: chosen(&f.unknown_senders),
        single_contact: !f.single_contact.is_empty(),
        rate_max: number("rate_max", &f.rate_max)?,
        rate_window_seconds: number("rate_window_seconds", &f.rate_window_seconds)?,
        integration_key_id: parse_id(&f.integration_key),
        address: f.address.clone(),
        active: !f.active.is_empty(),
        rules,
    })
}

/// Checks the form into the store's input.
fn checked(f: &MailboxForm, rules: String) -> Result<vigie_store::MailboxInput, FormError> {
    settings::check(fields_of(f, rules)?).map_err(|e| FormError::Invalid(e.to_string()))
}

/// The choices of the settings form's selects.
struct FormChoices {
    entities: Vec<EntityChoice>,
    categories: Vec<EntityChoice>,
    keys: Vec<EntityChoice>,
    securities: Vec<Choice>,
    after_actions: Vec<Choice>,
    unknown: Vec<Choice>,
}

/// The label of a security.
fn security_label(l: &Layout, s: Security) -> String {
    l.t(&format!("mail-security-{}", s.as_str()))
}

/// The label of an after-processing action.
fn after_label(l: &Layout, a: AfterAction) -> String {
    l.t(&format!("mail-after-{}", a.as_str()))
}

/// Reads the selects' choices: the entities of the scope, the tenant's
/// categories and active integration keys (the draft's own choices kept
/// even when not offered).
async fn form_choices(
    state: &AppState,
    l: &Layout,
    scope: &Scope,
    tenant: TenantId,
    draft: &Draft,
) -> Result<FormChoices, StoreError> {
    let store = state.store();
    let entities = entity_choices(&all_entities(state, scope).await?);
    let mut categories: Vec<EntityChoice> = store
        .list_categories(tenant)
        .await?
        .into_iter()
        .filter(|c| c.active || c.id.0 == draft.category)
        .map(|c| EntityChoice {
            id: c.id.0,
            label: c.name,
        })
        .collect();
    if draft.category != 0 && !categories.iter().any(|c| c.id == draft.category) {
        categories.push(EntityChoice {
            id: draft.category,
            label: format!("#{}", draft.category),
        });
    }
    let mut keys: Vec<EntityChoice> = store
        .list_integration_keys(scope)
        .await?
        .into_iter()
        .filter(|k| k.tenant_id == tenant && (k.revoked_at.is_none() || k.id.0 == draft.key))
        .map(|k| EntityChoice {
            id: k.id.0,
            label: format!("{} ({}…)", k.source, k.prefix),
        })
        .collect();
    if draft.key != 0 && !keys.iter().any(|k| k.id == draft.key) {
        keys.push(EntityChoice {
            id: draft.key,
            label: format!("#{}", draft.key),
        });
    }
    Ok(FormChoices {
        entities,
        categories,
        keys,
        securities: Security::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: security_label(l, *s),
            })
            .collect(),
        after_actions: AfterAction::ALL
            .iter()
            .map(|a| Choice {
                value: a.as_str().to_owned(),
                label: after_label(l, *a),
            })
            .collect(),
        unknown: UnknownSenders::ALL
            .iter()
            .map(|u| Choice::keyed(l, u.as_str(), &format!("mail-unknown-{}", u.as_str())))
            .collect(),
    })
}

/// One mailbox, in words.
struct MailboxRow {
    id: i64,
    name: String,
    entity: String,
    address: String,
    server: String,
    security: String,
    folder: String,
    after: String,
    poll: String,
    active: bool,
}

fn mailbox_row(l: &Layout, m: &MailboxRecord, entity: String) -> MailboxRow {
    MailboxRow {
        id: m.id.0,
        name: m.name.clone(),
        entity,
        address: m.address.clone(),
        server: format!("{}:{}", m.host, m.port),
        security: security_label(l, m.security),
        folder: m.folder.clone(),
        after: match m.after_action {
            AfterAction::Move => l.lang.t1("mail-after-move-to", "folder", m.move_to.clone()),
            AfterAction::Flag => after_label(l, m.after_action),
        },
        poll: l
            .lang
            .t1("mail-seconds", "count", m.poll_seconds.to_string()),
        active: m.active,
    }
}

#[derive(Template)]
#[template(path = "mailboxes.html")]
struct ListPage {
    l: Layout,
    error: Option<String>,
    mailboxes: Vec<MailboxRow>,
    creating: bool,
    form: Draft,
    choices: FormChoices,
}

/// The frame of the pages: the permission anywhere (403 page otherwise),
/// and the scope it gives.
async fn guard(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
) -> Result<(Layout, Scope), Response> {
    let l = frame(state, session, headers, "mail-title", HERE).await?;
    if !may_manage_anywhere(&session.actor) {
        return Err(forbidden(&l));
    }
    let scope = session.actor.scope(Permission::ManageTicketSettings);
    Ok((l, scope))
}

/// The frame of a form: the CSRF token first, then the permission.
async fn guard_form(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(Layout, Scope), Response> {
    let l = frame(state, session, headers, "mail-title", HERE).await?;
    check_csrf(session, &l, csrf)?;
    if !may_manage_anywhere(&session.actor) {
        return Err(forbidden(&l));
    }
    let scope = session.actor.scope(Permission::ManageTicketSettings);
    Ok((l, scope))
}

async fn show_list(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    scope: &Scope,
    error: Option<String>,
    form: Draft,
) -> PageResult {
    let failed = |e| store_page(&l, e);
    let list = state.store().list_mailboxes(scope).await.map_err(failed)?;
    let names = entity_names_of(state, scope, list.iter().map(|m| m.entity_id).collect())
        .await
        .map_err(failed)?;
    let mailboxes = list
        .iter()
        .map(|m| mailbox_row(&l, m, entity_name(&names, m.entity_id)))
        .collect();
    let choices = form_choices(state, &l, scope, session.actor.tenant, &form)
        .await
        .map_err(failed)?;
    Ok(render(&ListPage {
        l,
        error,
        mailboxes,
        creating: true,
        form,
        choices,
    }))
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let (l, scope) = guard(&state, &session, &headers).await?;
    show_list(&state, &session, l, &scope, None, Draft::new_mailbox()).await
}

async fn create(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<MailboxForm>,
) -> PageResult {
    let (l, scope) = guard_form(&state, &session, &headers, &form.csrf).await?;
    let result = async {
        let entity = EntityId(required_id(&form.entity, "entity_id")?);
        state.store().get_entity(&scope, entity).await?;
        let input = checked(&form, "[]".to_owned())?;
        let created = state
            .store()
            .create_mailbox(&session.actor, &scope, state.clock().now(), &input)
            .await?;
        Ok::<_, FormError>(created.id)
    }
    .await;
    match result {
        Ok(id) => Ok(see_other(&format!("{HERE}/{id}"))),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show_list(
                &state,
                &session,
                l,
                &scope,
                Some(message),
                Draft::typed(&form),
            )
            .await?;
            Ok(with_status(page, status))
        }
    }
}

/// One condition of a rule, in words.
struct ConditionRow {
    field: String,
    pattern: String,
}

/// One rule, in words.
struct RuleRow {
    position: usize,
    name: String,
    conditions: Vec<ConditionRow>,
    action: String,
    /// The action's settings, `name = value`.
    settings: Vec<String>,
}

fn rule_rows(l: &Layout, rules: &[RuleWire]) -> Vec<RuleRow> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (key, settings) = match &r.action {
                ActionWire::Place {
                    entity_id,
                    category_id,
                    priority,
                    group_id,
                } => {
                    let mut s = Vec::new();
                    if let Some(e) = entity_id {
                        s.push(format!("entity_id = {e}"));
                    }
                    if let Some(c) = category_id {
                        s.push(format!("category_id = {c}"));
                    }
                    if let Some(p) = priority {
                        s.push(format!("priority = {p}"));
                    }
                    if let Some(g) = group_id {
                        s.push(format!("group_id = {g}"));
                    }
                    ("mail-rule-place", s)
                }
                ActionWire::Event {
                    source,
                    severity,
                    check,
                } => {
                    let mut s = vec![
                        format!("source = {source}"),
                        format!("severity = {severity}"),
                    ];
                    if !check.is_empty() {
                        s.push(format!("check = {check}"));
                    }
                    ("mail-rule-event", s)
                }
                ActionWire::Ignore => ("mail-rule-ignore", Vec::new()),
            };
            RuleRow {
                position: i + 1,
                name: r.name.clone(),
                conditions: r
                    .conditions
                    .iter()
                    .map(|c| ConditionRow {
                        field: c.field.clone(),
                        pattern: c.pattern.clone(),
                    })
                    .collect(),
                action: l.t(key),
                settings,
            }
        })
        .collect()
}

/// One received mail, in words.
struct ReceivedRow {
    at: String,
    from: String,
    subject: String,
    outcome: String,
    outcome_code: String,
    ticket: Option<i64>,
    reason: String,
}

/// One event field the tester shows.
struct Shown {
    label: String,
    value: String,
}

/// The tester's answer, in words.
struct TestView {
    outcome: String,
    outcome_code: &'static str,
    reason: Option<String>,
    rule: Option<String>,
    message_id: Option<String>,
    from: Option<String>,
    subject: Option<String>,
    title_label: String,
    title: Option<String>,
    ticket: Option<i64>,
    new_contact: Option<String>,
    event: Vec<Shown>,
    labels: Vec<(String, String)>,
    attachments: Vec<String>,
    warnings: Vec<String>,
}

fn test_view(l: &Layout, t: MailTest) -> TestView {
    let code = t.outcome.as_str();
    let opens = matches!(
        t.outcome,
        tester::TestOutcome::Ticket | tester::TestOutcome::Reply
    );
    let (event, labels) = match t.event {
        Some(e) => (
            vec![
                Shown {
                    label: l.t("mail-event-source"),
                    value: e.source,
                },
                Shown {
                    label: l.t("mail-event-resource"),
                    value: e.resource,
                },
                Shown {
                    label: l.t("mail-event-check"),
                    value: e.check,
                },
                Shown {
                    label: l.t("mail-event-severity"),
                    value: e.severity,
                },
                Shown {
                    label: l.t("mail-event-action"),
                    value: e.action,
                },
                Shown {
                    label: l.t("mail-event-summary"),
                    value: e.summary,
                },
            ],
            e.labels.into_iter().collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    TestView {
        outcome: l.t(&format!("mail-outcome-{code}")),
        outcome_code: code,
        reason: t.reason,
        rule: t.rule,
        message_id: t.message_id,
        from: t.from,
        subject: t.subject,
        title_label: l.t(if t.outcome == tester::TestOutcome::Reply {
            "mail-test-reply-text"
        } else {
            "mail-test-title"
        }),
        title: t.title,
        ticket: t.ticket_id.map(|id| id.0),
        new_contact: opens.then(|| l.t(if t.new_contact { "yes" } else { "no" })),
        event,
        labels,
        attachments: t.attachments,
        warnings: t.warnings,
    }
}

#[derive(Template)]
#[template(path = "mailbox.html")]
struct MailboxPage {
    l: Layout,
    error: Option<String>,
    mailbox: MailboxRow,
    creating: bool,
    form: Draft,
    choices: FormChoices,
    rules: Vec<RuleRow>,
    rules_text: String,
    received: Vec<ReceivedRow>,
    raw: String,
    result: Option<TestView>,
}

/// What the mailbox page holds besides the mailbox: a refusal, the
/// settings or rules as typed, the tester's mail and answer.
#[derive(Default)]
struct PageState {
    error: Option<String>,
    form: Option<Draft>,
    rules_text: Option<String>,
    raw: String,
    result: Option<MailTest>,
}

/// The rules as the textarea shows them: indented JSON, or the stored
/// text if it cannot be read.
fn rules_text(rules: &[RuleWire], stored: &str) -> String {
    serde_json::to_string_pretty(rules).unwrap_or_else(|_| stored.to_owned())
}

async fn show_mailbox(
    state: &AppState,
    mut l: Layout,
    scope: &Scope,
    m: MailboxRecord,
    page: PageState,
) -> PageResult {
    let failed = |l: &Layout, e| store_page(l, e);
    l.title = l.lang.t1("mail-box-title", "name", m.name.clone());
    l.here = format!("{HERE}/{}", m.id);
    let names = entity_names_of(state, scope, vec![m.entity_id])
        .await
        .map_err(|e| failed(&l, e))?;
    let form = page.form.unwrap_or_else(|| Draft::of(&m));
    let choices = form_choices(state, &l, scope, m.tenant_id, &form)
        .await
        .map_err(|e| failed(&l, e))?;
    let (rules, shown) = match rules_wire::compile_stored(&m.rules) {
        Ok((wire, _)) => (rule_rows(&l, &wire), rules_text(&wire, &m.rules)),
        Err(_) => (Vec::new(), m.rules.clone()),
    };
    let received = state
        .store()
        .list_received_mails(m.tenant_id, Some(m.id), RECEIVED_SHOWN)
        .await
        .map_err(|e| failed(&l, e))?
        .into_iter()
        .map(|r| ReceivedRow {
            at: utc(r.received_at),
            from: r.from,
            subject: r.subject,
            outcome: l.t(&format!("mail-outcome-{}", r.outcome)),
            outcome_code: r.outcome,
            ticket: r.ticket_id.map(|t| t.0),
            reason: r.reason,
        })
        .collect();
    let result = page.result.map(|t| test_view(&l, t));
    Ok(render(&MailboxPage {
        mailbox: mailbox_row(&l, &m, entity_name(&names, m.entity_id)),
        creating: false,
        form,
        choices,
        rules,
        rules_text: page.rules_text.unwrap_or(shown),
        received,
        raw: page.raw,
        result,
        error: page.error,
        l,
    }))
}

/// The mailbox a path names, within the scope (404 page otherwise).
async fn mailbox_of(
    state: &AppState,
    l: &Layout,
    scope: &Scope,
    raw: &str,
) -> Result<MailboxRecord, Response> {
    named_by_path(l, raw, |id| state.store().get_mailbox(scope, MailboxId(id))).await
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> PageResult {
    let (l, scope) = guard(&state, &session, &headers).await?;
    let m = mailbox_of(&state, &l, &scope, &raw).await?;
    show_mailbox(&state, l, &scope, m, PageState::default()).await
}

/// Shows the mailbox page again with a refusal and its status.
async fn refused(
    state: &AppState,
    l: Layout,
    scope: &Scope,
    m: MailboxRecord,
    e: FormError,
    mut page: PageState,
) -> PageResult {
    let (status, message) = explain(&l, e)?;
    page.error = Some(message);
    let res = show_mailbox(state, l, scope, m, page).await?;
    Ok(with_status(res, status))
}

async fn update(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<MailboxForm>,
) -> PageResult {
    let (l, scope) = guard_form(&state, &session, &headers, &form.csrf).await?;
    let m = mailbox_of(&state, &l, &scope, &raw).await?;
    let result = async {
        let input = checked(&form, m.rules.clone())?;
        state
            .store()
            .update_mailbox(&session.actor, &scope, state.clock().now(), m.id, &input)
            .await?;
        Ok::<_, FormError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!("{HERE}/{}", m.id))),
        Err(e) => {
            let page = PageState {
                form: Some(Draft::typed(&form)),
                ..PageState::default()
            };
            refused(&state, l, &scope, m, e, page).await
        }
    }
}

/// The rules form: the whole list as JSON.
#[derive(Deserialize)]
pub(super) struct RulesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rules: String,
}

/// The words of a refused rule set: the rule's number and name when the
/// refusal is about one.
fn rules_refusal(l: &Layout, text: &str, e: &RuleError) -> String {
    let index = e
        .path
        .strip_prefix("rules[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|i| i.parse::<usize>().ok());
    let name = index.and_then(|i| {
        serde_json::from_str::<Vec<RuleWire>>(text)
            .ok()
            .and_then(|rules| rules.get(i).map(|r| r.name.clone()))
    });
    match (index, name) {
        (Some(i), Some(name)) => l.lang.tn(
            "mail-rule-refused",
            [
                ("position", (i + 1).to_string()),
                ("name", name),
                ("detail", e.to_string()),
            ],
        ),
        _ if e.path == "rules" => l.lang.t1("mail-rules-refused", "detail", e.message.clone()),
        _ => l.lang.t1("mail-rules-refused", "detail", e.to_string()),
    }
}

async fn save_rules(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<RulesForm>,
) -> PageResult {
    let (l, scope) = guard_form(&state, &session, &headers, &form.csrf).await?;
    let m = mailbox_of(&state, &l, &scope, &raw).await?;
    let checked = rules_wire::compile_stored(&form.rules)
        .and_then(|(wire, _)| rules_wire::checked_json(&wire));
    let json = match checked {
        Ok(json) => json,
        Err(e) => {
            let page = PageState {
                rules_text: Some(form.rules.clone()),
                ..PageState::default()
            };
            let why = FormError::Invalid(rules_refusal(&l, &form.rules, &e));
            return refused(&state, l, &scope, m, why, page).await;
        }
    };
    let id = m.id;
    let input = settings::with_rules(m, json);
    match state
        .store()
        .update_mailbox(&session.actor, &scope, state.clock().now(), id, &input)
        .await
    {
        Ok(_) => Ok(see_other(&format!("{HERE}/{id}#rules-title"))),
        Err(e) => Err(store_page(&l, e)),
    }
}

/// The tester's form: a raw mail.
#[derive(Deserialize)]
pub(super) struct TestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    raw: String,
}

/// Shows what the pasted mail would become; nothing is stored.
async fn test(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<TestForm>,
) -> PageResult {
    let (l, scope) = guard_form(&state, &session, &headers, &form.csrf).await?;
    let m = mailbox_of(&state, &l, &scope, &raw).await?;
    let page = PageState {
        raw: form.raw.clone(),
        ..PageState::default()
    };
    match tester::test_mail(&state, m.clone(), form.raw.as_bytes()).await {
        Ok(t) => {
            let page = PageState {
                result: Some(t),
                ..page
            };
            show_mailbox(&state, l, &scope, m, page).await
        }
        Err(IntakeError::Store(e)) => Err(store_page(&l, e)),
        Err(e) => {
            refused(
                &state,
                l,
                &scope,
                m,
                FormError::Invalid(e.to_string()),
                page,
            )
            .await
        }
    }
}

/// The deletion form: its box must be ticked.
#[derive(Deserialize)]
pub(super) struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

async fn delete(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<DeleteForm>,
) -> PageResult {
    let (l, scope) = guard_form(&state, &session, &headers, &form.csrf).await?;
    let m = mailbox_of(&state, &l, &scope, &raw).await?;
    if form.confirm.is_empty() {
        let why = FormError::Refused("mail-delete-unconfirmed");
        return refused(&state, l, &scope, m, why, PageState::default()).await;
    }
    match state
        .store()
        .delete_mailbox(&session.actor, &scope, state.clock().now(), m.id)
        .await
    {
        Ok(()) => Ok(see_other(HERE)),
        Err(e) => Err(store_page(&l, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_choices_are_read_from_text() {
        assert!(matches!(number("port", " 993 "), Ok(993)));
        assert!(number("port", "imaps").is_err());
        assert_eq!(chosen(" tls "), Some("tls".to_owned()));
        assert_eq!(chosen(""), None);
    }

    #[test]
    fn an_empty_password_keeps_the_stored_one() {
        let form = MailboxForm {
            entity: "3".into(),
            port: "993".into(),
            poll_seconds: "60".into(),
            rate_max: "20".into(),
            rate_window_seconds: "600".into(),
            ..MailboxForm::default()
        };
        let fields = fields_of(&form, "[]".into()).expect("fields");
        assert_eq!(fields.password, None);
        assert_eq!(fields.entity_id, EntityId(3));
        assert!(!fields.active);
    }
}
