//! `vigie admin …`: operator commands that act as the system, for the
//! first token or account of an installation.

use anyhow::{Context, bail};
use std::io::BufRead;
use vigie_core::Timestamp;
use vigie_core::ids::EntityId;
use vigie_core::role::Role;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::validate;
use vigie_store::{NewGrant, NewIntegrationKey, NewToken, NewUser, PageRequest, Store};

/// Arguments of `vigie admin token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Login of the user the token acts as.
    #[arg(long, value_name = "LOGIN")]
    pub user: String,
    /// What the token is for, shown in token lists.
    #[arg(long, default_value = "command line")]
    pub name: String,
}

/// Creates an API token and returns its secret, to be shown once.
pub async fn create_token(
    store: &Store,
    now: Timestamp,
    args: &TokenArgs,
) -> anyhow::Result<String> {
    let (user, _) = store
        .find_user_by_login(&args.user)
        .await?
        .with_context(|| format!("no user with login {}", args.user))?;
    let name = validate::name("name", &args.name, 200)?;
    let token = vigie_server::auth::new_api_token();
    let new = NewToken {
        user_id: user.id,
        name,
        prefix: token.prefix,
        secret_hash: token.hash,
    };
    store
        .create_token(&Actor::system(), &Scope::Platform, now, &new)
        .await?;
    Ok(token.secret)
}

/// Arguments of `vigie admin integration-key`.
#[derive(Debug, clap::Args)]
pub struct IntegrationKeyArgs {
    /// Slug of the tenant whose events the key carries.
    #[arg(long, value_name = "SLUG")]
    pub tenant: String,
    /// The tool it is for (`alertmanager`, `zabbix`…): a-z, 0-9, - and _.
    #[arg(long, value_name = "NAME")]
    pub source: String,
    /// Id of the entity where its incidents open (default: the tenant's
    /// root).
    #[arg(long, value_name = "ID")]
    pub entity: Option<i64>,
}

/// Creates an integration key and returns its secret, to be shown once.
pub async fn create_integration_key(
    store: &Store,
    now: Timestamp,
    args: &IntegrationKeyArgs,
) -> anyhow::Result<String> {
    let source = validate::source_name(&args.source)?;
    let tenant = store
        .find_tenant_by_slug(&args.tenant)
        .await?
        .with_context(|| format!("no tenant with slug {}", args.tenant))?;
    let root = tenant
        .root_entity_id
        .context("the tenant has no root entity")?;
    let entity_id = args.entity.map(EntityId).unwrap_or(root);
    let entity = store
        .get_entity(&Scope::Platform, entity_id)
        .await
        .ok()
        .filter(|e| e.tenant_id == tenant.id)
        .with_context(|| format!("no entity {entity_id} in tenant {}", args.tenant))?;
    let key = vigie_server::auth::new_integration_key();
    let new = NewIntegrationKey {
        entity_id: entity.id,
        source,
        prefix: key.prefix,
        secret_hash: key.hash,
    };
    store
        .create_integration_key(&Actor::system(), &Scope::Platform, now, &new)
        .await?;
    Ok(key.secret)
}

/// Arguments of `vigie admin create-user`.
#[derive(Debug, clap::Args)]
pub struct CreateUserArgs {
    /// The new login.
    #[arg(long)]
    pub login: String,
    /// Slug of the user's tenant.
    #[arg(long, value_name = "SLUG")]
    pub tenant: String,
    /// Name of the user's home entity (default: the tenant's root).
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,
    /// Name as shown (default: the login).
    #[arg(long = "name", value_name = "NAME")]
    pub display_name: Option<String>,
    /// E-mail address.
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from the first line of standard input; without it
    /// the account has no password and can only use API tokens.
    #[arg(long)]
    pub password_stdin: bool,
    /// Make the user a platform administrator.
    #[arg(long)]
    pub platform_admin: bool,
    /// A role to grant on the home entity and below (repeatable).
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<Role>,
}

/// Creates a user, with his roles on his home entity's subtree.
pub async fn create_user(
    store: &Store,
    now: Timestamp,
    args: &CreateUserArgs,
) -> anyhow::Result<()> {
    let login = validate::login(&args.login)?;
    let display_name = validate::name("name", args.display_name.as_deref().unwrap_or(&login), 200)?;
    let email = validate::email(args.email.as_deref().unwrap_or(""))?;
    let tenant = store
        .find_tenant_by_slug(&args.tenant)
        .await?
        .with_context(|| format!("no tenant with slug {}", args.tenant))?;
    let root = tenant
        .root_entity_id
        .context("the tenant has no root entity")?;
    let entity_id = match &args.entity {
        Some(name) => find_entity_by_name(store, tenant.id, root, name).await?,
        None => root,
    };
    let password_hash = if args.password_stdin {
        let password = read_password()?;
        Some(vigie_server::auth::hash_password(&password)?)
    } else {
        None
    };
    let actor = Actor::system();
    let new = NewUser {
        entity_id,
        login,
        display_name,
        email,
        locale: None,
        password_hash,
        platform_admin: args.platform_admin,
    };
    let user = store
        .create_user(&actor, &Scope::Platform, now, &new)
        .await?;
    for &role in &args.roles {
        let grant = NewGrant {
            entity_id,
            role,
            recursive: true,
        };
        store
            .create_grant(&actor, &Scope::Platform, now, user.id, &grant)
            .await?;
    }
    Ok(())
}

/// The one entity of the tenant with this name.
async fn find_entity_by_name(
    store: &Store,
    tenant: vigie_core::ids::TenantId,
    root: EntityId,
    name: &str,
) -> anyhow::Result<EntityId> {
    let root_path = store.get_entity(&Scope::Platform, root).await?.path;
    let scope = Scope::Platform.narrowed_to(tenant, &root_path);
    let mut page = PageRequest::first(500);
    let mut found = Vec::new();
    loop {
        let entities = store.list_entities(&scope, None, page).await?;
        found.extend(
            entities
                .items
                .into_iter()
                .filter(|e| e.name == name)
                .map(|e| e.id),
        );
        match entities.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    match found.as_slice() {
        [id] => Ok(*id),
        [] => bail!("no entity named {name} in this tenant"),
        _ => bail!("several entities are named {name} in this tenant"),
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    vigie_core::auth::check_password_policy(password)?;
    Ok(password.to_owned())
}
