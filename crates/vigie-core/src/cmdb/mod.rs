//! The configuration management database: configuration items (CIs), their
//! identifiers and their typed, directed relations.
//!
//! The vocabulary here is what the store, the API and the import share; the
//! rules live in [`rules`] (which relation may join which types, which
//! relation types must stay acyclic), [`graph`] (cycle detection),
//! [`impact`] (what a failure takes down, redundancy included) and
//! [`reconcile`] (how an import line meets the items already known).

pub mod graph;
pub mod impact;
pub mod reconcile;
pub mod rules;

use crate::ticket::named_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// What a configuration item is.
    CiType, "configuration item type" {
        /// A building or a data centre.
        Site => "site",
        /// A room of a site.
        Room => "room",
        /// A rack of a room.
        Rack => "rack",
        /// A power feed (a circuit, a PDU, a UPS output).
        PowerFeed => "power_feed",
        /// A switch, a router, a firewall.
        NetworkDevice => "network_device",
        /// A physical server.
        Server => "server",
        /// A virtual machine.
        VirtualMachine => "virtual_machine",
        /// A database instance.
        Database => "database",
        /// An application.
        Application => "application",
        /// A service as the business sees it.
        BusinessService => "business_service",
        /// A set of items used for one purpose (production, training…).
        Environment => "environment",
        /// A contract with a supplier.
        SupplierContract => "supplier_contract",
    }
);

named_enum!(
    /// The kind of an environment (attribute `kind` of an environment CI).
    EnvironmentKind, "environment kind" {
        /// Development.
        Development => "development",
        /// Qualification (integration tests).
        Qualification => "qualification",
        /// Acceptance by the users.
        Acceptance => "acceptance",
        /// Pre-production, a copy of production.
        PreProduction => "pre_production",
        /// Training of the users.
        Training => "training",
        /// Production.
        Production => "production",
    }
);

named_enum!(
    /// Where an item stands in its life.
    CiStatus, "status" {
        /// Ordered or being built: not yet serving.
        Planned => "planned",
        /// Serving.
        InService => "in_service",
        /// Temporarily out for maintenance.
        UnderMaintenance => "under_maintenance",
        /// Out of service for good; kept for history.
        Retired => "retired",
    }
);

named_enum!(
    /// How much the business depends on an item.
    Criticality, "criticality" {
        /// Little impact when it fails.
        Low => "low",
        /// Some users are hindered.
        Medium => "medium",
        /// Many users or an important process are hindered.
        High => "high",
        /// The organisation stops.
        Critical => "critical",
    }
);

named_enum!(
    /// The kinds of identifiers that name an item to events, mails and
    /// imports.
    IdentifierKind, "identifier kind" {
        /// A host name (`srv-erp-01.example.org`).
        Hostname => "hostname",
        /// Another name the item is known by.
        Alias => "alias",
        /// An IP address.
        Ip => "ip",
        /// A manufacturer's serial number.
        Serial => "serial",
        /// An id in another tool (monitoring, asset register).
        ExternalId => "external_id",
    }
);

named_enum!(
    /// The typed, directed relations between items: `from` → `to`.
    RelationType, "relation type" {
        /// `from` is physically inside `to` (a rack in a room).
        LocatedIn => "located_in",
        /// `from` takes its power from the feed `to`.
        PoweredBy => "powered_by",
        /// `from` reaches the network through `to`.
        ConnectedTo => "connected_to",
        /// The software `from` runs on the machine `to`.
        RunsOn => "runs_on",
        /// `from` needs `to` to work.
        DependsOn => "depends_on",
        /// The virtual machine `from` is hosted by the hypervisor `to`.
        HostedBy => "hosted_by",
        /// `from` is a part of `to` (an item of an environment).
        PartOf => "part_of",
        /// `from` is provided under the supplier contract `to`.
        ProvidedBy => "provided_by",
    }
);

/// An identifier of an item, normalised so that two sources writing the
/// same name differently still match.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifier {
    /// The kind.
    pub kind: IdentifierKind,
    /// The normalised value.
    pub value: String,
}

/// An identifier value that can never be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} `{value}`: {why}")]
pub struct InvalidIdentifier {
    /// The kind.
    pub kind: IdentifierKind,
    /// The value given (truncated).
    pub value: String,
    /// What is wrong.
    pub why: &'static str,
}

impl Identifier {
    /// Normalises and checks a value: host names and aliases are compared
    /// without case, serials in upper case; spaces around are dropped.
    pub fn new(kind: IdentifierKind, value: &str) -> Result<Identifier, InvalidIdentifier> {
        let trimmed = value.trim();
        let refuse = |why| InvalidIdentifier {
            kind,
            value: trimmed.chars().take(64).collect(),
            why,
        };
        if trimmed.is_empty() {
            return Err(refuse("it is empty"));
        }
        if trimmed.chars().count() > 200 {
            return Err(refuse("it is longer than 200 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(refuse("it holds control characters"));
        }
        let value = match kind {
            IdentifierKind::Hostname | IdentifierKind::Alias => {
                trimmed.trim_end_matches('.').to_lowercase()
            }
            IdentifierKind::Serial => trimmed.to_uppercase(),
            IdentifierKind::Ip => {
                if !trimmed
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/'))
                {
                    return Err(refuse("an address holds only digits, `.`, `:` and `/`"));
                }
                trimmed.to_lowercase()
            }
            IdentifierKind::ExternalId => trimmed.to_owned(),
        };
        Ok(Identifier { kind, value })
    }

    /// Parses `kind:value` (the form of import files).
    pub fn parse(text: &str) -> Result<Identifier, String> {
        let (kind, value) = text
            .split_once(':')
            .ok_or_else(|| format!("identifier `{text}` must read kind:value"))?;
        let kind: IdentifierKind = kind.trim().parse().map_err(|e| format!("{e}"))?;
        Identifier::new(kind, value).map_err(|e| e.to_string())
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

impl FromStr for Identifier {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Identifier::parse(s)
    }
}

impl RelationType {
    /// The relation `from → to` oriented as `(dependent, needed)`: the item
    /// that suffers when the other fails comes first. Every relation says
    /// its source needs its target, except `part_of`, where the whole (the
    /// target) needs its part (the source).
    pub fn dependency(self, from: u32, to: u32) -> (u32, u32) {
        match self {
            RelationType::PartOf => (to, from),
            _ => (from, to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in CiType::ALL {
            assert_eq!(t.as_str().parse::<CiType>(), Ok(*t));
        }
        for r in RelationType::ALL {
            assert_eq!(r.as_str().parse::<RelationType>(), Ok(*r));
        }
        assert!("mainframe".parse::<CiType>().is_err());
        assert_eq!(EnvironmentKind::ALL.len(), 6);
    }

    #[test]
    fn identifiers_are_normalised() {
        let host = Identifier::parse("hostname: SRV-ERP-01.Example.org. ").expect("host");
        assert_eq!(host.value, "srv-erp-01.example.org");
        let serial = Identifier::parse("serial:cz123ab").expect("serial");
        assert_eq!(serial.to_string(), "serial:CZ123AB");
        assert!(Identifier::parse("ip:10.0.0.x").is_err());
        assert!(Identifier::parse("mac:00:11").is_err());
        assert!(Identifier::parse("hostname").is_err());
        assert!(Identifier::new(IdentifierKind::Alias, "  ").is_err());
    }
}
