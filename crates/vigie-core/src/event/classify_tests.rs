//! Classification: the default rules, each condition, first match wins,
//! validation, and the JSON form the store keeps.

use super::*;
use crate::event::EventAction;

fn event(severity: Severity) -> Event {
    let at = "2024-05-14T08:00:00Z".parse().expect("time");
    Event::new("prometheus", "srv-erp-01", "HostDown", severity, at)
}

#[test]
fn default_rules_behaviour() {
    let rules = RuleSet::new(default_rules()).expect("valid");
    let check = |severity, class, open, priority: Priority, rule| {
        let c = rules.classify(&event(severity));
        assert_eq!(c.rule, Some(rule), "{severity}");
        assert_eq!(c.outcome.class, class, "{severity}");
        assert_eq!(c.outcome.open_incident, open, "{severity}");
        assert_eq!(
            c.outcome.priority.for_severity(severity),
            priority,
            "{severity}"
        );
    };
    check(
        Severity::Critical,
        EventClass::Exception,
        true,
        Priority::Critique,
        0,
    );
    check(
        Severity::Error,
        EventClass::Exception,
        true,
        Priority::Haut,
        0,
    );
    check(
        Severity::Warning,
        EventClass::Warning,
        false,
        Priority::Moyen,
        1,
    );
    check(
        Severity::Info,
        EventClass::Informational,
        false,
        Priority::Bas,
        2,
    );
    assert!(
        rules
            .classify(&event(Severity::Critical))
            .outcome
            .auto_resolve
    );
    assert_eq!(RuleSet::default().rules(), rules.rules());
}

fn rule(conditions: Vec<Condition>, class: EventClass) -> ClassRule {
    ClassRule {
        name: String::new(),
        conditions,
        outcome: Outcome {
            class,
            open_incident: class == EventClass::Exception,
            priority: PriorityMap::default(),
            auto_resolve: false,
        },
    }
}

#[test]
fn conditions() {
    let labelled = |name: &str, value: &str| Event {
        labels: [(name.to_owned(), value.to_owned())].into(),
        summary: "Disk /var is 97% full".into(),
        ..event(Severity::Warning)
    };
    let holds = |c: Condition, e: &Event| {
        let set = RuleSet::new(vec![rule(vec![c], EventClass::Warning)]).expect("valid");
        set.classify(e).rule == Some(0)
    };
    let e = labelled("env", "production");
    assert!(holds(
        Condition::SourceIs {
            source: "prometheus".into()
        },
        &e
    ));
    assert!(!holds(
        Condition::SourceIs {
            source: "Prometheus".into()
        },
        &e
    ));
    assert!(holds(
        Condition::SeverityAtLeast {
            severity: Severity::Warning
        },
        &e
    ));
    assert!(holds(
        Condition::SeverityAtLeast {
            severity: Severity::Info
        },
        &e
    ));
    assert!(!holds(
        Condition::SeverityAtLeast {
            severity: Severity::Error
        },
        &e
    ));
    assert!(holds(
        Condition::SeverityIs {
            severity: Severity::Warning
        },
        &e
    ));
    assert!(!holds(
        Condition::SeverityIs {
            severity: Severity::Critical
        },
        &e
    ));
    assert!(holds(
        Condition::LabelIs {
            name: "env".into(),
            value: "production".into()
        },
        &e
    ));
    assert!(!holds(
        Condition::LabelIs {
            name: "env".into(),
            value: "prod".into()
        },
        &e
    ));
    assert!(!holds(
        Condition::LabelIs {
            name: "zone".into(),
            value: "production".into()
        },
        &e
    ));
    assert!(holds(
        Condition::LabelMatches {
            name: "env".into(),
            pattern: "^prod".into()
        },
        &e
    ));
    assert!(!holds(
        Condition::LabelMatches {
            name: "env".into(),
            pattern: "^test".into()
        },
        &e
    ));
    assert!(!holds(
        Condition::LabelMatches {
            name: "zone".into(),
            pattern: ".*".into()
        },
        &e
    ));
    assert!(holds(
        Condition::SummaryMatches {
            pattern: r"9\d% full".into()
        },
        &e
    ));
    assert!(!holds(
        Condition::SummaryMatches {
            pattern: "(?i)memory".into()
        },
        &e
    ));
}

#[test]
fn first_matching_rule_wins_and_none_means_record_only() {
    let set = RuleSet::new(vec![
        rule(
            vec![Condition::LabelIs {
                name: "env".into(),
                value: "test".into(),
            }],
            EventClass::Informational,
        ),
        rule(
            vec![Condition::SeverityAtLeast {
                severity: Severity::Error,
            }],
            EventClass::Exception,
        ),
    ])
    .expect("valid");
    let test_env = Event {
        labels: [("env".to_owned(), "test".to_owned())].into(),
        ..event(Severity::Critical)
    };
    assert_eq!(set.classify(&test_env).rule, Some(0));
    assert_eq!(set.classify(&event(Severity::Critical)).rule, Some(1));
    let none = set.classify(&event(Severity::Warning));
    assert_eq!(none.rule, None);
    assert_eq!(none.outcome, Outcome::record_only());
}

#[test]
fn validation_names_the_rule_and_field() {
    let bad = vec![
        rule(vec![], EventClass::Warning),
        rule(
            vec![
                Condition::SeverityIs {
                    severity: Severity::Info,
                },
                Condition::LabelMatches {
                    name: "env".into(),
                    pattern: "(unclosed".into(),
                },
            ],
            EventClass::Warning,
        ),
    ];
    let e = RuleSet::new(bad).expect_err("refused");
    assert_eq!((e.rule, e.field.as_str()), (1, "conditions[1].pattern"));
    assert!(e.message.contains("invalid regular expression"), "{e}");

    let e = RuleSet::new(vec![rule(
        vec![Condition::SummaryMatches {
            pattern: "a".repeat(513),
        }],
        EventClass::Warning,
    )])
    .expect_err("refused");
    assert_eq!((e.rule, e.field.as_str()), (0, "conditions[0].pattern"));

    let e = RuleSet::new(vec![rule(
        vec![Condition::LabelIs {
            name: " ".into(),
            value: "x".into(),
        }],
        EventClass::Warning,
    )])
    .expect_err("refused");
    assert_eq!(e.field, "conditions[0].name");

    let mut opens = rule(vec![], EventClass::Warning);
    opens.outcome.open_incident = true;
    let e = RuleSet::new(vec![opens]).expect_err("refused");
    assert_eq!(e.field, "outcome.open_incident");
}

#[test]
fn rules_round_trip_through_json() {
    let rules = default_rules();
    let text = serde_json::to_string(&rules).expect("json");
    assert!(
        text.contains(r#"{"kind":"severity_at_least","severity":"error"}"#),
        "{text}"
    );
    assert!(text.contains(r#""critical":"critique""#), "{text}");
    let back: Vec<ClassRule> = serde_json::from_str(&text).expect("parsed");
    assert_eq!(back, rules);

    let stored = r#"[{"conditions":[{"kind":"label_matches","name":"env","pattern":"^prod"}],
        "outcome":{"class":"exception","open_incident":true,"auto_resolve":false}}]"#;
    let parsed: Vec<ClassRule> = serde_json::from_str(stored).expect("parsed");
    assert_eq!(
        parsed[0].outcome.priority,
        PriorityMap::default(),
        "priority defaults"
    );
    let unknown = r#"[{"conditions":[{"kind":"phase_of_moon"}],"outcome":{"class":"warning","open_incident":false,"auto_resolve":false}}]"#;
    assert!(serde_json::from_str::<Vec<ClassRule>>(unknown).is_err());
}

#[test]
fn resolutions_match_like_triggers() {
    let rules = RuleSet::default();
    let resolve = Event {
        action: EventAction::Resolve,
        ..event(Severity::Critical)
    };
    assert_eq!(
        rules.classify(&resolve).outcome.class,
        EventClass::Exception
    );
}
