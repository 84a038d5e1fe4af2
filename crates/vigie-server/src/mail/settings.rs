//! A mailbox's settings as typed, by the API's body or the web form,
//! checked into the store's [`MailboxInput`]: the API and the web pages
//! refuse the same values with the same words.

use vigie_core::ids::{CategoryId, EntityId, IntegrationKeyId};
use vigie_core::mail::{AfterAction, Security, UnknownSenders};
use vigie_core::validate::{self, InvalidValue};
use vigie_store::{MailboxInput, MailboxRecord};

/// A mailbox's settings before they are checked (the closed sets as names;
/// `None` for their defaults).
#[derive(Clone, Debug)]
pub struct MailboxFields {
    /// The default entity of its tickets.
    pub entity_id: EntityId,
    /// Its name.
    pub name: String,
    /// The IMAP server.
    pub host: String,
    /// Its port.
    pub port: i64,
    /// `tls` (default), `starttls` or `none`.
    pub security: Option<String>,
    /// The IMAP login.
    pub login: String,
    /// The IMAP password; `None` keeps the stored one on a change.
    pub password: Option<String>,
    /// The folder read.
    pub folder: String,
    /// `move` (default) or `flag`.
    pub after_action: Option<String>,
    /// The folder processed mail is moved to.
    pub move_to: String,
    /// Seconds between two reads.
    pub poll_seconds: i64,
    /// The default category of its tickets.
    pub category_id: Option<i64>,
    /// `create_contact` (default) or `refuse`.
    pub unknown_senders: Option<String>,
    /// Only an establishment's point of contact may write for it.
    pub single_contact: bool,
    /// Mails allowed per sender in the window.
    pub rate_max: i64,
    /// The rate window, in seconds.
    pub rate_window_seconds: i64,
    /// The key its events are stored under.
    pub integration_key_id: Option<i64>,
    /// The address its notifications come from.
    pub address: String,
    /// Whether it is read.
    pub active: bool,
    /// Its rules, as JSON already checked
    /// ([`super::rules_wire::checked_json`]).
    pub rules: String,
}

/// A refused setting: the field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{sentence}")]
pub struct Refusal {
    /// The field at fault.
    pub field: String,
    /// What is wrong, as the API says it beside the field.
    pub detail: String,
    /// The whole sentence, naming the field.
    sentence: String,
}

impl Refusal {
    /// `field` breaks `rule` ("must be 1 to 65535").
    pub fn new(field: &str, rule: impl Into<String>) -> Refusal {
        let detail = rule.into();
        Refusal {
            sentence: format!("`{field}` {detail}"),
            field: field.to_owned(),
            detail,
        }
    }
}

impl From<InvalidValue> for Refusal {
    fn from(e: InvalidValue) -> Self {
        let sentence = e.to_string();
        Refusal {
            field: e.field().to_owned(),
            detail: sentence.clone(),
            sentence,
        }
    }
}

/// A name of a closed set, or its default when left out.
fn named<T: std::str::FromStr>(field: &str, v: Option<&str>, default: T) -> Result<T, Refusal>
where
    T::Err: std::fmt::Display,
{
    match v {
        None => Ok(default),
        Some(s) => s
            .parse()
            .map_err(|e: T::Err| Refusal::new(field, e.to_string())),
    }
}

/// A number within bounds.
fn within(field: &str, v: i64, low: i64, high: i64) -> Result<i64, Refusal> {
    if (low..=high).contains(&v) {
        Ok(v)
    } else {
        Err(Refusal::new(field, format!("must be {low} to {high}")))
    }
}

/// Checks a mailbox's settings, field by field in the form's order.
pub fn check(f: MailboxFields) -> Result<MailboxInput, Refusal> {
    let name = validate::name("name", &f.name, 100)?;
    let host = validate::name("host", &f.host, 255)?;
    let port = u16::try_from(within("port", f.port, 1, 65_535)?)
        .map_err(|_| Refusal::new("port", "must be 1 to 65535"))?;
    let security = named("security", f.security.as_deref(), Security::Tls)?;
    let login = validate::name("login", &f.login, 255)?;
    let folder = validate::name("folder", &f.folder, 255)?;
    let after_action = named("after_action", f.after_action.as_deref(), AfterAction::Move)?;
    let move_to = validate::name("move_to", &f.move_to, 255)?;
    let poll_seconds = within("poll_seconds", f.poll_seconds, 1, 86_400)?;
    let rate_max = u32::try_from(within("rate_max", f.rate_max, 1, 100_000)?)
        .map_err(|_| Refusal::new("rate_max", "must be 1 to 100000"))?;
    let rate_window_seconds = within("rate_window_seconds", f.rate_window_seconds, 60, 86_400)?;
    let address =
        validate::email(&f.address)?.ok_or_else(|| Refusal::new("address", "is required"))?;
    if let Some(p) = &f.password
        && (p.is_empty() || p.chars().count() > 1000)
    {
        return Err(Refusal::new("password", "must have 1 to 1000 characters"));
    }
    let unknown_senders = named(
        "unknown_senders",
        f.unknown_senders.as_deref(),
        UnknownSenders::CreateContact,
    )?;
    Ok(MailboxInput {
        entity_id: f.entity_id,
        name,
        host,
        port,
        security,
        login,
        password: f.password,
        folder,
        after_action,
        move_to,
        poll_seconds,
        category_id: f.category_id.map(CategoryId),
        unknown_senders,
        single_contact: f.single_contact,
        rate_max,
        rate_window_seconds,
        integration_key_id: f.integration_key_id.map(IntegrationKeyId),
        address,
        rules: f.rules,
        active: f.active,
    })
}

/// A mailbox's settings unchanged but its rules (JSON already checked),
/// its password kept.
pub fn with_rules(m: MailboxRecord, rules: String) -> MailboxInput {
    MailboxInput {
        entity_id: m.entity_id,
        name: m.name,
        host: m.host,
        port: m.port,
        security: m.security,
        login: m.login,
        password: None,
        folder: m.folder,
        after_action: m.after_action,
        move_to: m.move_to,
        poll_seconds: m.poll_seconds,
        category_id: m.category_id,
        unknown_senders: m.unknown_senders,
        single_contact: m.single_contact,
        rate_max: m.rate_max,
        rate_window_seconds: m.rate_window_seconds,
        integration_key_id: m.integration_key_id,
        address: m.address,
        rules,
        active: m.active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> MailboxFields {
        MailboxFields {
            entity_id: EntityId(1),
            name: " support ".into(),
            host: "imap.example.org".into(),
            port: 993,
            security: None,
            login: "support".into(),
            password: Some("secret".into()),
            folder: "INBOX".into(),
            after_action: None,
            move_to: "Vigie".into(),
            poll_seconds: 60,
            category_id: None,
            unknown_senders: None,
            single_contact: false,
            rate_max: 20,
            rate_window_seconds: 600,
            integration_key_id: None,
            address: "support@vigie.example".into(),
            active: true,
            rules: "[]".into(),
        }
    }

    #[test]
    fn defaults_apply_and_names_are_trimmed() {
        let input = check(fields()).expect("valid");
        assert_eq!(input.name, "support");
        assert_eq!(input.security, Security::Tls);
        assert_eq!(input.after_action, AfterAction::Move);
        assert_eq!(input.unknown_senders, UnknownSenders::CreateContact);
    }

    #[test]
    fn refusals_name_their_field() {
        for (change, field) in [
            (
                (|f: &mut MailboxFields| f.port = 0) as fn(&mut MailboxFields),
                "port",
            ),
            (|f| f.port = 70_000, "port"),
            (|f| f.security = Some("ssl3".into()), "security"),
            (|f| f.name = "  ".into(), "name"),
            (|f| f.poll_seconds = 0, "poll_seconds"),
            (|f| f.rate_window_seconds = 59, "rate_window_seconds"),
            (|f| f.address = String::new(), "address"),
            (|f| f.password = Some(String::new()), "password"),
            (
                |f| f.unknown_senders = Some("all".into()),
                "unknown_senders",
            ),
        ] {
            let mut f = fields();
            change(&mut f);
            let e = check(f).expect_err(field);
            assert_eq!(e.field, field);
            assert!(e.to_string().contains(&format!("`{field}`")), "{e}");
        }
    }
}
