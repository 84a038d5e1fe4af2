//! `/admin/events`: event management's configuration. Integration keys
//! (listed, created for an entity with the secret shown once in the answer,
//! revoked) for whoever holds `ManageEvents` somewhere; the tenant's
//! maintenance windows (listed, created, ended now) and the classification
//! rules in effect (read only: they are edited through the API) for whoever
//! holds it on the tenant's root entity.

use super::common::{
    CsrfForm, FormError, PageResult, all_entities, entity_choices, entity_name, entity_names_of,
    explain, forbidden, frame, not_found, parse_id, see_other, store_page, utc, with_status,
};
use super::events::severity_label;
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::{WebSession, new_integration_key};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;
use vigie_core::Timestamp;
use vigie_core::event::classify::{ClassRule, Condition, default_rules};
use vigie_core::event::maintenance::WindowScope;
use vigie_core::ids::{CiId, EntityId, IntegrationKeyId, MaintenanceWindowId, TenantId};
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{CiFilter, NewIntegrationKey, NewMaintenanceWindow, PageRequest, StoreError};

/// The path of the page, and its navigation section.
pub(super) const HERE: &str = "/admin/events";

/// Items offered by the window form's select.
const ITEMS_OFFERED: u32 = 500;

/// The routes of the page.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(view))
        .route("/admin/events/keys", post(create_key))
        .route("/admin/events/keys/{id}/revoke", post(revoke_key))
        .route("/admin/events/windows", post(create_window))
        .route("/admin/events/windows/{id}/end", post(end_window))
}

/// One integration key.
struct KeyRow {
    id: i64,
    source: String,
    entity: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
    revoke_label: String,
}

/// A key just created, with its secret.
struct CreatedKey {
    source: String,
    secret: String,
}

/// One maintenance window.
struct WindowRow {
    id: i64,
    name: String,
    starts: String,
    ends: String,
    covers: String,
    active: bool,
    ended: bool,
    end_label: String,
}

/// One classification rule, in words.
struct RuleRow {
    position: usize,
    name: String,
    conditions: Vec<String>,
    class: String,
    incident: String,
    auto_resolve: String,
}

#[derive(Template)]
#[template(path = "events_admin.html")]
struct AdminPage {
    l: Layout,
    error: Option<String>,
    created: Option<CreatedKey>,
    keys: Option<Vec<KeyRow>>,
    entities: Vec<(i64, String)>,
    tenant_part: bool,
    windows: Vec<WindowRow>,
    items: Vec<(i64, String)>,
    rules: Vec<RuleRow>,
    default_rules: bool,
}

/// The tenant whose windows and rules the actor manages, if he does.
async fn managed_tenant(
    state: &AppState,
    session: &WebSession,
) -> Result<Option<TenantId>, StoreError> {
    super::common::tenant_managed(state, session, Permission::ManageEvents).await
}

/// A condition of a rule, in the page's language.
fn condition_text(l: &Layout, c: &Condition) -> String {
    let (key, value) = match c {
        Condition::SourceIs { source } => ("event-cond-source-is", source.clone()),
        Condition::SeverityAtLeast { severity } => {
            ("event-cond-severity-at-least", severity_label(l, *severity))
        }
        Condition::SeverityIs { severity } => {
            ("event-cond-severity-is", severity_label(l, *severity))
        }
        Condition::LabelIs { name, value } => ("event-cond-label-is", format!("{name} = {value}")),
        Condition::LabelMatches { name, pattern } => {
            ("event-cond-label-matches", format!("{name} ~ {pattern}"))
        }
        Condition::SummaryMatches { pattern } => ("event-cond-summary-matches", pattern.clone()),
    };
    l.lang.t1(key, "value", value)
}

fn rule_rows(l: &Layout, rules: &[ClassRule]) -> Vec<RuleRow> {
    let yes_no = |b: bool| l.t(if b { "yes" } else { "no" });
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleRow {
            position: i + 1,
            name: r.name.clone(),
            conditions: r.conditions.iter().map(|c| condition_text(l, c)).collect(),
            class: l.t(&format!("event-class-{}", r.outcome.class.as_str())),
            incident: yes_no(r.outcome.open_incident),
            auto_resolve: yes_no(r.outcome.auto_resolve),
        })
        .collect()
}

async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    error: Option<String>,
    created: Option<CreatedKey>,
) -> PageResult {
    let actor = &session.actor;
    let failed = |e| store_page(&l, e);
    let keys_allowed = actor.can_anywhere(Permission::ManageEvents);
    let tenant = managed_tenant(state, session).await.map_err(failed)?;
    if !keys_allowed && tenant.is_none() {
        return Err(forbidden(&l));
    }
    let store = state.store();
    let now = state.clock().now();
    let (keys, entities) = if keys_allowed {
        let scope = actor.scope(Permission::ManageEvents);
        let list = store.list_integration_keys(&scope).await.map_err(failed)?;
        let names = entity_names_of(
            state,
            &actor.reach(),
            list.iter().map(|k| k.entity_id).collect(),
        )
        .await
        .map_err(failed)?;
        let rows = list
            .into_iter()
            .map(|k| KeyRow {
                id: k.id.0,
                entity: entity_name(&names, k.entity_id),
                revoke_label: l
                    .lang
                    .t1("event-key-revoke-named", "source", k.source.clone()),
                source: k.source,
                prefix: k.prefix,
                created: utc(k.created_at),
                last_used: k.last_used_at.map(utc).unwrap_or_default(),
                revoked: k.revoked_at.map(utc),
            })
            .collect();
        let entities = all_entities(state, &scope).await.map_err(failed)?;
        let choices = entity_choices(&entities)
            .into_iter()
            .map(|c| (c.id, c.label))
            .collect();
        (Some(rows), choices)
    } else {
        (None, Vec::new())
    };
    let (mut windows, mut items, mut rules, mut defaults) =
        (Vec::new(), Vec::new(), Vec::new(), false);
    if let Some(tenant) = tenant {
        let list = store
            .list_maintenance_windows(tenant)
            .await
            .map_err(failed)?;
        let cis = store
            .list_cis(
                &actor.scope(Permission::ViewCmdb),
                &CiFilter::default(),
                PageRequest::first(ITEMS_OFFERED),
            )
            .await
            .map_err(failed)?;
        items = cis.items.iter().map(|c| (c.id.0, c.name.clone())).collect();
        windows = list
            .into_iter()
            .map(|(name, w)| WindowRow {
                id: w.id.0,
                starts: utc(w.starts_at),
                ends: utc(w.ends_at),
                covers: match &w.scope {
                    WindowScope::Tenant => l.t("event-window-whole-tenant"),
                    WindowScope::Items(ids) => ids
                        .iter()
                        .map(|id| {
                            items
                                .iter()
                                .find(|(i, _)| *i == id.0)
                                .map(|(_, n)| n.clone())
                                .unwrap_or_else(|| format!("#{id}"))
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                active: w.is_active(now),
                ended: w.ends_at <= now,
                end_label: l.lang.t1("event-window-end-named", "name", name.clone()),
                name,
            })
            .collect();
        let stored = store.event_rules(tenant).await.map_err(failed)?;
        defaults = stored.is_none();
        rules = rule_rows(&l, &stored.unwrap_or_else(default_rules));
    }
    Ok(render(&AdminPage {
        l,
        error,
        created,
        keys,
        entities,
        tenant_part: tenant.is_some(),
        windows,
        items,
        rules,
        default_rules: defaults,
    }))
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let l = frame(&state, &session, &headers, "events-admin-title", HERE).await?;
    show(&state, &session, l, None, None).await
}

/// The key creation form.
#[derive(Deserialize)]
pub(super) struct KeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    source: String,
}

/// Creates a key and shows its secret in the answer itself: it is kept
/// nowhere, so this page cannot be a redirect.
async fn create_key(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<KeyForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "events-admin-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ManageEvents) {
        return Err(forbidden(&l));
    }
    let result = async {
        let entity =
            parse_id(&form.entity).ok_or(FormError::Refused("event-key-entity-missing"))?;
        let scope = actor.scope(Permission::ManageEvents);
        let entity = state.store().get_entity(&scope, EntityId(entity)).await?;
        let source = validate::source_name(form.source.trim())?;
        let secret = new_integration_key();
        let new = NewIntegrationKey {
            entity_id: entity.id,
            source,
            prefix: secret.prefix,
            secret_hash: secret.hash,
        };
        let key = state
            .store()
            .create_integration_key(actor, &scope, state.clock().now(), &new)
            .await?;
        Ok::<_, FormError>(CreatedKey {
            source: key.source,
            secret: secret.secret,
        })
    }
    .await;
    match result {
        Ok(created) => show(&state, &session, l, None, Some(created)).await,
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show(&state, &session, l, Some(message), None).await?;
            Ok(with_status(page, status))
        }
    }
}

async fn revoke_key(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "events-admin-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ManageEvents) {
        return Err(forbidden(&l));
    }
    let Some(id) = parse_id(&raw) else {
        return Err(not_found(&l));
    };
    match state
        .store()
        .revoke_integration_key(
            actor,
            &actor.scope(Permission::ManageEvents),
            state.clock().now(),
            IntegrationKeyId(id),
        )
        .await
    {
        Ok(_) => Ok(see_other(HERE)),
        Err(e) => {
            let (status, message) = explain(&l, e.into())?;
            let page = show(&state, &session, l, Some(message), None).await?;
            Ok(with_status(page, status))
        }
    }
}

/// A time typed in the form: RFC 3339, or a `datetime-local` value read
/// as UTC.
fn form_time(field: &str, value: &str) -> Result<Timestamp, FormError> {
    let v = value.trim();
    if let Ok(t) = v.parse::<Timestamp>() {
        return Ok(t);
    }
    v.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| FormError::Invalid(format!("`{field}` must be a date and a time (UTC)")))
}

/// Reads the window form (its item select may repeat).
fn window_of(pairs: &[(String, String)]) -> Result<NewMaintenanceWindow, FormError> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let name = validate::name("name", get("name"), 200)?;
    let starts_at = form_time("starts_at", get("starts_at"))?;
    let ends_at = form_time("ends_at", get("ends_at"))?;
    if ends_at <= starts_at {
        return Err(FormError::Refused("event-window-end-before-start"));
    }
    let ci_ids = pairs
        .iter()
        .filter(|(k, _)| k == "ci")
        .filter_map(|(_, v)| parse_id(v))
        .map(CiId)
        .collect();
    Ok(NewMaintenanceWindow {
        name,
        starts_at,
        ends_at,
        ci_ids,
        include_children: get("include_children") == "on",
    })
}

async fn create_window(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "events-admin-title", HERE).await?;
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    check_csrf(&session, &l, &csrf)?;
    let Some(tenant) = managed_tenant(&state, &session)
        .await
        .map_err(|e| store_page(&l, e))?
    else {
        return Err(forbidden(&l));
    };
    let result = async {
        let new = window_of(&pairs)?;
        state
            .store()
            .create_maintenance_window(&session.actor, tenant, state.clock().now(), &new)
            .await?;
        Ok::<_, FormError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other(HERE)),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show(&state, &session, l, Some(message), None).await?;
            Ok(with_status(page, status))
        }
    }
}

async fn end_window(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "events-admin-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let Some(tenant) = managed_tenant(&state, &session)
        .await
        .map_err(|e| store_page(&l, e))?
    else {
        return Err(forbidden(&l));
    };
    let Some(id) = parse_id(&raw) else {
        return Err(not_found(&l));
    };
    match state
        .store()
        .end_maintenance_window(
            &session.actor,
            tenant,
            state.clock().now(),
            MaintenanceWindowId(id),
        )
        .await
    {
        Ok(()) => Ok(see_other(HERE)),
        Err(e) => Err(store_page(&l, e)),
    }
}
