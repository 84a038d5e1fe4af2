//! `/admin/desk`: how the user's tenant runs its service desk — ticket
//! categories, the priority matrix with the reopen delay, and the
//! assignment rules.
//!
//! Everyone holding `ViewDirectory` reads the page; the forms are for the
//! tenant's administrators, who hold `ManageTicketSettings` on its root
//! entity (the API's rule, `api::categories`). The forms make the API's
//! calls: the same store writes, the matrix checked by
//! [`PriorityMatrix::validate`].

use super::common::{
    Choice, CsrfForm, EntityChoice, FormError, PageResult, all_entities, entity_choices, explain,
    forbidden, frame, indent, not_found, parse_id, required_id, see_other, store_page, with_status,
};
use super::tickets::{channel_label, level_label, parse_named, priority_label, type_label};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::HashMap;
use vigie_core::ids::{CategoryId, EntityId, GroupId, TenantId};
use vigie_core::role::Permission;
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_core::ticket::priority::{Level, Priority, PriorityMatrix};
use vigie_core::ticket::{Channel, TicketType};
use vigie_core::validate;
use vigie_store::{
    CategoryInput, CategoryRecord, NewAssignmentRule, PageRequest, StoreError, TicketSettings,
};

/// The page's address and navigation section.
pub(super) const HERE: &str = "/admin/desk";

/// What a category may serve, as stored.
const APPLIES_TO: [&str; 3] = ["incident", "request", "both"];

/// The routes of the settings page and its forms.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(view))
        .route("/admin/desk/categories", post(create_category))
        .route("/admin/desk/categories/{id}", post(update_category))
        .route("/admin/desk/settings", post(save_settings))
        .route("/admin/desk/rules", post(create_rule))
        .route("/admin/desk/rules/{id}/delete", post(delete_rule))
}

/// Whether the actor may change his tenant's service desk settings: he
/// holds the permission on the tenant's root entity.
pub(super) async fn may_manage(state: &AppState, actor: &Actor) -> Result<bool, StoreError> {
    let record = state
        .store()
        .get_tenant(&Scope::Platform, actor.tenant)
        .await?;
    Ok(record.root_entity_id.is_some_and(|root| {
        actor.can(
            Permission::ManageTicketSettings,
            actor.tenant,
            &EntityPath::root(root),
        )
    }))
}

/// Whether the navigation offers the page: to those who see the directory
/// (the tenant's administrators among them).
pub(super) fn may_read_anywhere(actor: &Actor) -> bool {
    actor.can_anywhere(Permission::ViewDirectory)
        || actor.can_anywhere(Permission::ManageTicketSettings)
}

/// One category of the table.
struct CategoryRow {
    id: i64,
    name: String,
    /// Its name indented by depth.
    label: String,
    parent: String,
    applies_to: String,
    applies_label: String,
    active: bool,
}

/// One cell of the matrix.
struct Cell {
    /// The field's name, `m-{impact}-{urgency}`.
    name: String,
    /// The select's accessible name.
    label: String,
    /// The priority chosen.
    value: String,
}

/// One row of the matrix: an impact.
struct MatrixRow {
    impact: String,
    cells: Vec<Cell>,
}

/// One assignment rule of the table.
struct RuleRow {
    id: i64,
    position: i64,
    /// Its conditions as (field, value) in words; empty: every ticket.
    conditions: Vec<(String, String)>,
    group: String,
    delete_label: String,
}

/// What the forms held, to show them again after a refusal.
#[derive(Default)]
struct Draft {
    cat_name: String,
    cat_parent: i64,
    cat_applies: String,
    /// The matrix as sent, by field name.
    cells: HashMap<String, String>,
    reopen_hours: String,
    position: String,
    category: i64,
    service: String,
    entity: i64,
    channel: String,
    kind: String,
    group: i64,
}

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    l: Layout,
    error: Option<String>,
    can_manage: bool,
    categories: Vec<CategoryRow>,
    category_choices: Vec<EntityChoice>,
    applies: Vec<Choice>,
    urgencies: Vec<String>,
    matrix: Vec<MatrixRow>,
    priorities: Vec<Choice>,
    reopen_hours: String,
    rules: Vec<RuleRow>,
    entities: Vec<EntityChoice>,
    channels: Vec<Choice>,
    kinds: Vec<Choice>,
    groups: Vec<EntityChoice>,
    draft: Draft,
}

/// What a category serves, in words.
fn applies_label(l: &Layout, applies_to: &str) -> String {
    l.t(&format!("desk-applies-{applies_to}"))
}

/// Categories in tree order (each under its parent), with their depth.
fn category_tree(list: &[CategoryRecord]) -> Vec<(&CategoryRecord, usize)> {
    fn walk<'a>(
        list: &'a [CategoryRecord],
        parent: Option<CategoryId>,
        depth: usize,
        out: &mut Vec<(&'a CategoryRecord, usize)>,
    ) {
        // A tree is at most as deep as it has categories; stop beyond.
        if depth > list.len() {
            return;
        }
        for c in list.iter().filter(|c| c.parent_id == parent) {
            out.push((c, depth));
            walk(list, Some(c.id), depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(list.len());
    let known: std::collections::HashSet<CategoryId> = list.iter().map(|c| c.id).collect();
    // Roots, and those whose parent is not listed.
    for c in list
        .iter()
        .filter(|c| c.parent_id.is_none_or(|p| !known.contains(&p)))
    {
        out.push((c, 0));
        walk(list, Some(c.id), 1, &mut out);
    }
    out
}

/// The name of a matrix field.
fn cell_name(impact: Level, urgency: Level) -> String {
    format!("m-{impact}-{urgency}")
}

async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    error: Option<String>,
    draft: Draft,
) -> PageResult {
    let actor = &session.actor;
    let failed = |e| store_page(&l, e);
    let can_manage = may_manage(state, actor).await.map_err(failed)?;
    if !can_manage && !actor.can_anywhere(Permission::ViewDirectory) {
        return Err(forbidden(&l));
    }
    let tenant = actor.tenant;
    let store = state.store();
    let categories = store.list_categories(tenant).await.map_err(failed)?;
    let settings = store.ticket_settings(tenant).await.map_err(failed)?;
    let rules = store.list_assignment_rules(tenant).await.map_err(failed)?;
    // Names of entities and groups, as far as the reader sees them.
    let view = actor.scope(Permission::ViewDirectory);
    let entities: Vec<_> = all_entities(state, &view)
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|e| e.tenant_id == tenant)
        .collect();
    let entity_names: HashMap<EntityId, String> =
        entities.iter().map(|e| (e.id, e.name.clone())).collect();
    let groups: Vec<EntityChoice> = store
        .list_groups(&view, None, PageRequest::first(500))
        .await
        .map_err(failed)?
        .items
        .into_iter()
        .filter(|g| g.tenant_id == tenant)
        .map(|g| EntityChoice {
            id: g.id.0,
            label: g.name,
        })
        .collect();
    let category_names: HashMap<CategoryId, String> =
        categories.iter().map(|c| (c.id, c.name.clone())).collect();

    let tree = category_tree(&categories);
    let rows: Vec<CategoryRow> = tree
        .iter()
        .map(|(c, depth)| CategoryRow {
            id: c.id.0,
            name: c.name.clone(),
            label: format!("{}{}", indent(*depth), c.name),
            parent: c
                .parent_id
                .and_then(|p| category_names.get(&p).cloned())
                .unwrap_or_default(),
            applies_to: c.applies_to.clone(),
            applies_label: applies_label(&l, &c.applies_to),
            active: c.active,
        })
        .collect();
    let category_choices = rows
        .iter()
        .map(|r| EntityChoice {
            id: r.id,
            label: r.label.clone(),
        })
        .collect();

    // The matrix: the draft when a save was refused, else the settings.
    let matrix = Level::ALL
        .iter()
        .enumerate()
        .map(|(i, impact)| MatrixRow {
            impact: level_label(&l, *impact),
            cells: Level::ALL
                .iter()
                .enumerate()
                .map(|(u, urgency)| {
                    let name = cell_name(*impact, *urgency);
                    let value = draft
                        .cells
                        .get(&name)
                        .cloned()
                        .unwrap_or_else(|| settings.matrix.cells[i][u].as_str().to_owned());
                    Cell {
                        label: format!(
                            "{} {}, {} {}",
                            l.t("field-impact"),
                            level_label(&l, *impact),
                            l.t("field-urgency"),
                            level_label(&l, *urgency)
                        ),
                        name,
                        value,
                    }
                })
                .collect(),
        })
        .collect();
    let reopen_hours = if draft.reopen_hours.is_empty() {
        settings.reopen_hours.to_string()
    } else {
        draft.reopen_hours.clone()
    };

    let group_names: HashMap<i64, String> =
        groups.iter().map(|g| (g.id, g.label.clone())).collect();
    let rules = rules
        .into_iter()
        .map(|r| {
            let mut conditions = Vec::new();
            if let Some(c) = r.category {
                let name = category_names
                    .get(&c)
                    .cloned()
                    .unwrap_or_else(|| format!("#{c}"));
                conditions.push((l.t("field-category"), name));
            }
            if let Some(s) = &r.service_ref {
                conditions.push((l.t("field-service"), s.clone()));
            }
            if let Some(path) = &r.entity {
                let name = path
                    .ids()
                    .last()
                    .map(|id| {
                        entity_names
                            .get(id)
                            .cloned()
                            .unwrap_or_else(|| format!("#{id}"))
                    })
                    .unwrap_or_default();
                conditions.push((l.t("field-entity"), name));
            }
            if let Some(c) = r.channel {
                conditions.push((l.t("field-channel"), channel_label(&l, c)));
            }
            if let Some(k) = r.ticket_type {
                conditions.push((l.t("field-type"), type_label(&l, k)));
            }
            RuleRow {
                id: r.id,
                position: r.position,
                conditions,
                group: group_names
                    .get(&r.group.0)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", r.group)),
                delete_label: l.lang.t1(
                    "desk-rule-delete-named",
                    "position",
                    r.position.to_string(),
                ),
            }
        })
        .collect();

    let mut draft = draft;
    if draft.cat_applies.is_empty() {
        draft.cat_applies = "both".to_owned();
    }
    if draft.position.is_empty() {
        draft.position = "10".to_owned();
    }
    let page = DeskPage {
        can_manage,
        categories: rows,
        category_choices,
        applies: APPLIES_TO
            .iter()
            .map(|a| Choice {
                value: (*a).to_owned(),
                label: applies_label(&l, a),
            })
            .collect(),
        urgencies: Level::ALL.iter().map(|u| level_label(&l, *u)).collect(),
        matrix,
        priorities: Priority::ALL
            .iter()
            .map(|p| Choice {
                value: p.as_str().to_owned(),
                label: priority_label(&l, *p),
            })
            .collect(),
        reopen_hours,
        rules,
        entities: entity_choices(&entities),
        channels: Channel::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str().to_owned(),
                label: channel_label(&l, *c),
            })
            .collect(),
        kinds: TicketType::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().to_owned(),
                label: type_label(&l, *k),
            })
            .collect(),
        groups,
        l,
        error,
        draft,
    };
    Ok(render(&page))
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let l = frame(&state, &session, &headers, "desk-title", HERE).await?;
    show(&state, &session, l, None, Draft::default()).await
}

/// The frame of a form: the CSRF token first, then the permission on the
/// tenant's root entity (403 page otherwise). Returns the tenant.
async fn manage(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(Layout, TenantId), Response> {
    let l = frame(state, session, headers, "desk-title", HERE).await?;
    super::check_csrf(session, &l, csrf)?;
    match may_manage(state, &session.actor).await {
        Ok(true) => Ok((l, session.actor.tenant)),
        Ok(false) => Err(forbidden(&l)),
        Err(e) => Err(store_page(&l, e)),
    }
}

/// Comes back to the page after a success, or shows it again with the
/// refusal.
async fn outcome(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    result: Result<(), FormError>,
    draft: Draft,
    anchor: &str,
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&format!("{HERE}#{anchor}"))),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show(state, session, l, Some(message), draft).await?;
            Ok(with_status(page, status))
        }
    }
}

/// What a category serves, from a form.
fn applies_to(s: &str) -> Result<String, FormError> {
    let s = s.trim();
    if APPLIES_TO.contains(&s) {
        Ok(s.to_owned())
    } else {
        Err(FormError::Invalid(
            "`applies_to` must be `incident`, `request` or `both`".to_owned(),
        ))
    }
}

/// The creation form of a category.
#[derive(Deserialize)]
pub(super) struct CategoryCreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    applies_to: String,
}

async fn create_category(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<CategoryCreateForm>,
) -> PageResult {
    let (l, tenant) = manage(&state, &session, &headers, &form.csrf).await?;
    let result = async {
        let input = CategoryInput {
            parent_id: parse_id(&form.parent).map(CategoryId),
            name: validate::name("name", &form.name, 200)?,
            applies_to: applies_to(&form.applies_to)?,
            active: true,
        };
        state
            .store()
            .create_category(&session.actor, tenant, state.clock().now(), &input)
            .await?;
        Ok(())
    }
    .await;
    let draft = Draft {
        cat_name: form.name.clone(),
        cat_parent: parse_id(&form.parent).unwrap_or(0),
        cat_applies: form.applies_to.clone(),
        ..Draft::default()
    };
    outcome(&state, &session, l, result, draft, "categories-title").await
}

/// The edit form of a category's line.
#[derive(Deserialize)]
pub(super) struct CategoryEditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    applies_to: String,
    /// Present when the box is checked.
    #[serde(default)]
    active: String,
}

async fn update_category(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CategoryEditForm>,
) -> PageResult {
    let (l, tenant) = manage(&state, &session, &headers, &form.csrf).await?;
    let Some(id) = parse_id(&raw).map(CategoryId) else {
        return Err(not_found(&l));
    };
    let result = async {
        // The line does not move the category: its parent stays.
        let current = state.store().get_category(tenant, id).await?;
        let input = CategoryInput {
            parent_id: current.parent_id,
            name: validate::name("name", &form.name, 200)?,
            applies_to: applies_to(&form.applies_to)?,
            active: !form.active.is_empty(),
        };
        state
            .store()
            .update_category(&session.actor, tenant, state.clock().now(), id, &input)
            .await?;
        Ok(())
    }
    .await;
    outcome(
        &state,
        &session,
        l,
        result,
        Draft::default(),
        "categories-title",
    )
    .await
}

/// The priority matrix and the reopen delay, as sent: `m-{impact}-{urgency}`
/// fields, `reopen_hours` and `csrf`.
async fn save_settings(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (l, tenant) = manage(&state, &session, &headers, &field("csrf")).await?;
    let result = async {
        let mut matrix = PriorityMatrix::default();
        for (i, impact) in Level::ALL.iter().enumerate() {
            for (u, urgency) in Level::ALL.iter().enumerate() {
                matrix.cells[i][u] =
                    parse_named::<Priority>(&field(&cell_name(*impact, *urgency)))?;
            }
        }
        matrix
            .validate()
            .map_err(|e| FormError::Invalid(e.to_string()))?;
        let reopen_hours = field("reopen_hours")
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|h| (1..=8760).contains(h))
            .ok_or_else(|| {
                FormError::Invalid("`reopen_hours` must be between 1 and 8760".to_owned())
            })?;
        let settings = TicketSettings {
            matrix,
            reopen_hours,
        };
        state
            .store()
            .put_ticket_settings(&session.actor, tenant, state.clock().now(), &settings)
            .await?;
        Ok(())
    }
    .await;
    let draft = Draft {
        cells: form
            .iter()
            .filter(|(k, _)| k.starts_with("m-"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        reopen_hours: field("reopen_hours"),
        ..Draft::default()
    };
    outcome(&state, &session, l, result, draft, "matrix-title").await
}

/// The creation form of an assignment rule; empty conditions match any
/// ticket.
#[derive(Deserialize)]
pub(super) struct RuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    channel: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    group: String,
}

/// A condition chosen among a closed set; empty means any.
fn optional_named<T>(value: &str) -> Result<Option<T>, FormError>
where
    T: std::str::FromStr<Err = vigie_core::ticket::UnknownName>,
{
    if value.trim().is_empty() {
        Ok(None)
    } else {
        parse_named(value).map(Some)
    }
}

async fn create_rule(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<RuleForm>,
) -> PageResult {
    let (l, tenant) = manage(&state, &session, &headers, &form.csrf).await?;
    let result = async {
        let position = form
            .position
            .trim()
            .parse::<i64>()
            .map_err(|_| FormError::Invalid("`position` must be a whole number".to_owned()))?;
        let service = form.service.trim();
        let rule = NewAssignmentRule {
            position,
            category_id: parse_id(&form.category).map(CategoryId),
            service_ref: if service.is_empty() {
                None
            } else {
                Some(validate::name("service_ref", service, 200)?)
            },
            entity_id: parse_id(&form.entity).map(EntityId),
            channel: optional_named::<Channel>(&form.channel)?,
            ticket_type: optional_named::<TicketType>(&form.kind)?,
            group_id: GroupId(required_id(&form.group, "group")?),
        };
        state
            .store()
            .create_assignment_rule(&session.actor, tenant, state.clock().now(), &rule)
            .await?;
        Ok(())
    }
    .await;
    let draft = Draft {
        position: form.position.clone(),
        category: parse_id(&form.category).unwrap_or(0),
        service: form.service.clone(),
        entity: parse_id(&form.entity).unwrap_or(0),
        channel: form.channel.clone(),
        kind: form.kind.clone(),
        group: parse_id(&form.group).unwrap_or(0),
        ..Draft::default()
    };
    outcome(&state, &session, l, result, draft, "rules-title").await
}

async fn delete_rule(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let (l, tenant) = manage(&state, &session, &headers, &form.csrf).await?;
    let Some(id) = parse_id(&raw) else {
        return Err(not_found(&l));
    };
    let result = state
        .store()
        .delete_assignment_rule(&session.actor, tenant, state.clock().now(), id)
        .await
        .map_err(FormError::from);
    outcome(&state, &session, l, result, Draft::default(), "rules-title").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_core::Timestamp;

    fn category(id: i64, parent: Option<i64>, name: &str) -> CategoryRecord {
        CategoryRecord {
            id: CategoryId(id),
            tenant_id: TenantId(1),
            parent_id: parent.map(CategoryId),
            name: name.to_owned(),
            applies_to: "both".to_owned(),
            active: true,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn categories_come_under_their_parent() {
        let list = vec![
            category(1, None, "Réseau"),
            category(2, None, "Postes"),
            category(3, Some(1), "Wi-Fi"),
            category(4, Some(3), "Invités"),
        ];
        let tree: Vec<(&str, usize)> = category_tree(&list)
            .into_iter()
            .map(|(c, d)| (c.name.as_str(), d))
            .collect();
        assert_eq!(
            tree,
            [("Réseau", 0), ("Wi-Fi", 1), ("Invités", 2), ("Postes", 0)]
        );
    }

    #[test]
    fn form_values_are_checked() {
        assert_eq!(applies_to(" request ").ok().as_deref(), Some("request"));
        assert!(applies_to("everything").is_err());
        assert!(matches!(optional_named::<Channel>(""), Ok(None)));
        assert!(matches!(
            optional_named::<Channel>("phone"),
            Ok(Some(Channel::Phone))
        ));
        assert!(optional_named::<Channel>("pigeon").is_err());
        assert_eq!(cell_name(Level::Critique, Level::Bas), "m-critique-bas");
    }
}
