//! The server-rendered web UI: login, the page layout with its navigation,
//! language and entity switchers, and the pages themselves.
//!
//! Pages are askama templates (escaped by default); every form carries the
//! session's CSRF token, checked by [`check_csrf`]. Assets are embedded.

mod absences;
mod audit;
mod change_page;
mod change_report;
mod changes;
mod changes_admin;
mod cmdb;
mod cmdb_graph;
mod cmdb_item;
mod common;
mod desk_settings;
mod entities;
mod events;
mod events_admin;
mod group_page;
mod groups;
mod layout;
mod login;
mod mailboxes;
pub(crate) mod markdown;
mod pages;
mod profile;
mod releases;
mod sla_admin;
mod sla_form;
mod sla_pages;
mod survey;
mod ticket_bulk;
mod ticket_desk;
mod ticket_files;
mod ticket_impact;
mod ticket_page;
mod ticket_queue;
mod ticket_views;
mod tickets;
mod tokens;
mod user_page;
mod users;

pub use layout::Layout;

use crate::AppState;
use crate::auth::WebSession;
use crate::i18n::Lang;
use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang", post(layout::switch_language))
        .route("/entity", post(layout::switch_entity))
        .route("/assets/{*file}", get(asset))
        .merge(pages::router())
        .merge(survey::router())
        .merge(entities::router())
        .merge(users::router())
        .merge(user_page::router())
        .merge(groups::router())
        .merge(group_page::router())
        .merge(audit::router())
        .merge(tokens::router())
        .merge(profile::router())
        .merge(absences::router())
        .merge(tickets::router())
        .merge(ticket_queue::router())
        .merge(ticket_page::router())
        .merge(ticket_files::router())
        .merge(ticket_desk::router())
        .merge(desk_settings::router())
        .merge(mailboxes::router())
        .merge(sla_admin::router())
        .merge(sla_pages::router())
        .merge(cmdb::router())
        .merge(cmdb_item::router())
        .merge(events::router())
        .merge(events_admin::router())
        .merge(releases::router())
        .merge(changes::router())
        .merge(changes_admin::router())
        .merge(change_report::router())
        .merge(change_page::router())
}

async fn asset(Path(file): Path<String>) -> Response {
    match Assets::get(&file) {
        Some(content) => {
            let mime = if file.ends_with(".css") {
                "text/css; charset=utf-8"
            } else if file.ends_with(".js") {
                "text/javascript; charset=utf-8"
            } else if file.ends_with(".svg") {
                "image/svg+xml"
            } else {
                "application/octet-stream"
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                content.data.into_owned(),
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Renders a template as an HTML page with the security headers every
/// page carries.
pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (
            [
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::REFERRER_POLICY, "same-origin"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            Html(html),
        )
            .into_response(),
        Err(e) => crate::error::ApiError::internal(e).into_response(),
    }
}

/// A message page (errors, refusals) in the user's language.
#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub l: Layout,
    pub message: String,
}

/// Refuses a form whose CSRF token is not the session's.
#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
pub(crate) fn check_csrf(
    session: &WebSession,
    layout: &Layout,
    token: &str,
) -> Result<(), Response> {
    if !token.is_empty() && constant_time_eq(token.as_bytes(), session.csrf_token.as_bytes()) {
        Ok(())
    } else {
        let page = MessagePage {
            l: layout.clone(),
            message: layout.lang.t("csrf-failed"),
        };
        Err((StatusCode::FORBIDDEN, render(&page)).into_response())
    }
}

/// Compares secrets without an early exit.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The language for a request without a session.
pub(crate) fn anonymous_lang(headers: &HeaderMap) -> Lang {
    let cookie = crate::auth::cookie_value(headers, crate::i18n::LANG_COOKIE);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(None, cookie.as_deref(), accept)
}
