//! `/admin/groups`: the support groups with their level, entity and member
//! count, and the form creating a group (administrators).

use super::common::{
    Choice, EntityChoice, FormError, PAGE_SIZE, PageResult, all_entities, entity_choices,
    entity_name, entity_names_of, explain, forbidden, frame, link, manage_frame, narrowed,
    parse_id, required_id, see_other, store_page, with_status,
};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::Deserialize;
use vigie_core::ids::EntityId;
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{NewGroup, PageRequest};

const HERE: &str = "/admin/groups";

/// The routes of the group list; the group page is in
/// [`super::group_page`].
pub(super) fn router() -> Router<AppState> {
    Router::new().route(HERE, get(list).post(create))
}

/// A support level: 1, 2 or 3.
pub(super) fn level(s: &str) -> Result<i64, FormError> {
    match s.trim() {
        "1" => Ok(1),
        "2" => Ok(2),
        "3" => Ok(3),
        _ => Err(FormError::Invalid("`level` must be 1, 2 or 3".to_owned())),
    }
}

/// A group's description: at most 2000 characters.
pub(super) fn description(s: &str) -> Result<String, FormError> {
    let d = s.trim();
    if d.chars().count() > 2000 {
        Err(FormError::Invalid(
            "`description` must have at most 2000 characters".to_owned(),
        ))
    } else {
        Ok(d.to_owned())
    }
}

/// The levels as choices.
pub(super) fn level_choices(l: &Layout) -> Vec<Choice> {
    (1..=3)
        .map(|n| Choice {
            value: n.to_string(),
            label: l.lang.t1("level-n", "level", n.to_string()),
        })
        .collect()
}

/// One line of the list.
struct GroupRow {
    id: i64,
    name: String,
    level: String,
    entity: String,
    members: i64,
}

/// What the creation form held.
#[derive(Default)]
struct Draft {
    entity: i64,
    name: String,
    level: String,
    email: String,
    description: String,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    l: Layout,
    error: Option<String>,
    rows: Vec<GroupRow>,
    next: Option<String>,
    first: Option<String>,
    can_manage: bool,
    entities: Vec<EntityChoice>,
    levels: Vec<Choice>,
    draft: Draft,
}

/// The list's position.
#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    after: String,
}

async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    after: Option<i64>,
    error: Option<String>,
    mut draft: Draft,
) -> PageResult {
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewDirectory) {
        return Err(forbidden(&l));
    }
    let failed = |e| store_page(&l, e);
    let scope = narrowed(state, session, actor.scope(Permission::ViewDirectory))
        .await
        .map_err(failed)?;
    let page = state
        .store()
        .list_groups(
            &scope,
            None,
            PageRequest {
                after,
                limit: PAGE_SIZE,
            },
        )
        .await
        .map_err(failed)?;
    let names = entity_names_of(
        state,
        &scope,
        page.items.iter().map(|g| g.entity_id).collect(),
    )
    .await
    .map_err(failed)?;
    let levels = level_choices(&l);
    let rows = page
        .items
        .into_iter()
        .map(|g| GroupRow {
            id: g.id.0,
            level: l.lang.t1("level-n", "level", g.level.to_string()),
            entity: entity_name(&names, g.entity_id),
            name: g.name,
            members: g.member_count,
        })
        .collect();
    let can_manage = actor.can_anywhere(Permission::ManageDirectory);
    let entities = if can_manage {
        let manage = narrowed(state, session, actor.scope(Permission::ManageDirectory))
            .await
            .map_err(failed)?;
        entity_choices(&all_entities(state, &manage).await.map_err(failed)?)
    } else {
        Vec::new()
    };
    if draft.entity == 0 {
        draft.entity = session.current_entity.map(|e| e.0).unwrap_or(0);
    }
    let next = page
        .next_after
        .map(|n| link(HERE, &[("after", n.to_string())]));
    let first = after.map(|_| HERE.to_owned());
    Ok(render(&GroupsPage {
        l,
        error,
        rows,
        next,
        first,
        can_manage,
        entities,
        levels,
        draft,
    }))
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "groups-title", HERE).await?;
    let after = parse_id(&query.after);
    show(&state, &session, l, after, None, Draft::default()).await
}

/// The creation form's fields.
#[derive(Deserialize)]
pub(super) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    description: String,
}

async fn create(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> PageResult {
    let l = manage_frame(&state, &session, &headers, "groups-title", HERE, &form.csrf).await?;
    let actor = &session.actor;
    let result = async {
        let new = NewGroup {
            entity_id: EntityId(required_id(&form.entity, "entity")?),
            name: validate::name("name", &form.name, 200)?,
            level: level(&form.level)?,
            manager_id: None,
            email: validate::email(&form.email)?,
            description: description(&form.description)?,
        };
        let manage = actor.scope(Permission::ManageDirectory);
        let g = state
            .store()
            .create_group(actor, &manage, state.clock().now(), &new)
            .await?;
        Ok::<_, FormError>(g.id)
    }
    .await;
    match result {
        Ok(id) => Ok(see_other(&format!("/admin/groups/{id}"))),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let draft = Draft {
                entity: parse_id(&form.entity).unwrap_or(0),
                name: form.name.clone(),
                level: form.level.clone(),
                email: form.email.clone(),
                description: form.description.clone(),
            };
            let page = show(&state, &session, l, None, Some(message), draft).await?;
            Ok(with_status(page, status))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_descriptions() {
        assert!(matches!(level(" 2 "), Ok(2)));
        assert!(level("0").is_err());
        assert!(level("4").is_err());
        assert!(level("").is_err());
        assert!(matches!(description("  x "), Ok(d) if d == "x"));
        assert!(description(&"é".repeat(2001)).is_err());
        assert!(description(&"é".repeat(2000)).is_ok());
    }
}
