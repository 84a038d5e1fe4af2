//! What every page shows around its content: navigation, the entity
//! switcher, the language switcher, the user and the CSRF token.

use crate::AppState;
use crate::auth::{WebSession, cookie_value, set_cookie};
use crate::i18n::{LANG_COOKIE, Lang};
use axum::Form;
use axum::extract::State;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use vigie_core::ids::EntityId;
use vigie_core::role::Permission;
use vigie_core::tenancy::{EntityPath, Scope};
use vigie_store::{PageRequest, UserChanges};

/// A link of the navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// Its label.
    pub label: String,
    /// Whether it is the current section.
    pub active: bool,
}

/// An entity offered by the switcher.
#[derive(Clone, Debug)]
pub struct EntityOption {
    /// Its id.
    pub id: i64,
    /// Its name, indented by depth.
    pub label: String,
    /// Whether it is the current one.
    pub selected: bool,
}

/// The frame of a page.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The page's language.
    pub lang: Lang,
    /// The page title.
    pub title: String,
    /// The user's name, when logged in.
    pub user_name: Option<String>,
    /// The CSRF token forms must carry.
    pub csrf: String,
    /// The navigation.
    pub nav: Vec<NavItem>,
    /// The entity switcher's choices.
    pub entities: Vec<EntityOption>,
    /// The path of the page, for the switchers to come back to.
    pub here: String,
}

impl Layout {
    /// The message `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The languages offered, as (code, name, current).
    pub fn langs(&self) -> Vec<(&'static str, &'static str, bool)> {
        Lang::ALL
            .iter()
            .map(|l| (l.code(), l.native_name(), *l == self.lang))
            .collect()
    }

    /// Whether no entity is chosen in the switcher.
    pub fn all_entities(&self) -> bool {
        !self.entities.iter().any(|e| e.selected)
    }

    /// The frame of a page for someone not logged in.
    pub fn anonymous(headers: &HeaderMap, title_key: &str, csrf: String) -> Layout {
        let lang = super::anonymous_lang(headers);
        Layout {
            lang,
            title: lang.t(title_key),
            user_name: None,
            csrf,
            nav: Vec::new(),
            entities: Vec::new(),
            here: "/login".to_owned(),
        }
    }

    /// The frame of a page for a logged-in user; `section` is the href of
    /// the current navigation item.
    pub async fn build(
        state: &AppState,
        session: &WebSession,
        headers: &HeaderMap,
        title: String,
        section: &str,
    ) -> Result<Layout, Response> {
        let store = state.store();
        let actor = &session.actor;
        let failed = |e: vigie_store::StoreError| crate::error::ApiError::from(e).into_response();
        let cookie = cookie_value(headers, LANG_COOKIE);
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = Lang::negotiate(session.locale.as_deref(), cookie.as_deref(), accept);
        let user = store
            .get_user(&Scope::Platform, actor.user)
            .await
            .map_err(failed)?;
        let reach = match actor.reach() {
            // A platform administrator switches among his own tenant's entities.
            Scope::Platform => Scope::Tenant {
                tenant: actor.tenant,
                rules: user
                    .entity_path
                    .ids()
                    .first()
                    .map(|root| vigie_core::tenancy::ScopeRule::Subtree(EntityPath::root(*root)))
                    .into_iter()
                    .collect(),
            },
            s => s,
        };
        let entities = store
            .list_entities(&reach, None, PageRequest::first(500))
            .await
            .map_err(failed)?;
        let mut entities: Vec<_> = entities.items;
        entities.sort_by_cached_key(|e| e.path.ids());
        let entities = entities
            .into_iter()
            .map(|e| EntityOption {
                id: e.id.0,
                label: format!("{}{}", "\u{a0}\u{a0}".repeat(e.path.depth()), e.name),
                selected: session.current_entity == Some(e.id),
            })
            .collect();
        let mut nav = vec![(("/"), "nav-home", true), ("/tickets", "nav-tickets", true)];
        let directory = actor.can_anywhere(Permission::ViewDirectory);
        nav.push(("/admin/entities", "nav-entities", directory));
        nav.push(("/admin/users", "nav-users", directory));
        nav.push(("/admin/groups", "nav-groups", directory));
        nav.push((
            super::desk_settings::HERE,
            "nav-desk",
            super::desk_settings::may_read_anywhere(actor),
        ));
        nav.push((
            super::mailboxes::HERE,
            "nav-mail",
            super::mailboxes::may_manage_anywhere(actor),
        ));
        nav.push((
            super::sla_admin::HERE,
            "nav-sla",
            super::desk_settings::may_read_anywhere(actor),
        ));
        nav.push((
            super::sla_pages::REPORT,
            "nav-sla-report",
            actor.can_anywhere(Permission::ViewEntityTickets),
        ));
        nav.push((
            super::cmdb::HERE,
            "nav-cmdb",
            actor.can_anywhere(Permission::ViewCmdb),
        ));
        let releases = actor.can_anywhere(Permission::ViewReleases);
        nav.push((super::releases::HERE, "nav-releases", releases));
        nav.push((super::releases::ENVIRONMENTS, "nav-environments", releases));
        nav.push((
            super::changes::HERE,
            "nav-changes",
            actor.can_anywhere(Permission::ViewChanges),
        ));
        nav.push((
            super::changes_admin::HERE,
            "nav-changes-admin",
            super::changes_admin::may_manage(actor),
        ));
        nav.push((
            super::events::HERE,
            "nav-events",
            actor.can_anywhere(Permission::WorkEvents),
        ));
        nav.push((
            super::events_admin::HERE,
            "nav-events-admin",
            actor.can_anywhere(Permission::ManageEvents),
        ));
        nav.push((
            "/audit",
            "nav-audit",
            actor.can_anywhere(Permission::ViewAudit),
        ));
        nav.push(("/tokens", "nav-tokens", true));
        nav.push(("/profile", "nav-profile", true));
        let nav = nav
            .into_iter()
            .filter(|(_, _, shown)| *shown)
            .map(|(href, key, _)| NavItem {
                href,
                label: lang.t(key),
                active: href == section,
            })
            .collect();
        Ok(Layout {
            lang,
            title,
            user_name: Some(user.display_name),
            csrf: session.csrf_token.clone(),
            nav,
            entities,
            here: section.to_owned(),
        })
    }
}

/// The language switcher's form.
#[derive(Deserialize)]
pub(crate) struct LangForm {
    lang: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

/// A local path to go back to; anything else goes home (no open redirect).
pub(crate) fn safe_back(back: &str) -> String {
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && back.len() < 512;
    if ok { back.to_owned() } else { "/".to_owned() }
}

/// Switches the language: remembered in a cookie, and as the user's
/// preference when logged in.
pub(crate) async fn switch_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Option<WebSession>,
    Form(form): Form<LangForm>,
) -> Response {
    let Some(lang) = Lang::from_code(&form.lang) else {
        return (StatusCode::BAD_REQUEST, "unknown language").into_response();
    };
    let expected = match &session {
        Some(s) => Some(s.csrf_token.clone()),
        None => cookie_value(&headers, crate::auth::CSRF_COOKIE),
    };
    if !expected.is_some_and(|e| super::constant_time_eq(e.as_bytes(), form.csrf.as_bytes())) {
        return (
            StatusCode::FORBIDDEN,
            Lang::negotiate(Some(lang.code()), None, None).t("csrf-failed"),
        )
            .into_response();
    }
    if let Some(s) = &session {
        let changes = UserChanges {
            locale: Some(Some(lang.code().to_owned())),
            ..Default::default()
        };
        if let Err(e) = state
            .store()
            .update_user(
                &s.actor,
                &Scope::Platform,
                state.clock().now(),
                s.actor.user,
                &changes,
            )
            .await
        {
            return crate::error::ApiError::from(e).into_response();
        }
    }
    let cookie = set_cookie(
        LANG_COOKIE,
        lang.code(),
        365 * 24 * 3600,
        state.config().cookie_secure,
    );
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, safe_back(&form.back)), (SET_COOKIE, cookie)],
    )
        .into_response()
}

/// The entity switcher's form; an empty `entity` means all.
#[derive(Deserialize)]
pub(crate) struct EntityForm {
    #[serde(default)]
    entity: String,
    csrf: String,
    #[serde(default)]
    back: String,
}

/// Switches the current entity of the session.
pub(crate) async fn switch_entity(
    State(state): State<AppState>,
    session: WebSession,
    Form(form): Form<EntityForm>,
) -> Response {
    if !super::constant_time_eq(form.csrf.as_bytes(), session.csrf_token.as_bytes()) {
        return (StatusCode::FORBIDDEN, "CSRF").into_response();
    }
    let entity = match form.entity.trim() {
        "" => None,
        id => match id.parse::<i64>() {
            Ok(id) => match state
                .store()
                .get_entity(&session.actor.reach(), EntityId(id))
                .await
            {
                Ok(e) => Some(e.id),
                Err(e) => return crate::error::ApiError::from(e).into_response(),
            },
            Err(_) => return (StatusCode::BAD_REQUEST, "bad entity").into_response(),
        },
    };
    if let Err(e) = state
        .store()
        .set_session_entity(&session.id_hash, entity)
        .await
    {
        return crate::error::ApiError::from(e).into_response();
    }
    (StatusCode::SEE_OTHER, [(LOCATION, safe_back(&form.back))]).into_response()
}
