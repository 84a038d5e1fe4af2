//! `/tokens`: the user's API tokens and those of the users he administers;
//! creating one shows its secret once, revoking one disables it.

use super::common::{
    CsrfForm, FormError, PageResult, explain, frame, not_found, parse_id, see_other, store_page,
    utc, with_status,
};
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::{WebSession, new_api_token};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::HashMap;
use vigie_core::ids::{TokenId, UserId};
use vigie_core::role::Permission;
use vigie_core::tenancy::Scope;
use vigie_core::validate;
use vigie_store::NewToken;

const HERE: &str = "/tokens";

/// The routes of the token page.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(list).post(create))
        .route("/tokens/{id}/revoke", post(revoke))
}

/// One token.
struct TokenRow {
    id: i64,
    name: String,
    owner: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
    revoke_label: String,
}

/// A token just created, with its secret.
struct Created {
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    l: Layout,
    error: Option<String>,
    created: Option<Created>,
    rows: Vec<TokenRow>,
    /// Whether tokens of other users are listed (an owner column is shown).
    others: bool,
    name: String,
}

async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    error: Option<String>,
    created: Option<Created>,
    name: String,
) -> PageResult {
    let actor = &session.actor;
    let manage = actor.scope(Permission::ManageDirectory);
    let tokens = state
        .store()
        .list_tokens(actor, &manage, None)
        .await
        .map_err(|e| store_page(&l, e))?;
    let mut owners: HashMap<UserId, String> = HashMap::new();
    for t in &tokens {
        if let std::collections::hash_map::Entry::Vacant(slot) = owners.entry(t.user_id) {
            // The store only lists tokens the actor may see, owners included.
            let owner = state
                .store()
                .get_user(&Scope::Platform, t.user_id)
                .await
                .map(|u| u.login)
                .unwrap_or_else(|_| format!("#{}", t.user_id));
            slot.insert(owner);
        }
    }
    let others = tokens.iter().any(|t| t.user_id != actor.user);
    let rows = tokens
        .into_iter()
        .rev()
        .map(|t| TokenRow {
            id: t.id.0,
            owner: owners.get(&t.user_id).cloned().unwrap_or_default(),
            revoke_label: l.lang.t1("revoke-named", "name", t.name.clone()),
            name: t.name,
            prefix: t.prefix,
            created: utc(t.created_at),
            last_used: t.last_used_at.map(utc).unwrap_or_default(),
            revoked: t.revoked_at.map(utc),
        })
        .collect();
    Ok(render(&TokensPage {
        l,
        error,
        created,
        rows,
        others,
        name,
    }))
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tokens-title", HERE).await?;
    show(&state, &session, l, None, None, String::new()).await
}

/// The creation form.
#[derive(Deserialize)]
pub(super) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// Creates a token and shows its secret in the answer itself: it is not
/// kept anywhere, so this page cannot be a redirect.
async fn create(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tokens-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let actor = &session.actor;
    let result = async {
        let name = validate::name("name", &form.name, 100)?;
        let secret = new_api_token();
        let new = NewToken {
            user_id: actor.user,
            name,
            prefix: secret.prefix,
            secret_hash: secret.hash,
        };
        let manage = actor.scope(Permission::ManageDirectory);
        let token = state
            .store()
            .create_token(actor, &manage, state.clock().now(), &new)
            .await?;
        Ok::<_, FormError>(Created {
            name: token.name,
            secret: secret.secret,
        })
    }
    .await;
    match result {
        Ok(created) => show(&state, &session, l, None, Some(created), String::new()).await,
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show(&state, &session, l, Some(message), None, form.name.clone()).await?;
            Ok(with_status(page, status))
        }
    }
}

async fn revoke(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tokens-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let Some(id) = parse_id(&raw) else {
        return Err(not_found(&l));
    };
    let actor = &session.actor;
    let manage = actor.scope(Permission::ManageDirectory);
    match state
        .store()
        .revoke_token(actor, &manage, state.clock().now(), TokenId(id))
        .await
    {
        Ok(_) => Ok(see_other(HERE)),
        Err(e) => {
            let (status, message) = explain(&l, e.into())?;
            let page = show(&state, &session, l, Some(message), None, String::new()).await?;
            Ok(with_status(page, status))
        }
    }
}
