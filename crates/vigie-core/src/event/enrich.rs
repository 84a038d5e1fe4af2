//! Which configuration item an event is about.
//!
//! The shell loads the tenant's identifiers (`(item, kind, value)`, the
//! CMDB's [`IdentifierKind`]s) into a [`CiIndex`] once, and asks it for each
//! event. The candidates, in order: the label `ci` (an explicit reference),
//! the event's resource, then the labels `host`, `hostname`, `instance` and
//! `ip`. A port is stripped (`10.0.1.21:9100`, `[2001:db8::1]:9100`).
//! Each candidate is tried as a host name, an alias, an IP, an external id
//! and a serial, normalised as the CMDB normalises them (host names without
//! case); then, if nothing matched, by short name: `srv-01.example.org`
//! finds an item known as `srv-01`, and `srv-01` finds one known as
//! `srv-01.example.org` when no other item has that short name.

use super::Event;
use crate::cmdb::{Identifier, IdentifierKind, InvalidIdentifier};
use crate::ids::CiId;
use std::collections::HashMap;

/// The labels consulted after the resource, in order.
pub const HOST_LABELS: &[&str] = &["host", "hostname", "instance", "ip"];

/// The kinds tried for each candidate value, in order.
const KINDS: &[IdentifierKind] = &[
    IdentifierKind::Hostname,
    IdentifierKind::Alias,
    IdentifierKind::Ip,
    IdentifierKind::ExternalId,
    IdentifierKind::Serial,
];

/// The identifiers of a tenant's items, ready for matching events.
#[derive(Clone, Debug, Default)]
pub struct CiIndex {
    exact: HashMap<(IdentifierKind, String), CiId>,
    /// Short names (first DNS label) of host names and aliases; `None` when
    /// two items share one, so that an ambiguous short name matches nothing.
    short: HashMap<String, Option<CiId>>,
}

/// Where a match came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// The event's resource.
    Resource,
    /// The label of that name.
    Label(String),
}

/// An event's item, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiMatch {
    /// The item.
    pub ci: CiId,
    /// The kind of identifier that matched.
    pub kind: IdentifierKind,
    /// The value that matched, normalised.
    pub value: String,
    /// Which part of the event held it.
    pub by: MatchedBy,
    /// Whether only the short host name matched.
    pub short_name: bool,
}

impl CiIndex {
    /// An empty index.
    pub fn new() -> CiIndex {
        CiIndex::default()
    }

    /// Adds an identifier of an item. A value the CMDB would refuse is
    /// refused here too; a value already known keeps its first item (the
    /// store keeps identifiers unique per kind, so this does not happen with
    /// its data).
    pub fn insert(
        &mut self,
        ci: CiId,
        kind: IdentifierKind,
        value: &str,
    ) -> Result<(), InvalidIdentifier> {
        let id = Identifier::new(kind, value)?;
        if matches!(kind, IdentifierKind::Hostname | IdentifierKind::Alias) {
            let short = short_name(&id.value).to_owned();
            self.short
                .entry(short)
                .and_modify(|known| {
                    if *known != Some(ci) {
                        *known = None;
                    }
                })
                .or_insert(Some(ci));
        }
        self.exact.entry((kind, id.value)).or_insert(ci);
        Ok(())
    }

    /// Builds an index from identifiers, skipping (and returning) those the
    /// CMDB would refuse.
    pub fn build<'a>(
        identifiers: impl IntoIterator<Item = (CiId, IdentifierKind, &'a str)>,
    ) -> (CiIndex, Vec<InvalidIdentifier>) {
        let mut index = CiIndex::new();
        let mut refused = Vec::new();
        for (ci, kind, value) in identifiers {
            if let Err(e) = index.insert(ci, kind, value) {
                refused.push(e);
            }
        }
        (index, refused)
    }

    /// The item an event is about, if any.
    pub fn lookup(&self, event: &Event) -> Option<CiMatch> {
        let mut candidates: Vec<(&str, MatchedBy)> = Vec::new();
        if let Some(ci) = event.labels.get("ci") {
            candidates.push((ci, MatchedBy::Label("ci".into())));
        }
        candidates.push((&event.resource, MatchedBy::Resource));
        for name in HOST_LABELS {
            if let Some(v) = event.labels.get(*name) {
                candidates.push((v, MatchedBy::Label((*name).into())));
            }
        }
        let exact = candidates
            .iter()
            .find_map(|(value, by)| self.exact_match(value, by));
        exact.or_else(|| {
            candidates
                .iter()
                .find_map(|(value, by)| self.short_match(value, by))
        })
    }

    fn exact_match(&self, value: &str, by: &MatchedBy) -> Option<CiMatch> {
        let value = strip_port(value);
        KINDS.iter().find_map(|kind| {
            let id = Identifier::new(*kind, value).ok()?;
            let ci = *self.exact.get(&(*kind, id.value.clone()))?;
            Some(CiMatch {
                ci,
                kind: *kind,
                value: id.value,
                by: by.clone(),
                short_name: false,
            })
        })
    }

    fn short_match(&self, value: &str, by: &MatchedBy) -> Option<CiMatch> {
        let id = Identifier::new(IdentifierKind::Hostname, strip_port(value)).ok()?;
        if looks_like_ip(&id.value) {
            return None;
        }
        let short = short_name(&id.value);
        let exact = [IdentifierKind::Hostname, IdentifierKind::Alias]
            .iter()
            .find_map(|kind| Some((*kind, *self.exact.get(&(*kind, short.to_owned()))?)));
        let (kind, ci) = match exact {
            Some(found) => found,
            None => (IdentifierKind::Hostname, (*self.short.get(short)?)?),
        };
        Some(CiMatch {
            ci,
            kind,
            value: short.to_owned(),
            by: by.clone(),
            short_name: true,
        })
    }
}

/// The first DNS label of a host name.
fn short_name(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

fn looks_like_ip(value: &str) -> bool {
    value.contains(':') || value.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// `host:port` → `host`, `[v6]:port` → `v6`, `[v6]` → `v6`; a bare IPv6
/// address (several colons) is left alone.
pub fn strip_port(value: &str) -> &str {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match value.rsplit_once(':') {
        Some((host, port))
            if !host.contains(':')
                && !port.is_empty()
                && port.chars().all(|c| c.is_ascii_digit()) =>
        {
            host
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Severity;
    use IdentifierKind::*;

    fn index() -> CiIndex {
        let (index, refused) = CiIndex::build([
            (CiId(1), Hostname, "srv-erp-01.example.org"),
            (CiId(1), Ip, "10.0.1.21"),
            (CiId(2), Hostname, "SRV-DB-01"),
            (CiId(2), Alias, "erp-database"),
            (CiId(3), Ip, "2001:db8::5"),
            (CiId(4), ExternalId, "zbx-10084"),
            (CiId(5), Serial, "cz123ab"),
            (CiId(6), Hostname, "web-01.paris.example.org"),
            (CiId(7), Hostname, "web-01.lyon.example.org"),
            (CiId(8), Ip, "10.0.x.1"),
        ]);
        assert_eq!(refused.len(), 1, "the bad address is refused");
        index
    }

    fn event(resource: &str, labels: &[(&str, &str)]) -> Event {
        let at = "2024-05-14T08:00:00Z".parse().expect("time");
        Event {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            ..Event::new("test", resource, "check", Severity::Error, at)
        }
    }

    fn check(
        resource: &str,
        labels: &[(&str, &str)],
        expected: Option<(i64, IdentifierKind, bool)>,
    ) {
        let got = index()
            .lookup(&event(resource, labels))
            .map(|m| (m.ci.0, m.kind, m.short_name));
        assert_eq!(got, expected, "{resource} {labels:?}");
    }

    #[test]
    fn exact_matches() {
        check("SRV-ERP-01.example.org.", &[], Some((1, Hostname, false)));
        check("srv-db-01", &[], Some((2, Hostname, false)));
        check("ERP-Database", &[], Some((2, Alias, false)));
        check("10.0.1.21", &[], Some((1, Ip, false)));
        check("10.0.1.21:9100", &[], Some((1, Ip, false)));
        check("[2001:DB8::5]:9100", &[], Some((3, Ip, false)));
        check("2001:db8::5", &[], Some((3, Ip, false)));
        check("zbx-10084", &[], Some((4, ExternalId, false)));
        check("CZ123AB", &[], Some((5, Serial, false)));
        check("unknown", &[], None);
    }

    #[test]
    fn short_names() {
        check("srv-erp-01", &[], Some((1, Hostname, true)));
        check("srv-db-01.example.org", &[], Some((2, Hostname, true)));
        check("erp-database.example.org", &[], Some((2, Alias, true)));
        // Two items are called web-01: the short name says nothing.
        check("web-01", &[], None);
        check("web-01.lyon.example.org", &[], Some((7, Hostname, false)));
        check("10.0.1", &[], None);
    }

    #[test]
    fn labels() {
        check(
            "checkout",
            &[("instance", "10.0.1.21:9100")],
            Some((1, Ip, false)),
        );
        check("", &[("hostname", "srv-db-01")], Some((2, Hostname, false)));
        // An explicit `ci` label wins over the resource.
        check(
            "srv-db-01",
            &[("ci", "zbx-10084")],
            Some((4, ExternalId, false)),
        );
        // An exact match on a label beats a short-name match on the resource.
        check(
            "srv-erp-01",
            &[("host", "erp-database")],
            Some((2, Alias, false)),
        );
        let m = index()
            .lookup(&event("x", &[("host", "srv-db-01")]))
            .expect("match");
        assert_eq!(m.by, MatchedBy::Label("host".into()));
        assert_eq!(m.value, "srv-db-01");
    }

    #[test]
    fn ports() {
        assert_eq!(strip_port("host:9100"), "host");
        assert_eq!(strip_port("[::1]:80"), "::1");
        assert_eq!(strip_port("::1"), "::1");
        assert_eq!(strip_port("host:"), "host:");
        assert_eq!(strip_port("host"), "host");
    }
}
