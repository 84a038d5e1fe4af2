//! The pages behind the navigation.

use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use vigie_core::tenancy::Scope;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// One role line on the home page.
struct RoleLine {
    role: String,
    entity: String,
    recursive: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    tenant: String,
    roles: Vec<RoleLine>,
    platform_admin: bool,
    /// How many tickets wait in the user's queues.
    tickets: super::tickets::TicketSummary,
}

async fn home(State(state): State<AppState>, session: WebSession, headers: HeaderMap) -> Response {
    let store = state.store();
    let actor = &session.actor;
    let user = match store.get_user(&Scope::Platform, actor.user).await {
        Ok(u) => u,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let lang_title = |l: &Layout| l.lang.t1("home-title", "name", user.display_name.clone());
    let mut l = match Layout::build(&state, &session, &headers, String::new(), "/").await {
        Ok(l) => l,
        Err(r) => return r,
    };
    l.title = lang_title(&l);
    let tenant = match store.get_tenant(&Scope::Platform, actor.tenant).await {
        Ok(t) => t.name,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let mut roles = Vec::new();
    for g in &actor.grants {
        let entity = store
            .get_entity(&Scope::Platform, g.entity)
            .await
            .map(|e| e.name)
            .unwrap_or_else(|_| g.entity.to_string());
        roles.push(RoleLine {
            role: l.t(&format!("role-{}", g.role)),
            entity,
            recursive: g.recursive,
        });
    }
    let tickets = match super::tickets::home_summary(&state, &session, &l).await {
        Ok(lines) => lines,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    render(&HomePage {
        tickets,
        l,
        tenant,
        roles,
        platform_admin: actor.platform_admin,
    })
}
