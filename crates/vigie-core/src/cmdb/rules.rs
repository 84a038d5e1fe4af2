//! Which relation may join which types of items, and which relation types
//! must stay acyclic.

use super::{CiType, RelationType};
use std::collections::BTreeMap;

/// Why a relation or an item is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The relation type does not join these types.
    #[error("a {from} cannot be {relation} a {to}")]
    TypesNotAllowed {
        /// The relation type.
        relation: RelationType,
        /// The type of the source.
        from: CiType,
        /// The type of the target.
        to: CiType,
    },
    /// An item related to itself by a relation that must stay acyclic.
    #[error("an item cannot be {0} itself")]
    SelfLoop(RelationType),
    /// The relation would close a cycle.
    #[error("this {0} relation would close a cycle")]
    Cycle(RelationType),
    /// An attribute the type requires is missing or wrong.
    #[error("{0}")]
    Attribute(String),
}

use CiType::*;

const MACHINES: &[CiType] = &[Server, VirtualMachine];
const DEPENDABLE: &[CiType] = &[
    NetworkDevice,
    Server,
    VirtualMachine,
    Database,
    Application,
    BusinessService,
];

impl RelationType {
    /// Whether the relation must stay acyclic: nothing is inside itself, a
    /// part of itself, or runs on or hosts itself.
    pub fn acyclic(self) -> bool {
        matches!(
            self,
            RelationType::LocatedIn
                | RelationType::PartOf
                | RelationType::RunsOn
                | RelationType::HostedBy
        )
    }

    /// The types a relation of this type may start from, and those it may
    /// point to.
    pub fn allowed_types(self) -> (&'static [CiType], &'static [CiType]) {
        match self {
            RelationType::LocatedIn => (
                &[Room, Rack, PowerFeed, NetworkDevice, Server],
                &[Site, Room, Rack],
            ),
            RelationType::PoweredBy => (&[Rack, PowerFeed, NetworkDevice, Server], &[PowerFeed]),
            RelationType::ConnectedTo => (&[NetworkDevice, Server], &[NetworkDevice]),
            RelationType::RunsOn => (&[Database, Application], MACHINES),
            RelationType::HostedBy => (&[VirtualMachine], &[Server]),
            RelationType::DependsOn => (DEPENDABLE, DEPENDABLE),
            RelationType::PartOf => (DEPENDABLE, &[Environment, BusinessService]),
            RelationType::ProvidedBy => (
                &[
                    Site,
                    Room,
                    Rack,
                    PowerFeed,
                    NetworkDevice,
                    Server,
                    VirtualMachine,
                    Database,
                    Application,
                    BusinessService,
                ],
                &[SupplierContract],
            ),
        }
    }

    /// Checks that the relation may join a `from` to a `to`. Where the
    /// nesting is physical, the target must be a larger place (a room in a
    /// site, a rack in a room, not a site in a rack).
    pub fn check_types(self, from: CiType, to: CiType) -> Result<(), RuleError> {
        let (sources, targets) = self.allowed_types();
        let nested_wrongly = self == RelationType::LocatedIn && place_rank(to) <= place_rank(from);
        if sources.contains(&from) && targets.contains(&to) && !nested_wrongly {
            Ok(())
        } else {
            Err(RuleError::TypesNotAllowed {
                relation: self,
                from,
                to,
            })
        }
    }
}

/// Larger places rank higher; equipment ranks lowest.
fn place_rank(t: CiType) -> u8 {
    match t {
        Site => 3,
        Room => 2,
        Rack => 1,
        _ => 0,
    }
}

/// Checks the attributes a type requires: an environment says its kind.
pub fn check_attributes(
    ci_type: CiType,
    attributes: &BTreeMap<String, String>,
) -> Result<(), RuleError> {
    if ci_type == Environment {
        let kind = attributes.get("kind").ok_or_else(|| {
            RuleError::Attribute("an environment needs the attribute `kind`".to_owned())
        })?;
        kind.parse::<super::EnvironmentKind>()
            .map_err(|e| RuleError::Attribute(e.to_string()))?;
    }
    if attributes.len() > 100 {
        return Err(RuleError::Attribute(
            "at most 100 attributes per item".to_owned(),
        ));
    }
    for (k, v) in attributes {
        if k.trim().is_empty() || k.chars().count() > 64 || v.chars().count() > 2000 {
            return Err(RuleError::Attribute(format!(
                "attribute `{}`: names have 1 to 64 characters, values at most 2000",
                k.chars().take(64).collect::<String>()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(relation: RelationType, from: CiType, to: CiType, ok: bool) {
        assert_eq!(
            relation.check_types(from, to).is_ok(),
            ok,
            "{from} {relation} {to}"
        );
    }

    #[test]
    fn relations_join_the_types_they_make_sense_for() {
        use RelationType::*;
        check(LocatedIn, Rack, Room, true);
        check(LocatedIn, Room, Site, true);
        check(LocatedIn, Server, Rack, true);
        check(LocatedIn, Site, Rack, false);
        check(LocatedIn, Rack, Rack, false);
        check(PoweredBy, Server, PowerFeed, true);
        check(PoweredBy, Server, Server, false);
        check(RunsOn, Application, VirtualMachine, true);
        check(RunsOn, VirtualMachine, Application, false);
        check(HostedBy, VirtualMachine, Server, true);
        check(DependsOn, BusinessService, Application, true);
        check(DependsOn, Site, Application, false);
        check(PartOf, Server, Environment, true);
        check(ProvidedBy, Server, SupplierContract, true);
        check(ProvidedBy, SupplierContract, SupplierContract, false);
    }

    #[test]
    fn environments_need_a_known_kind() {
        let mut attrs = BTreeMap::new();
        assert!(check_attributes(Environment, &attrs).is_err());
        attrs.insert("kind".to_owned(), "pre_production".to_owned());
        assert!(check_attributes(Environment, &attrs).is_ok());
        attrs.insert("kind".to_owned(), "staging".to_owned());
        assert!(check_attributes(Environment, &attrs).is_err());
        assert!(check_attributes(Server, &BTreeMap::new()).is_ok());
    }

    #[test]
    fn the_nesting_relations_are_acyclic() {
        let acyclic: Vec<RelationType> = RelationType::ALL
            .iter()
            .copied()
            .filter(|r| r.acyclic())
            .collect();
        assert_eq!(
            acyclic,
            vec![
                RelationType::LocatedIn,
                RelationType::RunsOn,
                RelationType::HostedBy,
                RelationType::PartOf
            ]
        );
    }
}
