//! Helpers shared by the administration and self-service pages: the page
//! frame, refusals as pages, form errors, scopes narrowed by the entity
//! switcher, entity choices for selects, dates and pagination links.

use super::{Layout, MessagePage, render};
use crate::AppState;
use crate::auth::WebSession;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use vigie_core::Timestamp;
use vigie_core::ids::{EntityId, TenantId};
use vigie_core::role::Permission;
use vigie_core::tenancy::{EntityPath, Scope};
use vigie_store::{EntityRecord, PageRequest, StoreError};

/// What a page handler returns: the page, or a refusal page.
pub(super) type PageResult = Result<Response, Response>;

/// How many rows a list page shows.
pub(super) const PAGE_SIZE: u32 = 50;

/// The kinds of entity, in the order of the selects.
pub(super) const ENTITY_KINDS: [&str; 5] =
    ["group", "region", "site", "establishment", "department"];

/// The frame of a page whose title is the message `title_key`.
pub(super) async fn frame(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
    title_key: &str,
    section: &str,
) -> Result<Layout, Response> {
    let mut l = Layout::build(state, session, headers, String::new(), section).await?;
    l.title = l.t(title_key);
    Ok(l)
}

/// The frame of a page whose form changes the directory: the CSRF token is
/// checked first, then the permission (403 page otherwise).
pub(super) async fn manage_frame(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
    title_key: &str,
    section: &str,
    csrf: &str,
) -> Result<Layout, Response> {
    let l = frame(state, session, headers, title_key, section).await?;
    super::check_csrf(session, &l, csrf)?;
    if !session
        .actor
        .can_anywhere(vigie_core::role::Permission::ManageDirectory)
    {
        return Err(forbidden(&l));
    }
    Ok(l)
}

/// A message page with a status.
pub(super) fn message(l: &Layout, status: StatusCode, key: &str) -> Response {
    let page = MessagePage {
        l: l.clone(),
        message: l.t(key),
    };
    let mut res = render(&page);
    if res.status() == StatusCode::OK {
        *res.status_mut() = status;
    }
    res
}

/// The 403 page.
pub(super) fn forbidden(l: &Layout) -> Response {
    message(l, StatusCode::FORBIDDEN, "forbidden")
}

/// The 404 page.
pub(super) fn not_found(l: &Layout) -> Response {
    message(l, StatusCode::NOT_FOUND, "not-found")
}

/// The record a path's id names, as `read` finds it: the 404 page for an
/// id that is not a number, the store's refusal as a page otherwise.
pub(super) async fn named_by_path<T, Fut>(
    l: &Layout,
    raw: &str,
    read: impl FnOnce(i64) -> Fut,
) -> Result<T, Response>
where
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let Some(id) = parse_id(raw) else {
        return Err(not_found(l));
    };
    read(id).await.map_err(|e| store_page(l, e))
}

/// A store failure met while reading a page: 404, 403 or 500.
pub(super) fn store_page(l: &Layout, e: StoreError) -> Response {
    match e {
        StoreError::NotFound => not_found(l),
        StoreError::Forbidden(_) => forbidden(l),
        StoreError::Conflict { .. } | StoreError::Invalid(_) => {
            message(l, StatusCode::BAD_REQUEST, "error-request")
        }
        StoreError::Busy => message(l, StatusCode::SERVICE_UNAVAILABLE, "error-busy"),
        StoreError::Config(_) | StoreError::Database(_) => {
            tracing::error!(cause = %e, "web page failed");
            message(l, StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
        }
    }
}

/// Post/Redirect/Get: back to `to` after a successful form.
pub(super) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// Sets the status of a re-rendered page (only over a 200).
pub(super) fn with_status(mut res: Response, status: StatusCode) -> Response {
    if res.status() == StatusCode::OK {
        *res.status_mut() = status;
    }
    res
}

/// A form that carries only its CSRF token (delete, revoke buttons).
#[derive(Debug, serde::Deserialize)]
pub(super) struct CsrfForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// A choice of a select: the value sent and the label shown.
#[derive(Clone, Debug)]
pub(super) struct Choice {
    /// The value sent.
    pub value: String,
    /// The label shown.
    pub label: String,
}

impl Choice {
    /// A choice whose label is the message `key`.
    pub fn keyed(l: &Layout, value: &str, key: &str) -> Choice {
        Choice {
            value: value.to_owned(),
            label: l.t(key),
        }
    }
}

/// The kinds of entity as choices.
pub(super) fn kind_choices(l: &Layout) -> Vec<Choice> {
    ENTITY_KINDS
        .iter()
        .map(|k| Choice::keyed(l, k, &format!("kind-{k}")))
        .collect()
}

/// The languages a user may prefer; empty means the browser's.
pub(super) fn locale_choices(l: &Layout) -> Vec<Choice> {
    vec![
        Choice::keyed(l, "", "locale-browser"),
        Choice {
            value: "fr".to_owned(),
            label: "Français".to_owned(),
        },
        Choice {
            value: "en".to_owned(),
            label: "English".to_owned(),
        },
    ]
}

/// The actor's tenant if he holds `permission` on its root entity (the
/// tenant-wide settings pages), else `None`.
pub(super) async fn tenant_managed(
    state: &AppState,
    session: &WebSession,
    permission: Permission,
) -> Result<Option<TenantId>, StoreError> {
    let actor = &session.actor;
    let tenant = state
        .store()
        .get_tenant(&Scope::Platform, actor.tenant)
        .await?;
    Ok(tenant
        .root_entity_id
        .map(EntityPath::root)
        .filter(|root| actor.can(permission, tenant.id, root))
        .map(|_| tenant.id))
}

/// Why a form was refused.
#[derive(Debug)]
pub(super) enum FormError {
    /// The store refused or failed.
    Store(StoreError),
    /// A value broke the core's rules; the message says which.
    Invalid(String),
    /// A refusal of the page itself, as a message key.
    Refused(&'static str),
}

impl From<StoreError> for FormError {
    fn from(e: StoreError) -> Self {
        FormError::Store(e)
    }
}

impl From<vigie_core::validate::InvalidValue> for FormError {
    fn from(e: vigie_core::validate::InvalidValue) -> Self {
        FormError::Invalid(e.to_string())
    }
}

impl From<vigie_core::auth::PasswordError> for FormError {
    fn from(e: vigie_core::auth::PasswordError) -> Self {
        FormError::Invalid(e.to_string())
    }
}

/// Turns a refused form into the message to show above it with its status,
/// or into a page of its own (out of scope, server failure).
#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
pub(super) fn explain(l: &Layout, e: FormError) -> Result<(StatusCode, String), Response> {
    match e {
        FormError::Invalid(why) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            l.lang.t1("error-invalid", "detail", why),
        )),
        FormError::Refused(key) => Ok((StatusCode::UNPROCESSABLE_ENTITY, l.t(key))),
        FormError::Store(StoreError::Conflict { what }) => Ok((
            StatusCode::CONFLICT,
            l.lang.t1("error-conflict", "detail", what),
        )),
        FormError::Store(StoreError::Invalid(why)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            l.lang.t1("error-invalid", "detail", why),
        )),
        FormError::Store(StoreError::Forbidden(why)) => Ok((
            StatusCode::FORBIDDEN,
            l.lang.t1("error-refused", "detail", why),
        )),
        FormError::Store(e) => Err(store_page(l, e)),
    }
}

/// A number typed in a form or a query; `None` when empty or not a number.
pub(super) fn parse_id(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok().filter(|n| *n > 0)
}

/// A required id from a form: a refusal naming the field otherwise.
pub(super) fn required_id(s: &str, field: &'static str) -> Result<i64, FormError> {
    parse_id(s).ok_or(FormError::Invalid(format!("`{field}` must be chosen")))
}

/// The language of a form's select: empty for the browser's.
pub(super) fn parse_locale(s: &str) -> Result<Option<String>, FormError> {
    match s.trim() {
        "" => Ok(None),
        "fr" | "en" => Ok(Some(s.trim().to_owned())),
        _ => Err(FormError::Invalid(
            "`locale` must be `fr`, `en` or empty".to_owned(),
        )),
    }
}

/// `scope` narrowed to the entity chosen in the switcher, if any. The
/// result never reaches beyond `scope`.
pub(super) async fn narrowed(
    state: &AppState,
    session: &WebSession,
    scope: Scope,
) -> Result<Scope, StoreError> {
    let Some(id) = session.current_entity else {
        return Ok(scope);
    };
    match state.store().get_entity(&session.actor.reach(), id).await {
        Ok(e) => Ok(scope.narrowed_to(e.tenant_id, &e.path)),
        // The chosen entity is gone: show everything the scope allows.
        Err(StoreError::NotFound) => Ok(scope),
        Err(e) => Err(e),
    }
}

/// Every entity in `scope` (up to a few thousand), in tree order.
pub(super) async fn all_entities(
    state: &AppState,
    scope: &Scope,
) -> Result<Vec<EntityRecord>, StoreError> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(500);
    for _ in 0..20 {
        let found = state.store().list_entities(scope, None, page).await?;
        out.extend(found.items);
        match found.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    tree_order(&mut out);
    Ok(out)
}

/// Sorts entities so that each comes right after its parent.
pub(super) fn tree_order(entities: &mut [EntityRecord]) {
    entities.sort_by_cached_key(|e| e.path.ids());
}

/// An entity offered by a select, its name indented by depth.
#[derive(Clone, Debug)]
pub(super) struct EntityChoice {
    /// Its id.
    pub id: i64,
    /// Its indented name.
    pub label: String,
}

/// Select choices for entities in tree order, indented relative to the
/// shallowest one.
pub(super) fn entity_choices(entities: &[EntityRecord]) -> Vec<EntityChoice> {
    let top = entities.iter().map(|e| e.path.depth()).min().unwrap_or(0);
    entities
        .iter()
        .map(|e| EntityChoice {
            id: e.id.0,
            label: format!("{}{}", indent(e.path.depth() - top), e.name),
        })
        .collect()
}

/// Non-breaking spaces for a depth in the tree.
pub(super) fn indent(depth: usize) -> String {
    "\u{a0}\u{a0}\u{a0}".repeat(depth)
}

/// The names of the entities `ids` that `scope` reaches (one read each,
/// without repetition); the others are left out.
pub(super) async fn entity_names_of(
    state: &AppState,
    scope: &Scope,
    ids: Vec<EntityId>,
) -> Result<HashMap<EntityId, String>, StoreError> {
    let mut names = HashMap::new();
    for id in ids {
        if names.contains_key(&id) {
            continue;
        }
        match state.store().get_entity(scope, id).await {
            Ok(e) => {
                names.insert(id, e.name);
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(names)
}

/// The name of an entity, or its number when it is not among `names`.
pub(super) fn entity_name(names: &HashMap<EntityId, String>, id: EntityId) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
}

/// A time in UTC, RFC 3339 to the second.
pub(super) fn utc(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A link to `path` with the non-empty query parameters `params`.
pub(super) fn link(path: &str, params: &[(&str, String)]) -> String {
    let kept: Vec<(&str, &str)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    match serde_urlencoded::to_string(&kept) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_core::ids::TenantId;
    use vigie_core::tenancy::EntityPath;

    fn entity(path: &str, name: &str) -> EntityRecord {
        let path = EntityPath::parse(path).expect("path");
        let ids = path.ids();
        EntityRecord {
            id: *ids.last().expect("id"),
            tenant_id: TenantId(1),
            parent_id: ids.len().checked_sub(2).map(|i| ids[i]),
            path,
            name: name.to_owned(),
            kind: "site".to_owned(),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn tree_order_puts_children_under_their_parent() {
        let mut list = vec![
            entity("/1/3/", "Sud"),
            entity("/1/2/10/", "Lille"),
            entity("/1/", "Groupe"),
            entity("/1/2/", "Nord"),
        ];
        tree_order(&mut list);
        let names: Vec<&str> = list.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Groupe", "Nord", "Lille", "Sud"]);
        let choices = entity_choices(&list);
        assert_eq!(choices[0].label, "Groupe");
        assert_eq!(choices[2].label, format!("{}Lille", indent(2)));
    }

    #[test]
    fn choices_indent_from_the_shallowest_entity() {
        let list = vec![entity("/1/2/", "Nord"), entity("/1/2/10/", "Lille")];
        let choices = entity_choices(&list);
        assert_eq!(choices[0].label, "Nord");
        assert_eq!(choices[1].label, format!("{}Lille", indent(1)));
    }

    #[test]
    fn links_encode_and_skip_empty_parameters() {
        assert_eq!(link("/admin/users", &[]), "/admin/users");
        assert_eq!(
            link(
                "/admin/users",
                &[("q", "é & co".to_owned()), ("after", "42".to_owned())]
            ),
            "/admin/users?q=%C3%A9+%26+co&after=42"
        );
        assert_eq!(link("/audit", &[("record_type", String::new())]), "/audit");
    }

    #[test]
    fn ids_and_locales_parse_leniently() {
        assert_eq!(parse_id(" 12 "), Some(12));
        assert_eq!(parse_id(""), None);
        assert_eq!(parse_id("-3"), None);
        assert_eq!(parse_id("x"), None);
        assert!(matches!(parse_locale(""), Ok(None)));
        assert!(matches!(parse_locale("fr"), Ok(Some(l)) if l == "fr"));
        assert!(parse_locale("de").is_err());
    }

    #[test]
    fn times_are_utc_to_the_second() {
        let t = Timestamp::from_microsecond(1_700_000_000_123_456).expect("time");
        assert_eq!(utc(t), "2023-11-14T22:13:20Z");
    }
}
