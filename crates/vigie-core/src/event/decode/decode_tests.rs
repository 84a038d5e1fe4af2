//! The decoders on sample payloads written from each format's documentation
//! (`tests/fixtures/events/`), on malformed input (each refusal names its
//! field), and on random bytes and random JSON (never a panic).

use super::*;
use crate::event::{Event, EventAction, Severity};
use jiff::Timestamp;
use proptest::prelude::*;

fn now() -> Timestamp {
    "2024-05-14T08:10:00Z".parse().expect("time")
}

fn t(text: &str) -> Timestamp {
    text.parse().expect("time")
}

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/events/", $name))
    };
}

/// Asserts that decoding fails at `path`, with a message holding `words`.
fn refused(result: Result<impl std::fmt::Debug, DecodeError>, path: &str, words: &str) {
    match result {
        Err(e) => {
            assert_eq!(e.path, path, "{e}");
            assert!(e.message.contains(words), "{e}");
        }
        Ok(v) => panic!("expected a refusal at {path}, got {v:?}"),
    }
}

#[test]
fn generic_one_object() {
    let events = generic(fixture!("generic-one.json"), now()).expect("decoded");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.source, "backup-script");
    assert_eq!(e.resource, "srv-erp-01.example.org");
    assert_eq!(e.check, "nightly-backup");
    assert_eq!(e.severity, Severity::Error);
    assert_eq!(e.action, EventAction::Trigger);
    assert_eq!(e.summary, "Nightly backup failed: target volume full");
    assert_eq!(e.details.value()["exit_code"], 2);
    assert_eq!(e.labels.get("team").map(String::as_str), Some("dba"));
    assert_eq!(e.occurred_at, t("2024-05-14T00:10:00Z"));
    assert_eq!(e.dedup_key.as_deref(), Some("erp-db-backup"));
    assert!(!e.clamped);
}

#[test]
fn generic_array() {
    let events = generic(fixture!("generic-array.json"), now()).expect("decoded");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].severity, Severity::Warning);
    assert_eq!(events[0].occurred_at, now(), "no time means now");
    assert!(events[0].details.is_null());
    assert_eq!(events[1].action, EventAction::Resolve);
    assert_eq!(events[1].summary, "");
    assert_eq!(events[1].occurred_at, t("2024-05-14T07:45:00Z"));
}

#[test]
fn generic_refusals() {
    let one = |json: &str| generic(json.as_bytes(), now());
    refused(one("{"), "$", "invalid JSON");
    refused(one("\"event\""), "$", "event object");
    refused(
        one(r#"{"resource":"a","severity":"info"}"#),
        "source",
        "required",
    );
    refused(
        one(
            r#"[{"source":"s","resource":"a","severity":"info"},{"source":"s","severity":"info"}]"#,
        ),
        "[1].resource",
        "required",
    );
    refused(
        one(r#"{"source":"s","resource":"a"}"#),
        "severity",
        "required",
    );
    refused(
        one(r#"{"source":"s","resource":"a","severity":"purple"}"#),
        "severity",
        "critical, error",
    );
    refused(
        one(r#"{"source":"s","resource":"a","severity":"info","action":"explode"}"#),
        "action",
        "trigger",
    );
    refused(
        one(r#"{"source":"s","resource":7,"severity":"info"}"#),
        "resource",
        "string",
    );
    refused(
        one(r#"{"source":"s","resource":"a","severity":"info","labels":{"x":1}}"#),
        "labels.x",
        "string",
    );
    refused(
        one(
            r#"{"source":"s","resource":"a","severity":"info","labels":{"app.kubernetes.io/name":2}}"#,
        ),
        r#"labels["app.kubernetes.io/name"]"#,
        "string",
    );
    refused(
        one(r#"{"source":"s","resource":"a","severity":"info","time":"yesterday"}"#),
        "time",
        "RFC 3339",
    );
    let long = "x".repeat(256);
    refused(
        one(&format!(
            r#"{{"source":"s","resource":"{long}","severity":"info"}}"#
        )),
        "resource",
        "255 characters",
    );
    let labels: Vec<String> = (0..65).map(|i| format!(r#""l{i}":"v""#)).collect();
    refused(
        one(&format!(
            r#"{{"source":"s","resource":"a","severity":"info","labels":{{{}}}}}"#,
            labels.join(",")
        )),
        "labels",
        "64 labels",
    );
    let big = "y".repeat(70_000);
    refused(
        one(&format!(
            r#"{{"source":"s","resource":"a","severity":"info","details":"{big}"}}"#
        )),
        "details",
        "bytes of details",
    );
    let item = r#"{"source":"s","resource":"a","severity":"info"}"#;
    let many = format!("[{}]", vec![item; 10_001].join(","));
    refused(one(&many), "$", "10000 events");
    assert_eq!(
        one(&format!("[{}]", vec![item; 10_000].join(","))).map(|v| v.len()),
        Ok(10_000)
    );
}

#[test]
fn summaries_are_truncated_and_future_times_clamped() {
    let long = "é".repeat(1500);
    let json = format!(
        r#"{{"source":"s","resource":"a","severity":"info","summary":"{long}","time":"2024-05-14T08:16:00Z"}}"#
    );
    let events = generic(json.as_bytes(), now()).expect("decoded");
    assert_eq!(events[0].summary.chars().count(), 1024);
    assert_eq!(events[0].occurred_at, now());
    assert!(events[0].clamped);
    let soon = r#"{"source":"s","resource":"a","severity":"info","time":"2024-05-14T08:14:59Z"}"#;
    let events = generic(soon.as_bytes(), now()).expect("decoded");
    assert_eq!(events[0].occurred_at, t("2024-05-14T08:14:59Z"));
    assert!(!events[0].clamped, "less than five minutes ahead is kept");
}

#[test]
fn alertmanager_v4() {
    let events =
        alertmanager(fixture!("alertmanager-v4.json"), "prometheus-prod", now()).expect("decoded");
    assert_eq!(events.len(), 3);
    let firing = &events[0];
    assert_eq!(firing.source, "prometheus-prod");
    assert_eq!(firing.resource, "10.0.1.21:9100");
    assert_eq!(firing.check, "NodeDown");
    assert_eq!(firing.severity, Severity::Critical);
    assert_eq!(firing.action, EventAction::Trigger);
    assert_eq!(
        firing.summary,
        "Node 10.0.1.21 has been unreachable for 2 minutes"
    );
    assert_eq!(firing.occurred_at, t("2024-05-14T08:02:11.284Z"));
    assert_eq!(firing.dedup_key.as_deref(), Some("5f2a7c1e9b3d4a60"));
    assert_eq!(firing.labels.get("rack").map(String::as_str), Some("A-03"));
    assert_eq!(firing.details.value()["receiver"], "vigie");
    assert_eq!(
        firing.details.value()["annotations"]["description"],
        "The node exporter on 10.0.1.21:9100 stopped answering scrapes."
    );
    let resolved = &events[1];
    assert_eq!(resolved.action, EventAction::Resolve);
    assert_eq!(
        resolved.occurred_at,
        t("2024-05-14T08:01:30Z"),
        "resolved at endsAt"
    );
    assert_eq!(
        resolved.summary,
        "The node exporter on 10.0.1.22:9100 stopped answering scrapes."
    );
    let odd = &events[2];
    assert_eq!(odd.resource, "srv-files-02");
    assert_eq!(
        odd.severity,
        Severity::Warning,
        "unknown severity names are warnings"
    );
    assert_eq!(odd.summary, "DiskWillFillIn4Hours");
    assert_eq!(odd.dedup_key, None);
}

#[test]
fn alertmanager_refusals() {
    let am = |json: &str| alertmanager(json.as_bytes(), "am", now());
    refused(
        am(r#"{"version":"3","alerts":[]}"#),
        "version",
        "not supported",
    );
    refused(am(r#"{"alerts":[]}"#), "version", "required");
    refused(am(r#"{"version":4,"alerts":[]}"#), "version", "string");
    refused(am(r#"{"version":"4"}"#), "alerts", "required");
    refused(am(r#"{"version":"4","alerts":{}}"#), "alerts", "array");
    let alert = r#"{"status":"firing","labels":{"alertname":"A"}}"#;
    let bad = r#"{"status":"firing","labels":["alertname"]}"#;
    refused(
        am(&format!(
            r#"{{"version":"4","alerts":[{alert},{alert},{alert},{bad}]}}"#
        )),
        "alerts[3].labels",
        "object",
    );
    refused(
        am(r#"{"version":"4","alerts":[{"status":"pending"}]}"#),
        "alerts[0].status",
        "firing or resolved",
    );
    refused(
        am(r#"{"version":"4","alerts":[{"status":"firing","startsAt":"soon"}]}"#),
        "alerts[0].startsAt",
        "RFC 3339",
    );
    refused(
        am(r#"{"version":"4","commonLabels":{"a":true},"alerts":[]}"#),
        "commonLabels.a",
        "string",
    );
    assert_eq!(am(r#"{"version":"4","alerts":[]}"#), Ok(vec![]));
}

#[test]
fn pagerduty_trigger() {
    let got = pagerduty(fixture!("pagerduty-trigger.json"), now()).expect("decoded");
    assert_eq!(got.routing_key, "R0UT1NGKEY0000000000000000000001");
    assert_eq!(got.dedup_key, "erp-api-latency");
    let e = &got.event;
    assert_eq!(e.source, "pagerduty");
    assert_eq!(e.resource, "srv-erp-01.example.org");
    assert_eq!(e.check, "latency");
    assert_eq!(e.severity, Severity::Error);
    assert_eq!(e.occurred_at, t("2024-05-14T06:05:00Z"));
    assert_eq!(
        e.labels.get("component").map(String::as_str),
        Some("erp-api")
    );
    assert_eq!(e.details.value()["custom_details"]["p95_ms"], 2380);
    assert_eq!(e.details.value()["links"][0]["text"], "ERP dashboard");
    assert_eq!(e.details.value()["client"], "Grafana");
    assert_eq!(e.dedup_key.as_deref(), Some("erp-api-latency"));
}

#[test]
fn pagerduty_derives_a_stable_dedup_key() {
    let a = pagerduty(fixture!("pagerduty-trigger-no-key.json"), now()).expect("decoded");
    let b = pagerduty(fixture!("pagerduty-trigger-no-key.json"), now()).expect("decoded");
    assert_eq!(a.dedup_key.len(), 64);
    assert_eq!(a.dedup_key, b.dedup_key, "a retry lands on the same alert");
    assert_eq!(a.event.dedup_key.as_deref(), Some(a.dedup_key.as_str()));
    assert_eq!(a.event.check, "");
    assert_eq!(a.event.severity, Severity::Warning);
}

#[test]
fn pagerduty_resolve() {
    let got = pagerduty(fixture!("pagerduty-resolve.json"), now()).expect("decoded");
    assert_eq!(got.event.action, EventAction::Resolve);
    assert_eq!(got.dedup_key, "erp-api-latency");
    assert_eq!(got.event.occurred_at, now());
}

#[test]
fn pagerduty_refusals() {
    let pd = |json: &str| pagerduty(json.as_bytes(), now());
    let payload = r#""payload":{"summary":"s","source":"h","severity":"info"}"#;
    refused(
        pd(&format!(r#"{{"event_action":"trigger",{payload}}}"#)),
        "routing_key",
        "required",
    );
    refused(pd(r#"{"routing_key":"k"}"#), "event_action", "required");
    refused(
        pd(r#"{"routing_key":"k","event_action":"snooze"}"#),
        "event_action",
        "trigger",
    );
    refused(
        pd(r#"{"routing_key":"k","event_action":"resolve"}"#),
        "dedup_key",
        "required",
    );
    refused(
        pd(r#"{"routing_key":"k","event_action":"trigger"}"#),
        "payload",
        "required",
    );
    refused(
        pd(
            r#"{"routing_key":"k","event_action":"trigger","payload":{"source":"h","severity":"info"}}"#,
        ),
        "payload.summary",
        "required",
    );
    refused(
        pd(
            r#"{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","severity":"info"}}"#,
        ),
        "payload.source",
        "required",
    );
    refused(
        pd(
            r#"{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"fatal"}}"#,
        ),
        "payload.severity",
        "critical, error",
    );
    refused(
        pd(
            r#"{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h"}}"#,
        ),
        "payload.severity",
        "required",
    );
    refused(
        pd(&format!(
            r#"{{"routing_key":"k","event_action":"trigger",{payload},"links":[1]}}"#
        )),
        "links[0]",
        "object",
    );
    let long = "z".repeat(2000);
    let ok = pd(&format!(
        r#"{{"routing_key":"k","event_action":"trigger","payload":{{"summary":"{long}","source":"h","severity":"info"}}}}"#
    ))
    .expect("decoded");
    assert_eq!(ok.event.summary.len(), 1024, "truncated like PagerDuty");
}

#[test]
fn zabbix_problem_and_recovery() {
    let problem = zabbix(fixture!("zabbix-problem.json"), "zabbix", now()).expect("decoded");
    let e = &problem[0];
    assert_eq!(e.source, "zabbix");
    assert_eq!(e.resource, "srv-erp-01");
    assert_eq!(e.check, "Zabbix agent is not available (for 3m)");
    assert_eq!(e.severity, Severity::Error);
    assert_eq!(e.action, EventAction::Trigger);
    assert_eq!(e.occurred_at, t("2024-05-14T06:02:11Z"));
    assert_eq!(e.dedup_key.as_deref(), Some("23761"));
    assert_eq!(
        e.labels.get("scope").map(String::as_str),
        Some("availability,agent")
    );
    assert_eq!(e.labels.get("ip").map(String::as_str), Some("10.0.1.21"));
    assert_eq!(e.details.value()["event_id"], "48213");
    let recovery = zabbix(fixture!("zabbix-recovery.json"), "zabbix", now()).expect("decoded");
    let r = &recovery[0];
    assert_eq!(r.action, EventAction::Resolve);
    assert_eq!(
        r.occurred_at,
        now(),
        "an unexpanded macro counts as missing"
    );
    assert_eq!(
        r.dedup_key, e.dedup_key,
        "the recovery clears the problem's alert"
    );
    assert_eq!(r.check, e.check, "event_name stands in for trigger_name");
}

#[test]
fn zabbix_severities_and_acknowledgement() {
    let body = |severity: &str, extra: &str| {
        format!(
            r#"{{"version":"1","event_value":"1","event_severity":"{severity}","event_name":"n","host":"h"{extra}}}"#
        )
    };
    let severity =
        |name: &str| zabbix(body(name, "").as_bytes(), "z", now()).map(|e| e[0].severity);
    assert_eq!(severity("Not classified"), Ok(Severity::Info));
    assert_eq!(severity("Information"), Ok(Severity::Info));
    assert_eq!(severity("Warning"), Ok(Severity::Warning));
    assert_eq!(severity("Average"), Ok(Severity::Error));
    assert_eq!(severity("High"), Ok(Severity::Error));
    assert_eq!(severity("Disaster"), Ok(Severity::Critical));
    assert_eq!(severity("5"), Ok(Severity::Critical));
    refused(severity("Severe"), "event_severity", "Disaster");
    let ack = zabbix(
        body("High", r#","update":"1","acknowledged":"Yes""#).as_bytes(),
        "z",
        now(),
    )
    .expect("decoded");
    assert_eq!(ack[0].action, EventAction::Acknowledge);
}

#[test]
fn zabbix_ip_label_counts_against_the_label_limit() {
    let body = |tags: usize| {
        let tags: Vec<String> = (0..tags)
            .map(|i| format!(r#"{{"tag":"t{i}","value":"v"}}"#))
            .collect();
        format!(
            r#"{{"version":"1","event_value":"1","host":"h","host_ip":"10.0.1.21","event_name":"n","tags":[{}]}}"#,
            tags.join(",")
        )
    };
    let max = crate::event::limits::MAX_LABELS;
    let events = zabbix(body(max - 1).as_bytes(), "z", now()).expect("decoded");
    assert_eq!(events[0].labels.len(), max, "63 tags and `ip`");
    refused(
        zabbix(body(max).as_bytes(), "z", now()),
        "tags",
        "at most 64 labels",
    );
}

#[test]
fn zabbix_refusals() {
    let zb = |json: &str| zabbix(json.as_bytes(), "z", now());
    refused(zb(r#"{"event_value":"1"}"#), "version", "required");
    refused(zb(r#"{"version":"2"}"#), "version", "\"1\"");
    refused(
        zb(r#"{"version":"1","event_name":"n","host":"h"}"#),
        "event_value",
        "required",
    );
    refused(
        zb(r#"{"version":"1","event_value":"7","event_name":"n","host":"h"}"#),
        "event_value",
        "problem",
    );
    refused(
        zb(r#"{"version":"1","event_value":"1","event_name":"n"}"#),
        "host",
        "required",
    );
    refused(
        zb(r#"{"version":"1","event_value":"1","host":"h","event_name":["n"]}"#),
        "event_name",
        "string or a number",
    );
    refused(
        zb(
            r#"{"version":"1","event_value":"1","host":"h","event_name":"n","tags":[{"value":"x"}]}"#,
        ),
        "tags[0].tag",
        "required",
    );
    refused(
        zb(r#"{"version":"1","event_value":"1","host":"h","event_name":"n","tags":"service:erp"}"#),
        "tags",
        "array",
    );
}

fn every_decoder(body: &[u8]) {
    let _ = generic(body, now());
    let _ = alertmanager(body, "am", now());
    let _ = pagerduty(body, now());
    let _ = zabbix(body, "zabbix", now());
}

/// JSON values whose keys are often the ones decoders look for, so that
/// random documents get deep into them.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let key = prop_oneof![
        Just("version".to_owned()),
        Just("alerts".to_owned()),
        Just("labels".to_owned()),
        Just("status".to_owned()),
        Just("payload".to_owned()),
        Just("severity".to_owned()),
        Just("source".to_owned()),
        Just("resource".to_owned()),
        Just("event_action".to_owned()),
        Just("routing_key".to_owned()),
        Just("event_value".to_owned()),
        Just("host".to_owned()),
        Just("tags".to_owned()),
        Just("time".to_owned()),
        "[a-z.]{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("4".to_owned()),
            Just("1".to_owned()),
            Just("firing".to_owned()),
            Just("resolved".to_owned()),
            Just("trigger".to_owned()),
            Just("critical".to_owned()),
            Just("2024-05-14T08:00:00Z".to_owned()),
            Just("+99999-01-01T00:00:00Z".to_owned()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn random_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        every_decoder(&body);
    }

    #[test]
    fn random_json_never_panics(value in json_value()) {
        let body = serde_json::to_vec(&value).unwrap_or_default();
        every_decoder(&body);
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    every_decoder(deep.as_bytes());
    refused(generic(deep.as_bytes(), now()), "$", "invalid JSON");
}

#[test]
fn an_event_can_be_built_by_hand() {
    let e = Event::new("s", "r", "c", Severity::Info, now());
    assert_eq!(e.action, EventAction::Trigger);
}

/// The quick way never answers other than the walk: when it vouches for a
/// body, the walk gives the same events.
fn both_ways_agree(body: &[u8]) {
    if let Some(events) = super::alertmanager::quick(body, "am", now()) {
        assert_eq!(super::alertmanager::walk(body, "am", now()), Ok(events));
    }
    if let Some(events) = super::generic::quick(body, now()) {
        assert_eq!(super::generic::walk(body, now()), Ok(events));
    }
}

#[test]
fn the_quick_way_reads_the_usual_bodies_as_the_walk_does() {
    let am = fixture!("alertmanager-v4.json");
    let quick = super::alertmanager::quick(am, "prometheus-prod", now()).expect("quick");
    assert_eq!(
        super::alertmanager::walk(am, "prometheus-prod", now()),
        Ok(quick)
    );
    for body in [
        r#"{"source":"s","resource":"r","severity":"info"}"#,
        r#"[{"source":"s","resource":"r","severity":"crit","check":"c","summary":" x ",
            "details":{"b":[1,2.5,null],"a":"\u00e9"},"labels":{" z ":"1","a":"\n"},
            "time":"2024-05-14T08:00:00+02:00","dedup_key":"k","action":"trigger","other":[{}]},
           {"source":"s\"q","resource":"r","action":"resolve","time":""}]"#,
    ] {
        let quick = super::generic::quick(body.as_bytes(), now()).expect("quick");
        assert_eq!(super::generic::walk(body.as_bytes(), now()), Ok(quick));
    }
    // What the quick way leaves to the walk: a repeated member whose first
    // value has another type, a number out of range where nothing is read.
    let repeated = br#"{"source":1,"source":"s","resource":"r","severity":"info"}"#;
    assert_eq!(super::generic::quick(repeated, now()), None);
    assert!(generic(repeated, now()).is_ok());
    let huge = br#"{"source":"s","resource":"r","severity":"info","x":1e999}"#;
    assert_eq!(super::generic::quick(huge, now()), None);
    refused(generic(huge, now()), "$", "invalid JSON");
    let positional = br#"[["s","r","c","info"]]"#;
    assert_eq!(super::generic::quick(positional, now()), None);
    refused(generic(positional, now()), "[0]", "object");
}

/// Alertmanager notifications and generic events put together from
/// members that are often right and sometimes wrong, so that random bodies
/// reach both the events and the refusals.
fn shaped_body() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        Just("\"firing\"".to_owned()),
        Just("\"resolved\"".to_owned()),
        Just("\"critical\"".to_owned()),
        Just("\"trigger\"".to_owned()),
        Just("\"resolve\"".to_owned()),
        Just("\"2024-05-14T08:00:00Z\"".to_owned()),
        Just("\"2024-05-14T09:00:00Z\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("\"  \"".to_owned()),
        Just("null".to_owned()),
        Just("3".to_owned()),
        Just("{}".to_owned()),
        Just(format!("\"{}\"", "x".repeat(300))),
        Just("\"a\\tb\"".to_owned()),
        "[a-zA-Z ]{0,6}".prop_map(|s| format!("\"{s}\"")),
    ];
    let labels = prop_oneof![
        Just(r#"{"alertname":"A","instance":"h1","severity":"crit"}"#.to_owned()),
        Just(r#"{"summary":"s","description":"d"}"#.to_owned()),
        Just("null".to_owned()),
        Just("[]".to_owned()),
        Just(r#"{"alertname":"A","instance":"h1","severity":"crit"}"#.to_owned()),
        Just(r#"{"alertname":"A","alertname":"B","host":" h2 "}"#.to_owned()),
        Just(r#"{" ":"x"}"#.to_owned()),
        Just(r#"{"a":1}"#.to_owned()),
        Just(r#"{"summary":"s","description":"d"}"#.to_owned()),
        Just(r#"{"description":"  ","job":"j\u00e9"}"#.to_owned()),
        Just(format!(r#"{{"summary":"{}"}}"#, "é".repeat(1100))),
    ];
    let member = |name: &'static str, value: BoxedStrategy<String>| {
        prop::option::weighted(0.9, value)
            .prop_map(move |v| v.map(|v| format!("\"{name}\":{v}")).unwrap_or_default())
    };
    // Mostly one of the right values, now and then anything.
    let likely = |right: &[&'static str]| {
        let right: Vec<String> = right.iter().map(|v| (*v).to_owned()).collect();
        prop_oneof![6 => prop::sample::select(right), 1 => text.clone()].boxed()
    };
    let time = || {
        likely(&[
            "\"2024-05-14T08:00:00Z\"",
            "\"2024-05-14T09:00:00Z\"",
            "\"\"",
        ])
    };
    let name = || likely(&["\"a\"", "\" b \"", "\"c\\\"d\""]);
    let alert = (
        member("status", likely(&["\"firing\"", "\"resolved\""])),
        member("labels", labels.clone().boxed()),
        member("annotations", labels.clone().boxed()),
        member("startsAt", time()),
        member("endsAt", time()),
        member("generatorURL", name()),
        member("fingerprint", name()),
        member("other", text.clone().boxed()),
    )
        .prop_map(|(a, b, c, d, e, f, g, h)| object(&[a, b, c, d, e, f, g, h]));
    let event = (
        member("source", name()),
        member("resource", name()),
        member("check", name()),
        member("severity", likely(&["\"critical\"", "\"warn\""])),
        member("action", likely(&["\"trigger\"", "\"resolve\""])),
        member("time", time()),
        member("dedup_key", name()),
        member("labels", labels.clone().boxed()),
        member("details", prop_oneof![labels.clone(), text.clone()].boxed()),
        member("summary", name()),
    )
        .prop_map(|(a, b, c, d, e, f, g, h, i, j)| object(&[a, b, c, d, e, f, g, h, i, j]));
    let version = prop_oneof![
        6 => Just("\"version\":\"4\"".to_owned()),
        1 => Just("\"version\":4".to_owned()),
        1 => Just(String::new()),
    ];
    let notification = (
        version,
        member("groupKey", name()),
        member("receiver", name()),
        member("groupLabels", labels.clone().boxed()),
        member("commonLabels", labels.boxed()),
        prop::collection::vec(alert, 0..4),
    )
        .prop_map(|(v, k, r, g, c, alerts)| {
            let alerts = format!("\"alerts\":[{}]", alerts.join(","));
            object(&[v, k, r, g, c, alerts])
        });
    prop_oneof![
        notification,
        event.clone(),
        prop::collection::vec(event, 0..4).prop_map(|e| format!("[{}]", e.join(","))),
    ]
}

fn object(members: &[String]) -> String {
    let members: Vec<&str> = members
        .iter()
        .map(String::as_str)
        .filter(|m| !m.is_empty())
        .collect();
    format!("{{{}}}", members.join(","))
}

proptest! {
    // Many cases: a few in a hundred of these bodies hold no fault at all.
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn the_quick_way_agrees_with_the_walk(body in shaped_body()) {
        both_ways_agree(body.as_bytes());
    }
}

proptest! {

    #[test]
    fn the_quick_way_agrees_on_random_json(value in json_value()) {
        both_ways_agree(&serde_json::to_vec(&value).unwrap_or_default());
    }

    #[test]
    fn the_quick_way_agrees_on_random_bytes(body in prop::collection::vec(any::<u8>(), 0..256)) {
        both_ways_agree(&body);
    }
}
