//! Fuzzes the MIME-to-ticket path: raw bytes parsed as a mail
//! (`vigie_server::mail::parse`), then decided by the core
//! (`vigie_core::mail::decide`) under a mailbox with an event rule and a
//! placing rule, with and without a ticket to thread onto. Neither may
//! panic, whatever the bytes, and the decision keeps its promises: an
//! automatic mail is only ever ignored; a reply goes only to the open
//! ticket the lookups found, from one of its people; a new ticket has a title of 1 to 200
//! characters; a refusal happens only for an unknown sender under the
//! refusing policy; an event keeps the events' limits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_core::event::limits;
use vigie_core::ids::{EntityId, TenantId, TicketId, UserId};
use vigie_core::tenancy::{EntityPath, Scope};
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
        let site = EntityPath::root(EntityId(1));
        let ticket = |id, closed| ThreadTicket {
            id: TicketId(id),
            closed,
            tenant: TenantId(1),
            entity: site.clone(),
            requester: UserId(3),
            assignee: None,
        };
        let sender_3 = KnownSender {
            user: UserId(3),
            is_contact_point: true,
            contact_points: vec![],
            home: site.clone(),
            work: Scope::Tenant { tenant: TenantId(1), rules: vec![] },
        };
        for (thread, sender) in [
            (None, None),
            (Some(ticket(7, false)), Some(sender_3)),
            (Some(ticket(8, true)), None),
            (Some(ticket(9, false)), None),
        ] {
            let found = Lookups {
                by_headers: thread.clone(),
                by_tag: None,
                sender: sender.clone(),
                recent_from_sender: 0,
            };
            for now in nows() {
                let d = decide(&facts, &policy, &found, now);
                if auto::automatic(&facts.auto, &facts.subject).is_some() {
                    assert!(matches!(d, MailDecision::Ignore(_)), "automatic mail: {d:?}");
                }
                match &d {
                    MailDecision::Reply { ticket, .. } => {
                        let t = thread.as_ref().expect("a reply has its ticket");
                        assert_eq!((t.id, t.closed), (*ticket, false));
                        assert!(t.takes_reply_from(sender.as_ref()), "a reply from one of its people");
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
