//! A mailbox's rules as JSON: the shape the API takes and returns and the
//! store keeps, turned into the core's [`RuleSpec`]s (which the core then
//! checks and compiles).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigie_core::event::Severity;
use vigie_core::ids::{CategoryId, EntityId, GroupId};
use vigie_core::mail::rules::{
    ConditionSpec, EventTemplate, Field, Placement, RuleAction, RuleError, RuleSet, RuleSpec,
};
use vigie_core::ticket::priority::Priority;

/// One condition: a regular expression on a field of the mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionWire {
    /// `from`, `to` (To and Cc), `subject` or `body`.
    #[schema(example = "subject")]
    pub field: String,
    /// A regular expression (Rust syntax; `(?i)` for any case). Named
    /// groups (`(?P<room>…)`) become the event's fields.
    #[schema(example = "(?i)alerte (?P<equipment>\\S+)")]
    pub pattern: String,
}

/// What a rule does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionWire {
    /// Open the ticket there (each field optional: the mailbox's default).
    Place {
        /// Entity.
        #[serde(default)]
        entity_id: Option<i64>,
        /// Category.
        #[serde(default)]
        category_id: Option<i64>,
        /// Priority (`critique`, `haut`, `moyen`, `bas`).
        #[serde(default)]
        priority: Option<String>,
        /// Group.
        #[serde(default)]
        group_id: Option<i64>,
    },
    /// Make an event of the mail.
    Event {
        /// The event's source.
        source: String,
        /// The severity when the mail names none.
        #[serde(default = "warning")]
        severity: String,
        /// The check when the mail names none (else the rule's name).
        #[serde(default)]
        check: String,
    },
    /// Store the mail as ignored.
    Ignore,
}

fn warning() -> String {
    "warning".into()
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleWire {
    /// Its name.
    pub name: String,
    /// All must match.
    #[serde(default)]
    pub conditions: Vec<ConditionWire>,
    /// What it does.
    pub action: ActionWire,
}

fn refuse(path: String, message: impl Into<String>) -> RuleError {
    RuleError {
        path,
        message: message.into(),
    }
}

/// The core's rules from the wire's, refused with the path of the first
/// bad field.
pub fn specs(rules: &[RuleWire]) -> Result<Vec<RuleSpec>, RuleError> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let conditions = r
                .conditions
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let field = Field::parse(&c.field).ok_or_else(|| {
                        refuse(
                            format!("rules[{i}].conditions[{j}].field"),
                            "must be from, to, subject or body",
                        )
                    })?;
                    Ok(ConditionSpec {
                        field,
                        pattern: c.pattern.clone(),
                    })
                })
                .collect::<Result<Vec<_>, RuleError>>()?;
            let action = match &r.action {
                ActionWire::Ignore => RuleAction::Ignore,
                ActionWire::Event {
                    source,
                    severity,
                    check,
                } => RuleAction::Event(EventTemplate {
                    source: source.clone(),
                    severity: Severity::from_synonym(severity).ok_or_else(|| {
                        refuse(
                            format!("rules[{i}].action.severity"),
                            "must be critical, error, warning or info",
                        )
                    })?,
                    check: check.clone(),
                }),
                ActionWire::Place {
                    entity_id,
                    category_id,
                    priority,
                    group_id,
                } => RuleAction::Place(Placement {
                    entity: entity_id.map(EntityId),
                    category: category_id.map(CategoryId),
                    priority: match priority {
                        None => None,
                        Some(p) => Some(p.parse::<Priority>().map_err(|e| {
                            refuse(format!("rules[{i}].action.priority"), e.to_string())
                        })?),
                    },
                    group: group_id.map(GroupId),
                }),
            };
            Ok(RuleSpec {
                name: r.name.clone(),
                conditions,
                action,
            })
        })
        .collect()
}

/// Checks and compiles rules, and gives the JSON text the store keeps.
pub fn checked_json(rules: &[RuleWire]) -> Result<String, RuleError> {
    RuleSet::compile(specs(rules)?)?;
    serde_json::to_string(rules).map_err(|e| refuse("rules".into(), e.to_string()))
}

/// Reads and compiles stored rules (JSON text).
pub fn compile_stored(json: &str) -> Result<(Vec<RuleWire>, RuleSet), RuleError> {
    let wire: Vec<RuleWire> = serde_json::from_str(json)
        .map_err(|e| refuse("rules".into(), format!("not valid rules: {e}")))?;
    let set = RuleSet::compile(specs(&wire)?)?;
    Ok((wire, set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip_and_compile() {
        let json = r#"[
            {"name": "alertes", "conditions": [{"field": "from", "pattern": "@hebergeur\\.example$"}],
             "action": {"kind": "event", "source": "hebergeur-mail"}},
            {"name": "vpn", "conditions": [{"field": "subject", "pattern": "(?i)vpn"}],
             "action": {"kind": "place", "category_id": 3, "priority": "haut"}},
            {"name": "pub", "action": {"kind": "ignore"}}
        ]"#;
        let (wire, set) = compile_stored(json).expect("rules");
        assert_eq!(set.len(), 3);
        let again = serde_json::to_string(&wire).expect("json");
        assert_eq!(compile_stored(&again).expect("again").0, wire);
    }

    #[test]
    fn bad_fields_are_named() {
        for (json, path) in [
            (
                r#"[{"name": "a", "conditions": [{"field": "cc", "pattern": "x"}], "action": {"kind": "ignore"}}]"#,
                "rules[0].conditions[0].field",
            ),
            (
                r#"[{"name": "a", "action": {"kind": "event", "source": "s", "severity": "pire"}}]"#,
                "rules[0].action.severity",
            ),
            (
                r#"[{"name": "a", "action": {"kind": "place", "priority": "p9"}}]"#,
                "rules[0].action.priority",
            ),
            (
                r#"[{"name": "a", "action": {"kind": "teleport"}}]"#,
                "rules",
            ),
        ] {
            assert_eq!(compile_stored(json).expect_err(json).path, path, "{json}");
        }
    }
}
