//! Classification: ordered, editable rules saying what an event is
//! (informational, warning, exception) and what it may do.
//!
//! A rule holds conditions (all must hold; none means "any event") and an
//! outcome. Rules are tried in order; the first whose conditions all hold
//! wins; when none does, the event is only recorded
//! ([`Outcome::record_only`]). Rules are plain serde values, so the store
//! keeps a tenant's list as JSON; [`RuleSet::new`] validates them (a bad
//! regular expression is refused with the rule's index and field) and
//! compiles the expressions once.
//!
//! [`default_rules`] are what a tenant starts with: critical and error
//! events open incidents, warnings make alert groups without incidents,
//! everything else is recorded; resolutions resolve.

use super::{Event, EventClass, Severity};
use crate::ticket::priority::Priority;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// Longest pattern accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 512;

/// Most rules in one tenant's list.
pub const MAX_RULES: usize = 500;

/// One test on an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The source is exactly this one.
    SourceIs {
        /// The source.
        source: String,
    },
    /// The severity is at least this one.
    SeverityAtLeast {
        /// The lowest severity that matches.
        severity: Severity,
    },
    /// The severity is exactly this one.
    SeverityIs {
        /// The severity.
        severity: Severity,
    },
    /// The label is present with exactly this value.
    LabelIs {
        /// The label's name.
        name: String,
        /// Its value.
        value: String,
    },
    /// The label is present and its value matches the expression.
    LabelMatches {
        /// The label's name.
        name: String,
        /// A regular expression (Rust `regex` syntax), searched anywhere in
        /// the value unless anchored.
        pattern: String,
    },
    /// The summary matches the expression.
    SummaryMatches {
        /// A regular expression (Rust `regex` syntax).
        pattern: String,
    },
}

/// The priority an incident opened by the rule gets, per severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityMap {
    /// For critical events (default P1, `critique`).
    pub critical: Priority,
    /// For error events (default P2, `haut`).
    pub error: Priority,
    /// For warnings (default P3, `moyen`).
    pub warning: Priority,
    /// For informational events (default P4, `bas`).
    pub info: Priority,
}

impl Default for PriorityMap {
    fn default() -> Self {
        PriorityMap {
            critical: Priority::Critique,
            error: Priority::Haut,
            warning: Priority::Moyen,
            info: Priority::Bas,
        }
    }
}

impl PriorityMap {
    /// The priority for a severity.
    pub fn for_severity(&self, severity: Severity) -> Priority {
        match severity {
            Severity::Critical => self.critical,
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }
}

/// What a matching rule decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The class: informational events are only recorded; warnings and
    /// exceptions join alert groups.
    pub class: EventClass,
    /// Whether a group without an incident opens one (exceptions only).
    pub open_incident: bool,
    /// The priority of that incident.
    #[serde(default)]
    pub priority: PriorityMap,
    /// Whether the incident is resolved once every alert of its group has
    /// cleared.
    pub auto_resolve: bool,
}

impl Outcome {
    /// Recorded, nothing else: the outcome when no rule matches.
    pub fn record_only() -> Outcome {
        Outcome {
            class: EventClass::Informational,
            open_incident: false,
            priority: PriorityMap::default(),
            auto_resolve: false,
        }
    }
}

/// One rule: when every condition holds, the outcome applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassRule {
    /// A name for humans (shown where the rule fired).
    #[serde(default)]
    pub name: String,
    /// All must hold; empty matches every event.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// What happens.
    pub outcome: Outcome,
}

/// Why a list of rules is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule}, {field}: {message}")]
pub struct RuleError {
    /// The rule's index in the list, from 0.
    pub rule: usize,
    /// The field (`conditions[1].pattern`, `outcome.open_incident`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The result of classifying an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classification {
    /// The index of the rule that matched, `None` when none did.
    pub rule: Option<usize>,
    /// What applies.
    pub outcome: Outcome,
}

/// A validated list of rules, expressions compiled.
#[derive(Clone, Debug)]
pub struct RuleSet {
    rules: Vec<ClassRule>,
    /// Per rule, per condition: the compiled expression, if the condition
    /// has one.
    compiled: Vec<Vec<Option<Regex>>>,
}

impl RuleSet {
    /// Validates and compiles rules.
    pub fn new(rules: Vec<ClassRule>) -> Result<RuleSet, RuleError> {
        if rules.len() > MAX_RULES {
            return Err(RuleError {
                rule: MAX_RULES,
                field: String::new(),
                message: format!("at most {MAX_RULES} rules"),
            });
        }
        let mut compiled = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            compiled.push(compile(i, rule)?);
        }
        Ok(RuleSet { rules, compiled })
    }

    /// The rules, as given.
    pub fn rules(&self) -> &[ClassRule] {
        &self.rules
    }

    /// The first rule that matches the event, and its outcome.
    pub fn classify(&self, event: &Event) -> Classification {
        let found = self
            .rules
            .iter()
            .zip(&self.compiled)
            .position(|(rule, regexes)| {
                rule.conditions
                    .iter()
                    .zip(regexes)
                    .all(|(c, re)| holds(c, re.as_ref(), event))
            });
        Classification {
            rule: found,
            outcome: found
                .and_then(|i| self.rules.get(i))
                .map_or_else(Outcome::record_only, |r| r.outcome),
        }
    }
}

impl Default for RuleSet {
    fn default() -> Self {
        let compiled = default_rules()
            .iter()
            .map(|r| vec![None; r.conditions.len()])
            .collect();
        RuleSet {
            rules: default_rules(),
            compiled,
        }
    }
}

fn compile(index: usize, rule: &ClassRule) -> Result<Vec<Option<Regex>>, RuleError> {
    let refuse = |field: String, message: String| RuleError {
        rule: index,
        field,
        message,
    };
    let o = rule.outcome;
    if o.open_incident && o.class != EventClass::Exception {
        return Err(refuse(
            "outcome.open_incident".into(),
            "only exceptions open incidents".into(),
        ));
    }
    let mut out = Vec::with_capacity(rule.conditions.len());
    for (j, condition) in rule.conditions.iter().enumerate() {
        let field = |name: &str| format!("conditions[{j}].{name}");
        let (pattern, name) = match condition {
            Condition::LabelMatches { name, pattern } => (Some(pattern), Some(name)),
            Condition::SummaryMatches { pattern } => (Some(pattern), None),
            Condition::LabelIs { name, .. } => (None, Some(name)),
            Condition::SourceIs { source } if source.trim().is_empty() => {
                return Err(refuse(field("source"), "must not be blank".into()));
            }
            _ => (None, None),
        };
        if name.is_some_and(|n| n.trim().is_empty()) {
            return Err(refuse(field("name"), "must not be blank".into()));
        }
        let regex = match pattern {
            None => None,
            Some(p) if p.chars().count() > MAX_PATTERN_CHARS => {
                return Err(refuse(
                    field("pattern"),
                    format!("at most {MAX_PATTERN_CHARS} characters"),
                ));
            }
            Some(p) => Some(
                RegexBuilder::new(p)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| {
                        refuse(field("pattern"), format!("invalid regular expression: {e}"))
                    })?,
            ),
        };
        out.push(regex);
    }
    Ok(out)
}

fn holds(condition: &Condition, regex: Option<&Regex>, event: &Event) -> bool {
    match condition {
        Condition::SourceIs { source } => event.source == *source,
        Condition::SeverityAtLeast { severity } => event.severity >= *severity,
        Condition::SeverityIs { severity } => event.severity == *severity,
        Condition::LabelIs { name, value } => event.labels.get(name) == Some(value),
        Condition::LabelMatches { name, .. } => event
            .labels
            .get(name)
            .is_some_and(|v| regex.is_some_and(|re| re.is_match(v))),
        Condition::SummaryMatches { .. } => regex.is_some_and(|re| re.is_match(&event.summary)),
    }
}

/// The rules a tenant starts with: critical and error events are
/// exceptions that open incidents (P1 for critical, P2 for error) and are
/// resolved when their alerts clear; warnings make alert groups without
/// incidents; the rest is recorded.
pub fn default_rules() -> Vec<ClassRule> {
    vec![
        ClassRule {
            name: "Critical and error events open incidents".into(),
            conditions: vec![Condition::SeverityAtLeast {
                severity: Severity::Error,
            }],
            outcome: Outcome {
                class: EventClass::Exception,
                open_incident: true,
                priority: PriorityMap::default(),
                auto_resolve: true,
            },
        },
        ClassRule {
            name: "Warnings make alert groups".into(),
            conditions: vec![Condition::SeverityIs {
                severity: Severity::Warning,
            }],
            outcome: Outcome {
                class: EventClass::Warning,
                open_incident: false,
                priority: PriorityMap::default(),
                auto_resolve: true,
            },
        },
        ClassRule {
            name: "Everything else is recorded".into(),
            conditions: Vec::new(),
            outcome: Outcome::record_only(),
        },
    ]
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
