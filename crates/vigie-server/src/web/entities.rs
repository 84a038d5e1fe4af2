//! `/admin/entities`: the entity tree, and for administrators the forms to
//! create, rename, retype and delete entities.

use super::common::{
    Choice, CsrfForm, ENTITY_KINDS, EntityChoice, FormError, PageResult, all_entities,
    entity_choices, explain, frame, kind_choices, manage_frame, narrowed, parse_id, required_id,
    see_other, store_page, with_status,
};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;
use vigie_core::ids::EntityId;
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{EntityChanges, NewEntity};

const HERE: &str = "/admin/entities";

/// The routes of the entity pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(list).post(create))
        .route("/admin/entities/{id}", post(update))
        .route("/admin/entities/{id}/delete", post(delete))
}

/// One line of the tree.
struct EntityRow {
    id: i64,
    name: String,
    /// Depth below the shallowest entity shown, capped for the stylesheet.
    depth: usize,
    kind: String,
    kind_label: String,
    /// Whether the viewer may change it.
    manageable: bool,
    /// Whether it is the root of its tenant (never deleted).
    root: bool,
    /// The accessible name of its delete button.
    delete_label: String,
}

/// What the creation form held, to show it again after a refusal.
#[derive(Default)]
struct Draft {
    parent: i64,
    name: String,
    kind: String,
}

#[derive(Template)]
#[template(path = "entities.html")]
struct EntitiesPage {
    l: Layout,
    error: Option<String>,
    rows: Vec<EntityRow>,
    can_manage: bool,
    parents: Vec<EntityChoice>,
    kinds: Vec<Choice>,
    draft: Draft,
}

/// The creation form.
#[derive(Deserialize)]
pub(super) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

/// The rename/retype form of a line.
#[derive(Deserialize)]
pub(super) struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

/// A kind among [`ENTITY_KINDS`].
fn entity_kind(k: &str) -> Result<String, FormError> {
    if ENTITY_KINDS.contains(&k) {
        Ok(k.to_owned())
    } else {
        Err(FormError::Invalid(format!(
            "`kind` must be one of {}",
            ENTITY_KINDS.join(", ")
        )))
    }
}

async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    error: Option<String>,
    draft: Draft,
) -> PageResult {
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewDirectory) {
        return Err(super::common::forbidden(&l));
    }
    let scope = narrowed(state, session, actor.scope(Permission::ViewDirectory))
        .await
        .map_err(|e| store_page(&l, e))?;
    let entities = all_entities(state, &scope)
        .await
        .map_err(|e| store_page(&l, e))?;
    let top = entities.iter().map(|e| e.path.depth()).min().unwrap_or(0);
    let kinds = kind_choices(&l);
    let manageable: Vec<_> = entities
        .iter()
        .filter(|e| actor.can(Permission::ManageDirectory, e.tenant_id, &e.path))
        .cloned()
        .collect();
    let rows = entities
        .iter()
        .map(|e| EntityRow {
            id: e.id.0,
            name: e.name.clone(),
            depth: (e.path.depth() - top).min(8),
            kind: e.kind.clone(),
            kind_label: kinds
                .iter()
                .find(|k| k.value == e.kind)
                .map(|k| k.label.clone())
                .unwrap_or_else(|| e.kind.clone()),
            manageable: actor.can(Permission::ManageDirectory, e.tenant_id, &e.path),
            root: e.parent_id.is_none(),
            delete_label: l.lang.t1("delete-named", "name", e.name.clone()),
        })
        .collect();
    let mut draft = draft;
    if draft.parent == 0 {
        draft.parent = session.current_entity.map(|e| e.0).unwrap_or(0);
    }
    if draft.kind.is_empty() {
        draft.kind = "site".to_owned();
    }
    let page = EntitiesPage {
        can_manage: !manageable.is_empty(),
        parents: entity_choices(&manageable),
        l,
        error,
        rows,
        kinds,
        draft,
    };
    Ok(render(&page))
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let l = frame(&state, &session, &headers, "entities-title", HERE).await?;
    show(&state, &session, l, None, Draft::default()).await
}

/// Re-renders the page with the refusal, or a refusal page.
async fn refused(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    e: FormError,
    draft: Draft,
) -> PageResult {
    let (status, message) = explain(&l, e)?;
    let page = show(state, session, l, Some(message), draft).await?;
    Ok(with_status(page, status))
}

async fn create(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> PageResult {
    let l = manage_frame(
        &state,
        &session,
        &headers,
        "entities-title",
        HERE,
        &form.csrf,
    )
    .await?;
    let actor = &session.actor;
    let result = async {
        let new = NewEntity {
            parent_id: EntityId(required_id(&form.parent, "parent")?),
            name: validate::name("name", &form.name, 200)?,
            kind: entity_kind(&form.kind)?,
        };
        let manage = actor.scope(Permission::ManageDirectory);
        state
            .store()
            .create_entity(actor, &manage, state.clock().now(), &new)
            .await?;
        Ok::<_, FormError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other(HERE)),
        Err(e) => {
            let draft = Draft {
                parent: parse_id(&form.parent).unwrap_or(0),
                name: form.name.clone(),
                kind: form.kind.clone(),
            };
            refused(&state, &session, l, e, draft).await
        }
    }
}

async fn update(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> PageResult {
    let l = manage_frame(
        &state,
        &session,
        &headers,
        "entities-title",
        HERE,
        &form.csrf,
    )
    .await?;
    let actor = &session.actor;
    let Some(id) = parse_id(&id) else {
        return Err(super::common::not_found(&l));
    };
    let result = async {
        let changes = EntityChanges {
            name: Some(validate::name("name", &form.name, 200)?),
            kind: Some(entity_kind(&form.kind)?),
        };
        let manage = actor.scope(Permission::ManageDirectory);
        state
            .store()
            .update_entity(actor, &manage, state.clock().now(), EntityId(id), &changes)
            .await?;
        Ok::<_, FormError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other(HERE)),
        Err(e) => refused(&state, &session, l, e, Draft::default()).await,
    }
}

async fn delete(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let l = manage_frame(
        &state,
        &session,
        &headers,
        "entities-title",
        HERE,
        &form.csrf,
    )
    .await?;
    let actor = &session.actor;
    let Some(id) = parse_id(&id) else {
        return Err(super::common::not_found(&l));
    };
    let manage = actor.scope(Permission::ManageDirectory);
    match state
        .store()
        .delete_entity(actor, &manage, state.clock().now(), EntityId(id))
        .await
    {
        Ok(()) => Ok(see_other(HERE)),
        Err(e) => refused(&state, &session, l, e.into(), Draft::default()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_checked() {
        assert_eq!(entity_kind("site").ok().as_deref(), Some("site"));
        assert!(entity_kind("planet").is_err());
        assert!(entity_kind("").is_err());
    }
}
