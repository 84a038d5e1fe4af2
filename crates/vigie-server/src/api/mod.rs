//! The JSON API under `/api/v1`, its extractors and its OpenAPI document.
//!
//! Each resource module exposes `routes()`, an `OpenApiRouter` whose
//! handlers carry `#[utoipa::path]`, so the document at
//! `/api/v1/openapi.json` is generated from the code it describes.

mod absences;
mod alert_groups;
pub(crate) mod attachments;
mod audit;
mod categories;
mod changes;
mod cis;
mod entities;
mod environments;
mod event_settings;
mod events;
mod extract;
mod groups;
mod instants;
mod integration_keys;
mod mailboxes;
mod major;
mod me;
mod page;
mod releases;
mod releases_wire;
mod sla;
mod sla_reports;
mod sla_wire;
mod surveys;
mod tenants;
mod tickets;
mod tokens;
mod users;
mod views;

pub use extract::{ApiJson, ApiPath, ApiQuery};
pub use page::{Cursor, PageParams};

use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use vigie_core::role::Permission;
use vigie_core::tenancy::{Actor, Scope};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigie API",
        description = "IT service management: tenants, entities, users, groups, tokens and audit. \
                       Errors are RFC 9457 problem documents (`application/problem+json`)."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(Problem)),
    tags(
        (name = "tenants", description = "Customer organisations"),
        (name = "entities", description = "The entity tree of a tenant"),
        (name = "users", description = "Users and their roles"),
        (name = "groups", description = "Support groups"),
        (name = "tokens", description = "API tokens"),
        (name = "audit", description = "The audit log"),
        (name = "tickets", description = "Incidents and service requests"),
        (name = "sla", description = "Service levels: calendars, targets, clocks, outages, reports"),
        (name = "cmdb", description = "Configuration items, their relations and impact analysis"),
        (name = "events", description = "Event management: ingestion from monitoring tools (integration keys), the alert groups of the console, classification rules, maintenance windows"),
        (name = "releases", description = "Releases and their cycle, environments with their order and hours, data refreshes and yearly environment resets"),
        (name = "changes", description = "Change management: requests for change, CAB and ECAB approval, the change calendar with windows, freezes and conflicts"),
        (name = "mail", description = "The mail channel: mailboxes read over IMAP, their rules, the rule tester"),
        (name = "me", description = "The caller")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API's routes and its OpenAPI document.
pub fn openapi_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api/v1",
        OpenApiRouter::new()
            .merge(me::routes())
            .merge(views::routes())
            .merge(tenants::routes())
            .merge(entities::routes())
            .merge(users::routes())
            .merge(absences::routes())
            .merge(groups::routes())
            .merge(tokens::routes())
            .merge(mailboxes::routes())
            .merge(tickets::routes())
            .merge(attachments::routes())
            .merge(major::routes())
            .merge(surveys::routes())
            .merge(categories::routes())
            .merge(sla::routes())
            .merge(sla_reports::routes())
            .merge(cis::routes())
            .merge(events::routes())
            .merge(audit::routes())
            .merge(alert_groups::routes())
            .merge(integration_keys::routes())
            .merge(event_settings::routes())
            .merge(releases::routes())
            .merge(environments::routes())
            .merge(changes::routes()),
    )
}

/// The generated OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi_router().split_for_parts().1
}

pub(crate) fn router() -> Router<AppState> {
    let (router, doc) = openapi_router().split_for_parts();
    let doc = Arc::new(doc);
    router
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(doc.as_ref().clone()) }),
        )
        .fallback(|| async { ApiError::not_found() })
}

/// The scope of `permission`, or 403 when the actor holds it nowhere.
pub(crate) fn scope_for(actor: &Actor, permission: Permission) -> Result<Scope, ApiError> {
    if actor.can_anywhere(permission) {
        Ok(actor.scope(permission))
    } else {
        Err(forbidden(permission))
    }
}

/// The 403 of an actor who holds `permission` nowhere.
pub(crate) fn forbidden(permission: Permission) -> ApiError {
    {
        ApiError::forbidden(match permission {
            Permission::ViewDirectory => "your roles do not include reading the directory",
            Permission::ViewAudit => "your roles do not include reading the audit log",
            Permission::ManageDirectory => "only tenant administrators change the directory",
            Permission::WorkTickets => "your roles do not include working tickets",
            Permission::ViewEntityTickets => "your roles do not include reading these tickets",
            Permission::ManageTicketSettings => {
                "only tenant administrators change the service desk settings"
            }
            Permission::ViewCmdb => "your roles do not include reading the configuration items",
            Permission::ManageCmdb => "your roles do not include changing the configuration items",
            Permission::WorkEvents => "your roles do not include the event console",
            Permission::ManageEvents => {
                "your roles do not include configuring event management (keys, rules, maintenance windows)"
            }
            Permission::ViewReleases => {
                "your roles do not include reading releases and environments"
            }
            Permission::RequestDataRefresh => "your roles do not include asking for data refreshes",
            Permission::ManageReleases => {
                "only change managers and administrators plan releases and manage environments"
            }
            Permission::ViewChanges => "your roles do not include reading changes",
            Permission::WorkChanges => "your roles do not include raising or carrying out changes",
            Permission::ManageChanges => {
                "only change managers and tenant administrators assess, schedule and close changes and set up change management"
            }
        })
    }
}

/// Reads a field that can be absent (unchanged), `null` (cleared) or a value.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(d).map(Some)
}
