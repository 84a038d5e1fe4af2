//! Tests of [`decide`]: one per branch of the decision.

use super::rules::{ConditionSpec, EventTemplate, Field, RuleSpec};
use super::*;
use crate::event::Severity;
use crate::ids::{CategoryId, EntityId};
use crate::tenancy::ScopeRule;

fn now() -> Timestamp {
    "2025-03-03T10:00:00Z".parse().expect("time")
}

fn mail(subject: &str, text: &str) -> MailFacts {
    MailFacts {
        message_id: "m1@client.example".into(),
        from: "jeanne@client.example".into(),
        from_name: "Jeanne".into(),
        to: vec!["support@vigie.example".into()],
        subject: subject.into(),
        text: text.into(),
        ..MailFacts::default()
    }
}

fn policy(rules: &RuleSet) -> MailboxPolicy<'_> {
    MailboxPolicy {
        rules,
        defaults: Placement {
            entity: Some(EntityId(3)),
            ..Placement::default()
        },
        unknown: UnknownSenders::CreateContact,
        single_contact: false,
        rate: RateLimit::default(),
    }
}

/// The establishment of the tests' senders and tickets.
fn site() -> EntityPath {
    EntityPath::root(EntityId(1)).child(EntityId(3))
}

/// A sender of [`site`] who works no tickets.
fn sender(user: i64) -> KnownSender {
    KnownSender {
        user: UserId(user),
        is_contact_point: false,
        contact_points: vec![],
        home: site(),
        work: Scope::Tenant {
            tenant: TenantId(1),
            rules: vec![],
        },
    }
}

fn known(user: i64) -> Lookups {
    Lookups {
        sender: Some(sender(user)),
        ..Lookups::default()
    }
}

/// An open ticket of [`site`] asked by user 7.
fn thread(id: i64, closed: bool) -> ThreadTicket {
    ThreadTicket {
        id: TicketId(id),
        closed,
        tenant: TenantId(1),
        entity: site(),
        requester: UserId(7),
        assignee: None,
    }
}

#[test]
fn a_new_mail_from_a_known_user_opens_a_ticket() {
    let rules = RuleSet::default();
    let d = decide(
        &mail("Re: Imprimante", "  en panne \n"),
        &policy(&rules),
        &known(7),
        now(),
    );
    assert_eq!(
        d,
        MailDecision::Open {
            requester: Requester::User(UserId(7)),
            placement: Placement {
                entity: Some(EntityId(3)),
                ..Placement::default()
            },
            title: "Imprimante".into(),
            description: "en panne".into(),
            rule: None,
            answers: None,
        }
    );
}

#[test]
fn automatic_mail_is_ignored_before_anything_else() {
    let rules = RuleSet::default();
    let mut m = mail("x", "y");
    m.auto.auto_submitted = Some("auto-replied".into());
    let mut found = known(7);
    found.recent_from_sender = 1000;
    assert_eq!(
        decide(&m, &policy(&rules), &found, now()),
        MailDecision::Ignore(IgnoreReason::Automatic(auto::Automatic::AutoReply))
    );
    m.auto = AutoHeaders {
        delivery_report: true,
        ..AutoHeaders::default()
    };
    let d = decide(&m, &policy(&rules), &found, now());
    assert_eq!(
        d,
        MailDecision::Ignore(IgnoreReason::Automatic(auto::Automatic::Bounce))
    );
    if let MailDecision::Ignore(r) = d {
        assert_eq!(r.describe(), "bounce");
    }
}

#[test]
fn a_mail_without_sender_is_ignored() {
    let rules = RuleSet::default();
    let mut m = mail("x", "y");
    m.from.clear();
    let d = decide(&m, &policy(&rules), &Lookups::default(), now());
    assert_eq!(d, MailDecision::Ignore(IgnoreReason::NoSender));
}

#[test]
fn a_sender_over_the_rate_limit_is_ignored() {
    let rules = RuleSet::default();
    let mut found = known(7);
    found.recent_from_sender = RateLimit::default().max - 1;
    assert!(matches!(
        decide(&mail("x", "y"), &policy(&rules), &found, now()),
        MailDecision::Open { .. }
    ));
    found.recent_from_sender = RateLimit::default().max;
    let d = decide(&mail("x", "y"), &policy(&rules), &found, now());
    assert_eq!(d, MailDecision::Ignore(IgnoreReason::RateLimited));
    assert_eq!(IgnoreReason::RateLimited.describe(), "rate_limited");
}

#[test]
fn a_reply_is_threaded_by_headers_then_by_tag() {
    let rules = RuleSet::default();
    let m = mail(
        "Re: [VIGIE#12] Imprimante",
        "Toujours en panne.\n> ancien texte",
    );
    let mut found = known(7);
    found.by_tag = Some(thread(120, false));
    let reply = |ticket| MailDecision::Reply {
        ticket: TicketId(ticket),
        author: Requester::User(UserId(7)),
        body: "Toujours en panne.".into(),
    };
    assert_eq!(decide(&m, &policy(&rules), &found, now()), reply(120));
    found.by_headers = Some(thread(99, false));
    assert_eq!(
        decide(&m, &policy(&rules), &found, now()),
        reply(99),
        "headers first"
    );
}

#[test]
fn a_reply_to_a_closed_ticket_opens_a_new_one() {
    let rules = RuleSet::default();
    let mut found = known(7);
    found.by_headers = Some(thread(99, true));
    let d = decide(
        &mail("Re: [VIGIE#12] x", "y"),
        &policy(&rules),
        &found,
        now(),
    );
    assert!(
        matches!(d, MailDecision::Open { ref title, .. } if title == "x"),
        "{d:?}"
    );
}

#[test]
fn unknown_senders_become_contacts_or_get_a_notice() {
    let rules = RuleSet::default();
    let d = decide(&mail("x", "y"), &policy(&rules), &Lookups::default(), now());
    assert!(matches!(
        d,
        MailDecision::Open { requester: Requester::NewContact { ref address, ref name }, .. }
            if address == "jeanne@client.example" && name == "Jeanne"
    ));
    let mut refusing = policy(&rules);
    refusing.unknown = UnknownSenders::Refuse;
    let d = decide(&mail("x", "y"), &refusing, &Lookups::default(), now());
    assert_eq!(d, MailDecision::Refuse(Notice::UnknownSender));
}

#[test]
fn only_the_point_of_contact_writes_where_one_is_required() {
    let rules = RuleSet::default();
    let mut single = policy(&rules);
    single.single_contact = true;
    let student = Lookups {
        sender: Some(KnownSender {
            contact_points: vec!["Claire Martin".into()],
            ..sender(8)
        }),
        ..Lookups::default()
    };
    assert_eq!(
        decide(&mail("x", "y"), &single, &student, now()),
        MailDecision::Refuse(Notice::NotContactPoint {
            contact_points: vec!["Claire Martin".into()]
        })
    );
    assert!(
        matches!(
            decide(&mail("x", "y"), &policy(&rules), &student, now()),
            MailDecision::Open { .. }
        ),
        "without the policy anyone writes"
    );
    let contact = Lookups {
        sender: Some(KnownSender {
            is_contact_point: true,
            contact_points: vec!["Claire Martin".into()],
            ..sender(9)
        }),
        ..Lookups::default()
    };
    assert!(matches!(
        decide(&mail("x", "y"), &single, &contact, now()),
        MailDecision::Open { .. }
    ));
    assert!(
        matches!(
            decide(&mail("x", "y"), &single, &known(5), now()),
            MailDecision::Open { .. }
        ),
        "an establishment without a point of contact takes anyone's mail"
    );
}

fn one_rule(action: RuleAction) -> RuleSet {
    RuleSet::compile(vec![RuleSpec {
        name: "r".into(),
        conditions: vec![ConditionSpec {
            field: Field::Subject,
            pattern: "(?i)alerte (?P<equipment>\\S+)".into(),
        }],
        action,
    }])
    .expect("rules")
}

#[test]
fn a_rule_places_the_ticket_over_the_defaults() {
    let rules = one_rule(RuleAction::Place(Placement {
        category: Some(CategoryId(5)),
        ..Placement::default()
    }));
    let d = decide(
        &mail("Alerte onduleur", "y"),
        &policy(&rules),
        &known(7),
        now(),
    );
    let MailDecision::Open {
        placement, rule, ..
    } = d
    else {
        panic!("{d:?}");
    };
    assert_eq!(placement.entity, Some(EntityId(3)));
    assert_eq!(placement.category, Some(CategoryId(5)));
    assert_eq!(rule.as_deref(), Some("r"));
}

#[test]
fn a_rule_may_ignore_the_mail() {
    let rules = one_rule(RuleAction::Ignore);
    let d = decide(&mail("Alerte x", "y"), &policy(&rules), &known(7), now());
    assert_eq!(d, MailDecision::Ignore(IgnoreReason::Rule("r".into())));
}

#[test]
fn an_event_rule_makes_an_event_whoever_sent_it() {
    let rules = one_rule(RuleAction::Event(EventTemplate {
        source: "noc-mail".into(),
        severity: Severity::Error,
        check: "alerte".into(),
    }));
    let mut refusing = policy(&rules);
    refusing.unknown = UnknownSenders::Refuse;
    let d = decide(
        &mail("ALERTE onduleur-3", "y"),
        &refusing,
        &Lookups::default(),
        now(),
    );
    let MailDecision::Event { rule, event } = d else {
        panic!("{d:?}");
    };
    assert_eq!(rule, "r");
    assert_eq!(event.resource, "onduleur-3");
    assert_eq!(event.severity, Severity::Error);
}

#[test]
fn points_of_contact_cover_their_entity_and_recursively_its_subtree() {
    let path = |p: &str| EntityPath::parse(p).expect("path");
    let grants = vec![
        ContactGrant {
            user: UserId(1),
            name: "Claire".into(),
            entity: path("/1/4/"),
            recursive: false,
        },
        ContactGrant {
            user: UserId(2),
            name: "Bruno".into(),
            entity: path("/1/"),
            recursive: true,
        },
        ContactGrant {
            user: UserId(3),
            name: "Autre".into(),
            entity: path("/1/5/"),
            recursive: true,
        },
    ];
    let s = known_sender(UserId(9), &path("/1/4/"), &grants, Scope::Platform);
    assert_eq!(
        s.contact_points,
        vec!["Bruno".to_owned(), "Claire".to_owned()]
    );
    assert!(!s.is_contact_point);
    assert!(known_sender(UserId(1), &path("/1/4/"), &grants, Scope::Platform).is_contact_point);
    let below = known_sender(UserId(9), &path("/1/4/7/"), &grants, Scope::Platform);
    assert_eq!(
        below.contact_points,
        vec!["Bruno".to_owned()],
        "Claire's grant is not recursive"
    );
    let none = known_sender(UserId(9), &path("/2/"), &grants, Scope::Platform);
    assert!(none.contact_points.is_empty());
}

#[test]
fn sending_is_retried_with_a_doubling_wait_then_given_up() {
    let mins = |n| retry_after(n).map(|d| d.as_secs() / 60);
    assert_eq!(mins(0), Some(1));
    assert_eq!(mins(1), Some(2));
    assert_eq!(mins(4), Some(16));
    assert_eq!(mins(9), Some(360), "capped at six hours");
    assert_eq!(mins(MAX_SEND_ATTEMPTS), None);
    assert_eq!(mins(-3), Some(1));
}

#[test]
fn only_the_tickets_people_reply_by_mail_others_open_their_own() {
    let rules = RuleSet::default();
    let m = mail("Re: [VIGIE#12] Imprimante", "Moi aussi.");
    let reply_of = |found: &Lookups| decide(&m, &policy(&rules), found, now());
    let replied = |d: &MailDecision| matches!(d, MailDecision::Reply { ticket, .. } if *ticket == TicketId(120));
    let opened_answering = |d: &MailDecision| matches!(d, MailDecision::Open { answers: Some(t), .. } if *t == TicketId(120));
    // The requester (7), a colleague of the same establishment (8).
    for user in [7, 8] {
        let mut found = known(user);
        found.by_tag = Some(thread(120, false));
        assert!(replied(&reply_of(&found)), "user {user}");
    }
    // Someone of another establishment who found the tag.
    let elsewhere = EntityPath::root(EntityId(1)).child(EntityId(4));
    let mut found = Lookups {
        sender: Some(KnownSender {
            home: elsewhere.clone(),
            ..sender(8)
        }),
        ..Lookups::default()
    };
    found.by_tag = Some(thread(120, false));
    assert!(opened_answering(&reply_of(&found)));
    // Unless he works that establishment's tickets, or is its agent.
    found.sender = Some(KnownSender {
        home: elsewhere.clone(),
        work: Scope::Tenant {
            tenant: TenantId(1),
            rules: vec![ScopeRule::Subtree(EntityPath::root(EntityId(1)))],
        },
        ..sender(8)
    });
    assert!(replied(&reply_of(&found)));
    found.sender = Some(KnownSender {
        home: elsewhere,
        ..sender(8)
    });
    found.by_tag = Some(ThreadTicket {
        assignee: Some(UserId(8)),
        ..thread(120, false)
    });
    assert!(replied(&reply_of(&found)));
    // An unknown address becomes a contact with a ticket of his own.
    let stranger = Lookups {
        by_headers: Some(thread(120, false)),
        ..Lookups::default()
    };
    assert!(opened_answering(&reply_of(&stranger)));
}
