//! Tests of the mailbox rules: compiling, matching, and events from alert
//! mails.

use super::*;
use crate::ids::{CategoryId, EntityId};

fn cond(field: Field, pattern: &str) -> ConditionSpec {
    ConditionSpec {
        field,
        pattern: pattern.into(),
    }
}

fn rule(name: &str, conditions: Vec<ConditionSpec>, action: RuleAction) -> RuleSpec {
    RuleSpec {
        name: name.into(),
        conditions,
        action,
    }
}

fn mail(from: &str, subject: &str, text: &str) -> MailFacts {
    MailFacts {
        message_id: "m1@x".into(),
        from: from.into(),
        to: vec!["support@vigie.example".into()],
        subject: subject.into(),
        text: text.into(),
        ..MailFacts::default()
    }
}

fn alert_template() -> EventTemplate {
    EventTemplate {
        source: "hebergeur-mail".into(),
        severity: Severity::Warning,
        check: String::new(),
    }
}

fn now() -> Timestamp {
    "2025-03-03T10:00:00Z".parse().expect("time")
}

#[test]
fn the_first_matching_rule_decides() {
    let place = RuleAction::Place(Placement {
        category: Some(CategoryId(4)),
        ..Placement::default()
    });
    let set = RuleSet::compile(vec![
        rule(
            "never",
            vec![cond(Field::Subject, "^jamais$")],
            RuleAction::Ignore,
        ),
        rule("vpn", vec![cond(Field::Subject, "(?i)vpn")], place.clone()),
        rule("all", vec![], RuleAction::Ignore),
    ])
    .expect("rules");
    let m = set
        .first_match(&mail("a@x", "Accès VPN impossible", ""))
        .expect("match");
    assert_eq!((m.index, m.name, m.action), (1, "vpn", &place));
    let m = set
        .first_match(&mail("a@x", "Imprimante", ""))
        .expect("match");
    assert_eq!(m.name, "all");
    assert_eq!(set.len(), 3);
}

#[test]
fn every_condition_must_match() {
    let set = RuleSet::compile(vec![rule(
        "both",
        vec![
            cond(Field::From, "@hebergeur\\.example$"),
            cond(Field::To, "^alertes@"),
        ],
        RuleAction::Ignore,
    )])
    .expect("rules");
    let mut m = mail("noc@hebergeur.example", "x", "");
    assert!(set.first_match(&m).is_none(), "To does not match");
    m.cc = vec!["alertes@client.example".into()];
    assert!(set.first_match(&m).is_some(), "Cc counts as a recipient");
    assert!(set.first_match(&mail("x@autre.example", "x", "")).is_none());
}

#[test]
fn bad_rules_are_refused_with_their_path() {
    let bad = RuleSet::compile(vec![
        rule("ok", vec![], RuleAction::Ignore),
        rule(
            "bad",
            vec![cond(Field::Body, "(unclosed")],
            RuleAction::Ignore,
        ),
    ])
    .expect_err("bad pattern");
    assert_eq!(bad.path, "rules[1].conditions[0].pattern");
    let empty = RuleSet::compile(vec![rule(" ", vec![], RuleAction::Ignore)]).expect_err("name");
    assert_eq!(empty.path, "rules[0].name");
    let long = "a".repeat(MAX_PATTERN_CHARS + 1);
    let err = RuleSet::compile(vec![rule(
        "l",
        vec![cond(Field::Body, &long)],
        RuleAction::Ignore,
    )])
    .expect_err("long");
    assert!(err.message.contains("at most"));
    let huge = RuleSet::compile(vec![rule(
        "h",
        vec![cond(Field::Body, "\\w{5000}\\w{5000}")],
        RuleAction::Ignore,
    )])
    .expect_err("too large compiled");
    assert!(huge.message.contains("regular expression"));
    let no_source = RuleSet::compile(vec![rule(
        "e",
        vec![],
        RuleAction::Event(EventTemplate {
            source: " ".into(),
            ..alert_template()
        }),
    )])
    .expect_err("source");
    assert_eq!(no_source.path, "rules[0].action.source");
    let many = (0..=MAX_RULES)
        .map(|i| rule(&format!("r{i}"), vec![], RuleAction::Ignore))
        .collect();
    assert_eq!(RuleSet::compile(many).expect_err("many").path, "rules");
}

#[test]
fn fields_have_stable_names() {
    for f in [Field::From, Field::To, Field::Subject, Field::Body] {
        assert_eq!(Field::parse(f.as_str()), Some(f));
    }
    assert_eq!(Field::parse("cc"), None);
}

#[test]
fn a_provider_alert_becomes_an_event_with_its_fields() {
    let set = RuleSet::compile(vec![rule(
        "alerte électrique",
        vec![
            cond(Field::From, "@hebergeur\\.example$"),
            cond(
                Field::Body,
                "Salle\\s*:\\s*(?P<room>\\S+)\\s*$[\\s\\S]*?Baie\\s*:\\s*(?P<rack>\\S+)[\\s\\S]*?Prise\\s*:\\s*(?P<socket>\\S+)[\\s\\S]*?Etat\\s*:\\s*(?P<state>\\S+)",
            ),
            cond(Field::Subject, "\\[(?P<severity>\\w+)\\]"),
        ],
        RuleAction::Event(alert_template()),
    )])
    .expect("rules");
    let body = "Bonjour,\nSalle : S2\nBaie : B12\nPrise : PDU-A3\nEtat : coupé\n";
    let mut m = mail("noc@hebergeur.example", "[CRITICAL] Alimentation", body);
    m.date = Some("2025-03-03T09:58:00Z".parse().expect("date"));
    let found = set.first_match(&m).expect("match");
    let RuleAction::Event(t) = found.action else {
        panic!("not an event rule");
    };
    let e = event_of(t, found.name, &found.captures, &m, now());
    assert_eq!(e.source, "hebergeur-mail");
    assert_eq!(
        e.resource, "PDU-A3",
        "the socket when no resource or equipment"
    );
    assert_eq!(
        e.check, "alerte électrique",
        "the rule's name when no check"
    );
    assert_eq!(e.severity, Severity::Critical);
    assert_eq!(e.action, EventAction::Trigger);
    assert_eq!(e.summary, "[CRITICAL] Alimentation");
    assert_eq!(e.labels.get("room").map(String::as_str), Some("S2"));
    assert_eq!(e.labels.get("rack").map(String::as_str), Some("B12"));
    assert_eq!(e.occurred_at, m.date.expect("date"));
    assert!(!e.clamped);

    let cleared = mail(
        "noc@hebergeur.example",
        "[CRITICAL] Alimentation",
        "Salle : S2\nBaie : B12\nPrise : PDU-A3\nEtat : rétabli\n",
    );
    let found = set.first_match(&cleared).expect("match");
    let e2 = event_of(t, found.name, &found.captures, &cleared, now());
    assert_eq!(e2.action, EventAction::Resolve);
    assert_eq!(e2.severity, Severity::Info);
    assert_eq!(
        (e2.source.as_str(), e2.resource.as_str(), e2.check.as_str()),
        (e.source.as_str(), e.resource.as_str(), e.check.as_str()),
        "the same alert, so the resolve clears it"
    );
    assert_eq!(e2.occurred_at, now(), "no date: now");
}

#[test]
fn resource_and_check_groups_win_and_unknown_severities_keep_the_default() {
    let mut captures = BTreeMap::new();
    captures.insert("resource".to_owned(), "srv-01".to_owned());
    captures.insert("equipment".to_owned(), "ignored".to_owned());
    captures.insert("check".to_owned(), "disk".to_owned());
    captures.insert("severity".to_owned(), "bizarre".to_owned());
    let mut m = mail("a@x", "s", "");
    m.date = Some("2030-01-01T00:00:00Z".parse().expect("date"));
    let e = event_of(&alert_template(), "r", &captures, &m, now());
    assert_eq!((e.resource.as_str(), e.check.as_str()), ("srv-01", "disk"));
    assert_eq!(e.severity, Severity::Warning);
    assert!(e.clamped, "a date in the future is clamped");
    assert_eq!(e.occurred_at, now());
    let t = EventTemplate {
        check: "power".into(),
        ..alert_template()
    };
    let e = event_of(&t, "r", &BTreeMap::new(), &mail("a@x", "s", ""), now());
    assert_eq!((e.resource.as_str(), e.check.as_str()), ("a@x", "power"));
}

#[test]
fn placements_fall_back_field_by_field() {
    let rule = Placement {
        category: Some(CategoryId(2)),
        ..Placement::default()
    };
    let defaults = Placement {
        entity: Some(EntityId(9)),
        category: Some(CategoryId(1)),
        ..Placement::default()
    };
    let p = rule.or(defaults);
    assert_eq!(p.entity, Some(EntityId(9)));
    assert_eq!(p.category, Some(CategoryId(2)));
    assert_eq!(p.priority, None);
}

#[test]
fn the_body_is_scanned_up_to_its_bound() {
    let set = RuleSet::compile(vec![rule(
        "tail",
        vec![cond(Field::Body, "FIN$")],
        RuleAction::Ignore,
    )])
    .expect("rules");
    let near = format!("{}FIN", "é".repeat(100));
    assert!(set.first_match(&mail("a@x", "s", &near)).is_some());
    let far = format!("{}FIN", "é".repeat(BODY_SCAN_BYTES));
    assert!(set.first_match(&mail("a@x", "s", &far)).is_none());
}
