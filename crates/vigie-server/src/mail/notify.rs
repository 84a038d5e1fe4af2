//! The mails Vigie sends about a ticket, in the recipient's language (French
//! or English, messages in `i18n/<lang>/mail.ftl`), one per kind of
//! `vigie_core::notification::NotificationKind` (ticket created, public
//! reply, requester's reply, assignment, escalation, manager alert, SLA
//! warning, resolution with the survey link), and the notices to senders
//! who may not open tickets. Each carries
//! the subject tag `[VIGIE#n]` and a Message-ID of its own, kept in the
//! outbox, so a reply comes back onto its ticket by its headers or by its
//! subject.

use crate::i18n::Lang;
use vigie_core::Timestamp;
use vigie_core::mail::{Notice, subject};
use vigie_core::notification::NotificationKind;
use vigie_store::{OutgoingMail, TicketRecord};

/// The message key of a kind: `mail-<kind>-subject`, `mail-<kind>-body`.
fn key(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::TicketCreated => "mail-ticket-created",
        NotificationKind::PublicReply => "mail-public-reply",
        NotificationKind::RequesterReply => "mail-requester-reply",
        NotificationKind::Assignment => "mail-assignment",
        NotificationKind::AssignedToYou => "mail-assigned-to-you",
        NotificationKind::Escalation => "mail-escalation",
        NotificationKind::ManagerAlert => "mail-manager-alert",
        NotificationKind::SlaWarning => "mail-sla-warning",
        NotificationKind::Resolved => "mail-resolved",
    }
}

/// A ticket mail to write.
#[derive(Clone, Debug)]
pub struct TicketMail<'a> {
    /// What it tells.
    pub kind: NotificationKind,
    /// In which language.
    pub lang: Lang,
    /// The ticket.
    pub ticket: &'a TicketRecord,
    /// The `From` address (the mailbox's).
    pub sender: &'a str,
    /// The recipient.
    pub recipient: &'a str,
    /// The reply or solution text, quoted in the body.
    pub text: Option<&'a str>,
    /// Who: the assignee, the group escalated to or alerted about.
    pub who: &'a str,
    /// Who made the change: the reply's author, the assigner.
    pub author: &'a str,
    /// The survey's address, for a resolution.
    pub survey_link: Option<&'a str>,
    /// The ticket's page.
    pub ticket_link: Option<&'a str>,
    /// The mail the ticket came from, for `In-Reply-To`.
    pub in_reply_to: Option<&'a str>,
    /// Now, which makes the Message-ID unique.
    pub now: Timestamp,
}

/// The domain of an address, for Message-IDs.
fn domain(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
        .unwrap_or("vigie.invalid")
}

/// A Message-ID of Vigie's: what, which ticket, when.
pub fn message_id(
    kind: &str,
    ticket: Option<&TicketRecord>,
    sender: &str,
    now: Timestamp,
) -> String {
    let ticket = ticket.map_or("0.0".to_owned(), |t| format!("{}.{}", t.tenant_id, t.id));
    format!(
        "vigie.{kind}.{ticket}.{}@{}",
        now.as_microsecond(),
        domain(sender)
    )
}

/// Text made safe to put in HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML version of a text body: escaped paragraphs.
fn html_of(text: &str) -> String {
    let mut html = String::from("<!DOCTYPE html><html><body>");
    for para in text.split("\n\n") {
        html.push_str("<p>");
        html.push_str(&escape(para.trim()).replace('\n', "<br>"));
        html.push_str("</p>");
    }
    html.push_str("</body></html>");
    html
}

/// Writes a ticket mail.
pub fn ticket_mail(m: &TicketMail<'_>) -> OutgoingMail {
    let number = m.ticket.number.to_string();
    let title = m.ticket.title.clone();
    let args = |extra: (&'static str, String)| {
        [("number", number.clone()), ("title", title.clone()), extra]
    };
    let key = key(m.kind);
    let subject_text = m
        .lang
        .tn(&format!("{key}-subject"), args(("who", m.who.to_owned())));
    let mut body = m.lang.tn(
        &format!("{key}-body"),
        [
            ("number", number.clone()),
            ("title", title.clone()),
            ("who", m.who.to_owned()),
            ("author", m.author.to_owned()),
        ],
    );
    if let Some(text) = m.text.filter(|t| !t.trim().is_empty()) {
        body.push_str("\n\n");
        body.push_str(text.trim());
    }
    if let Some(link) = m.survey_link {
        body.push_str("\n\n");
        body.push_str(&m.lang.t1("mail-resolved-survey", "link", link));
    }
    if let Some(link) = m.ticket_link {
        body.push_str("\n\n");
        body.push_str(&m.lang.t1("mail-ticket-link", "link", link));
    }
    body.push_str("\n\n");
    body.push_str(&m.lang.t1("mail-reply-hint", "number", number.clone()));
    body.push_str("\n\n");
    body.push_str(&m.lang.t("mail-signature"));
    let id = message_id(m.kind.as_str(), Some(m.ticket), m.sender, m.now);
    let in_reply_to = m.in_reply_to.unwrap_or_default().to_owned();
    OutgoingMail {
        tenant_id: m.ticket.tenant_id,
        ticket_id: Some(m.ticket.id),
        kind: m.kind.as_str().to_owned(),
        sender: m.sender.to_owned(),
        recipient: m.recipient.to_owned(),
        subject: subject::tagged(m.ticket.number, &subject_text),
        body_html: html_of(&body),
        body_text: body,
        references: in_reply_to.clone(),
        in_reply_to,
        message_id: id,
    }
}

/// The mail a notice answers.
#[derive(Clone, Copy, Debug)]
pub struct Answered<'a> {
    /// The tenant.
    pub tenant: vigie_core::ids::TenantId,
    /// The `From` address (the mailbox's).
    pub sender: &'a str,
    /// Who wrote the mail answered.
    pub recipient: &'a str,
    /// Its subject.
    pub subject: &'a str,
    /// Its Message-ID.
    pub message_id: &'a str,
}

/// The notice to a sender whose mail opened nothing.
pub fn notice_mail(notice: &Notice, lang: Lang, to: Answered<'_>, now: Timestamp) -> OutgoingMail {
    let Answered {
        tenant,
        sender,
        recipient,
        subject: their_subject,
        message_id: their_id,
    } = to;
    let mut body = match notice {
        Notice::UnknownSender => lang.t("mail-notice-unknown-sender"),
        Notice::NotContactPoint { contact_points } => lang.t1(
            "mail-notice-not-contact-point",
            "names",
            contact_points.join(", "),
        ),
    };
    body.push_str("\n\n");
    body.push_str(&lang.t("mail-signature"));
    OutgoingMail {
        tenant_id: tenant,
        ticket_id: None,
        kind: "notice".into(),
        sender: sender.to_owned(),
        recipient: recipient.to_owned(),
        subject: lang.t1(
            "mail-notice-subject",
            "subject",
            their_subject.chars().take(150).collect::<String>(),
        ),
        body_html: html_of(&body),
        body_text: body,
        message_id: message_id("notice", None, sender, now),
        in_reply_to: their_id.to_owned(),
        references: their_id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        let mut keys: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" ="))
            .filter_map(|l| l.split(" =").next().map(str::to_owned))
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn every_mail_message_exists_in_both_languages_and_loads() {
        let fr = keys(include_str!("../../i18n/fr/mail.ftl"));
        let en = keys(include_str!("../../i18n/en/mail.ftl"));
        assert_eq!(fr, en);
        let main = keys(include_str!("../../i18n/fr/main.ftl"));
        assert!(
            fr.iter().all(|k| !main.contains(k)),
            "a mail key is also in main.ftl"
        );
        assert_ne!(Lang::Fr.t("mail-signature"), "mail-signature");
        assert_ne!(Lang::En.t("mail-signature"), Lang::Fr.t("mail-signature"));
    }

    #[test]
    fn html_bodies_are_escaped() {
        assert_eq!(
            html_of("a <b>\n\nc & d"),
            "<!DOCTYPE html><html><body><p>a &lt;b&gt;</p><p>c &amp; d</p></body></html>"
        );
    }

    #[test]
    fn message_ids_name_their_ticket_and_domain() {
        let now: Timestamp = "2025-03-03T10:00:00Z".parse().expect("time");
        let id = message_id("notice", None, "support@vigie.example", now);
        assert!(
            id.ends_with("@vigie.example") && id.starts_with("vigie.notice.0.0."),
            "{id}"
        );
        assert!(message_id("x", None, "nobody", now).ends_with("@vigie.invalid"));
    }
}
