//! Fuzzes the MIME-to-ticket path: raw bytes parsed as a mail
//! (`vigie_server::mail::parse`), then decided by the core
//! (`vigie_core::mail::decide`) under a mailbox with an event rule and a
//! placing rule, with and without a ticket to thread onto. Neither may
//! panic, whatever the bytes, and the decision keeps its promises: an
//! automatic mail is only ever ignored; a reply goes only to the open
//! ticket the lookups found; a new ticket has a title of 1 to 200
//! characters; a refusal happens only for an unknown sender under the
//! refusing policy; an event keeps the events' limits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_core::event::limits;
use vigie_core::ids::{TicketId, UserId};
use vigie_core::mail::rules::{ConditionSpec, EventTemplate, Field, Placement, RuleAction, RuleSet, RuleSpec};
use vigie_core::mail::{
    KnownSender, Lookups, MailDecision, MailboxPolicy, RateLimit, ThreadTicket, UnknownSenders,
    auto, decide,
};
use vigie_server::mail::parse::{Limits, parse};
use vigie_fuzz::nows;

fn rules() -> RuleSet {
    let event = RuleSpec {
        name: "alertes".into(),
        conditions: vec![ConditionSpec {
            field: Field::Subject,
            pattern: r"(?i)alerte (?P<equipment>\S+)(?: (?P<state>\w+))?".into(),
        }],
        action: RuleAction::Event(EventTemplate {
            source: "fuzz-mail".into(),
            severity: vigie_core::event::Severity::Warning,
            check: String::new(),
        }),
    };
    let place = RuleSpec {
        name: "vpn".into(),
        conditions: vec![ConditionSpec { field: Field::Body, pattern: "(?i)vpn".into() }],
        action: RuleAction::Place(Placement::default()),
    };
    RuleSet::compile(vec![event, place]).unwrap_or_default()
}

fuzz_target!(|body: &[u8]| {
    let Ok(mail) = parse(body, &Limits::default()) else {
        return;
    };
    let facts = mail.facts();
    let set = rules();
    for unknown in [UnknownSenders::CreateContact, UnknownSenders::Refuse] {
        let policy = MailboxPolicy {
            rules: &set,
            defaults: Placement::default(),
            unknown,
            single_contact: true,
            rate: RateLimit::default(),
        };
        for (thread, sender) in [
            (None, None),
            (
                Some(ThreadTicket { id: TicketId(7), closed: false }),
                Some(KnownSender { user: UserId(3), is_contact_point: true, contact_points: vec![] }),
            ),
            (Some(ThreadTicket { id: TicketId(8), closed: true }), None),
        ] {
            let found = Lookups { by_headers: thread, by_tag: None, sender: sender.clone(), recent_from_sender: 0 };
            for now in nows() {
                let d = decide(&facts, &policy, &found, now);
                if auto::automatic(&facts.auto, &facts.subject).is_some() {
                    assert!(matches!(d, MailDecision::Ignore(_)), "automatic mail: {d:?}");
                }
                match &d {
                    MailDecision::Reply { ticket, .. } => {
                        assert_eq!(thread.map(|t| (t.id, t.closed)), Some((*ticket, false)));
                    }
                    MailDecision::Open { title, .. } => {
                        let n = title.chars().count();
                        assert!((1..=200).contains(&n), "title of {n} characters");
                    }
                    MailDecision::Refuse(_) => {
                        assert!(sender.is_none() && unknown == UnknownSenders::Refuse);
                    }
                    MailDecision::Event { event, .. } => {
                        assert!(event.resource.chars().count() <= limits::MAX_NAME_CHARS);
                        assert!(event.summary.chars().count() <= limits::MAX_SUMMARY_CHARS);
                        assert!(event.labels.len() <= limits::MAX_LABELS);
                    }
                    MailDecision::Ignore(_) => {}
                }
            }
        }
    }
});
