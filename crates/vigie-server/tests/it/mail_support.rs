//! What the mail tests share: the corpus of hand-written mails in
//! `tests/mails/`, and a mailbox for a tenant.

use crate::support::{TenantWorld, World};
use vigie_core::ids::IntegrationKeyId;
use vigie_core::mail::{AfterAction, Security, UnknownSenders};
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::mail::intake::MailboxContext;
use vigie_store::{MailboxInput, MailboxRecord};

/// A mail of the corpus.
pub fn corpus(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/mails")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A mailbox's settings for a tenant: its root entity, contacts created
/// for unknown senders, 20 mails per sender in 10 minutes.
pub fn input(tenant: &TenantWorld, name: &str, rules: &str) -> MailboxInput {
    MailboxInput {
        entity_id: tenant.root,
        name: name.into(),
        host: "127.0.0.1".into(),
        port: 143,
        security: Security::None,
        login: "support".into(),
        password: Some("secret-imap".into()),
        folder: "INBOX".into(),
        after_action: AfterAction::Move,
        move_to: "Traites".into(),
        poll_seconds: 60,
        category_id: None,
        unknown_senders: UnknownSenders::CreateContact,
        single_contact: false,
        rate_max: 20,
        rate_window_seconds: 600,
        integration_key_id: None,
        address: "support@vigie.example".into(),
        rules: rules.into(),
        active: true,
    }
}

/// Creates a mailbox and loads its context.
pub async fn mailbox(
    world: &World,
    input: &MailboxInput,
    key: Option<IntegrationKeyId>,
) -> (MailboxRecord, MailboxContext) {
    let mut input = input.clone();
    input.integration_key_id = key;
    let record = world
        .store
        .create_mailbox(
            &Actor::system(),
            &Scope::Platform,
            world.clock.now(),
            &input,
        )
        .await
        .expect("mailbox");
    let ctx = MailboxContext::load(&world.state, record.clone())
        .await
        .expect("context");
    (record, ctx)
}

/// The rules of a provider's alert mails: room, rack, socket, equipment
/// and state read from the body, the severity from the subject.
pub const PROVIDER_RULES: &str = r#"[
  {"name": "alertes hébergeur",
   "conditions": [
     {"field": "from", "pattern": "@hebergeur\\.example$"},
     {"field": "subject", "pattern": "^\\[(?P<severity>\\w+)\\]"},
     {"field": "body", "pattern": "(?m)^Salle : (?P<room>\\S+)$[\\s\\S]*^Baie : (?P<rack>\\S+)$[\\s\\S]*^Prise : (?P<socket>\\S+)$[\\s\\S]*^Equipement : (?P<equipment>\\S+)$[\\s\\S]*^Etat : (?P<state>\\S+)"}
   ],
   "action": {"kind": "event", "source": "hebergeur-mail", "check": "alimentation"}},
  {"name": "vpn", "conditions": [{"field": "subject", "pattern": "(?i)vpn"}],
   "action": {"kind": "place", "priority": "haut"}}
]"#;
