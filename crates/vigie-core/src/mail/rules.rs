//! A mailbox's rules: ordered, each a list of regular-expression conditions
//! on the sender, the recipients, the subject or the body, all of which must
//! match, and an action. The first rule that matches decides: it places the
//! ticket (entity, category, priority, group) or turns the mail into an
//! event. The named groups of the conditions' patterns (`room`, `rack`,
//! `socket`, `equipment`, `severity`, `state`, `resource`, `check`, and any
//! other name) become the event's fields and labels, so a provider's alert
//! mail goes through event management (deduplicated, correlated) instead
//! of opening a ticket.
//!
//! Patterns are compiled once, with a bound on their size, so a rule set is
//! checked when it is saved and cannot be made to eat memory.

use super::MailFacts;
use crate::event::{Event, EventAction, Severity, limits};
use crate::ids::{CategoryId, EntityId, GroupId};
use crate::ticket::priority::Priority;
use jiff::Timestamp;
use regex::{Regex, RegexBuilder};
use std::collections::BTreeMap;

/// The most rules one mailbox holds.
pub const MAX_RULES: usize = 200;
/// The longest pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 2_000;
/// How large a compiled pattern may grow, in bytes.
const COMPILED_LIMIT: usize = 1 << 20;
/// How much of the body the conditions look at, in bytes.
pub const BODY_SCAN_BYTES: usize = 64 * 1024;

/// What a condition looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The sender's address.
    From,
    /// Every `To` and `Cc` address, one a line.
    To,
    /// The subject.
    Subject,
    /// The text body (its first [`BODY_SCAN_BYTES`]).
    Body,
}

impl Field {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::From => "from",
            Field::To => "to",
            Field::Subject => "subject",
            Field::Body => "body",
        }
    }

    /// The field of a stable name.
    pub fn parse(name: &str) -> Option<Field> {
        [Field::From, Field::To, Field::Subject, Field::Body]
            .into_iter()
            .find(|f| f.as_str() == name)
    }
}

/// What a matching rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleAction {
    /// Open (or thread) a ticket placed so: each `None` keeps the mailbox's
    /// default.
    Place(Placement),
    /// Make an event of the mail instead of a ticket.
    Event(EventTemplate),
    /// Store the mail as ignored: no ticket, no event, no answer.
    Ignore,
}

/// Where a ticket opened from a mail goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// Its entity.
    pub entity: Option<EntityId>,
    /// Its category.
    pub category: Option<CategoryId>,
    /// Its priority (an override of the matrix).
    pub priority: Option<Priority>,
    /// The group it is assigned to.
    pub group: Option<GroupId>,
}

impl Placement {
    /// This placement, with `fallback`'s values where it has none.
    pub fn or(self, fallback: Placement) -> Placement {
        Placement {
            entity: self.entity.or(fallback.entity),
            category: self.category.or(fallback.category),
            priority: self.priority.or(fallback.priority),
            group: self.group.or(fallback.group),
        }
    }
}

/// How an event is made from a mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventTemplate {
    /// The event's source (`hebergeur-mail`).
    pub source: String,
    /// The severity when no `severity` group matched a known name.
    pub severity: Severity,
    /// The check when no `check` group matched (the rule's name if empty).
    pub check: String,
}

/// One condition as written by an administrator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionSpec {
    /// What it looks at.
    pub field: Field,
    /// The regular expression (Rust `regex` syntax; `(?i)` for any case).
    pub pattern: String,
}

/// One rule as written by an administrator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    /// Its name, shown in the rule tester and stored with what it did.
    pub name: String,
    /// All must match; none means "every mail".
    pub conditions: Vec<ConditionSpec>,
    /// What it does.
    pub action: RuleAction,
}

/// Why a rule set was refused: which rule, which condition, what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RuleError {
    /// `rules[2].conditions[0].pattern`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

#[derive(Clone, Debug)]
struct Condition {
    field: Field,
    regex: Regex,
}

#[derive(Clone, Debug)]
struct Rule {
    spec: RuleSpec,
    conditions: Vec<Condition>,
}

/// A mailbox's rules, compiled.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

/// The rule that matched a mail, and what its patterns captured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matched<'a> {
    /// Its position in the set, from 0.
    pub index: usize,
    /// Its name.
    pub name: &'a str,
    /// What it does.
    pub action: &'a RuleAction,
    /// The named groups that matched, by name (the last condition wins).
    pub captures: BTreeMap<String, String>,
}

impl RuleSet {
    /// Compiles rules, refusing the first bad one with its path.
    pub fn compile(specs: Vec<RuleSpec>) -> Result<RuleSet, RuleError> {
        if specs.len() > MAX_RULES {
            return Err(RuleError {
                path: "rules".into(),
                message: format!("at most {MAX_RULES} rules per mailbox"),
            });
        }
        let mut rules = Vec::with_capacity(specs.len());
        for (i, spec) in specs.into_iter().enumerate() {
            let name = spec.name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(RuleError {
                    path: format!("rules[{i}].name"),
                    message: "must have 1 to 200 characters".into(),
                });
            }
            if let RuleAction::Event(t) = &spec.action
                && (t.source.trim().is_empty() || t.source.chars().count() > limits::MAX_NAME_CHARS)
            {
                return Err(RuleError {
                    path: format!("rules[{i}].action.source"),
                    message: "must have 1 to 255 characters".into(),
                });
            }
            let mut conditions = Vec::with_capacity(spec.conditions.len());
            for (j, c) in spec.conditions.iter().enumerate() {
                let path = format!("rules[{i}].conditions[{j}].pattern");
                if c.pattern.chars().count() > MAX_PATTERN_CHARS {
                    return Err(RuleError {
                        path,
                        message: format!("at most {MAX_PATTERN_CHARS} characters"),
                    });
                }
                let regex = RegexBuilder::new(&c.pattern)
                    .size_limit(COMPILED_LIMIT)
                    .multi_line(true)
                    .build()
                    .map_err(|e| RuleError {
                        path,
                        message: format!("not a valid regular expression: {e}"),
                    })?;
                conditions.push(Condition {
                    field: c.field,
                    regex,
                });
            }
            rules.push(Rule { spec, conditions });
        }
        Ok(RuleSet { rules })
    }

    /// How many rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule whose conditions all match the mail.
    pub fn first_match(&self, mail: &MailFacts) -> Option<Matched<'_>> {
        let to = mail
            .to
            .iter()
            .chain(&mail.cc)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        let body = cut(&mail.text, BODY_SCAN_BYTES);
        'rules: for (index, rule) in self.rules.iter().enumerate() {
            let mut captures = BTreeMap::new();
            for c in &rule.conditions {
                let text = match c.field {
                    Field::From => mail.from.as_str(),
                    Field::To => to.as_str(),
                    Field::Subject => mail.subject.as_str(),
                    Field::Body => body,
                };
                let Some(found) = c.regex.captures(text) else {
                    continue 'rules;
                };
                for name in c.regex.capture_names().flatten() {
                    if let Some(m) = found.name(name) {
                        captures.insert(name.to_owned(), m.as_str().trim().to_owned());
                    }
                }
            }
            return Some(Matched {
                index,
                name: &rule.spec.name,
                action: &rule.spec.action,
                captures,
            });
        }
        None
    }
}

/// At most `max` bytes of `text`, cut on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Words a `state` group uses to say the condition is over.
const CLEARED: [&str; 12] = [
    "ok",
    "up",
    "resolved",
    "recovered",
    "cleared",
    "clear",
    "normal",
    "résolu",
    "resolu",
    "rétabli",
    "retabli",
    "fin",
];

/// The event a mail becomes under `template`, from what the rule captured:
/// `resource` (else `equipment`, `socket`, `rack`, `room`, else the sender),
/// `check` (else the template's, else the rule's name), `severity` (a name
/// [`Severity::from_synonym`] knows, else the template's), `state` (a word
/// saying it is over makes a `resolve`). Every group is also a label. The
/// time is the mail's date, or `now` if it has none or is ahead of `now`
/// by more than the events' allowed skew.
pub fn event_of(
    template: &EventTemplate,
    rule_name: &str,
    captures: &BTreeMap<String, String>,
    mail: &MailFacts,
    now: Timestamp,
) -> Event {
    let pick = |names: &[&str]| {
        names
            .iter()
            .filter_map(|n| captures.get(*n))
            .find(|v| !v.is_empty())
            .cloned()
    };
    let bounded = |s: String| -> String { s.chars().take(limits::MAX_NAME_CHARS).collect() };
    let resource = pick(&["resource", "equipment", "socket", "rack", "room"])
        .unwrap_or_else(|| mail.from.clone());
    let check = pick(&["check"]).unwrap_or_else(|| {
        if template.check.trim().is_empty() {
            rule_name.to_owned()
        } else {
            template.check.clone()
        }
    });
    let severity = pick(&["severity"])
        .and_then(|s| Severity::from_synonym(&s))
        .unwrap_or(template.severity);
    let cleared = pick(&["state"]).is_some_and(|s| CLEARED.contains(&s.to_lowercase().as_str()));
    let (occurred_at, clamped) = match mail.date {
        Some(d) if d > crate::event::later(now, limits::MAX_FUTURE_SKEW) => (now, true),
        Some(d) => (d, false),
        None => (now, false),
    };
    let labels = captures
        .iter()
        .take(limits::MAX_LABELS)
        .map(|(k, v)| {
            (
                k.chars().take(limits::MAX_LABEL_NAME_CHARS).collect(),
                v.chars().take(limits::MAX_LABEL_VALUE_CHARS).collect(),
            )
        })
        .collect();
    Event {
        source: bounded(template.source.trim().to_owned()),
        resource: bounded(resource),
        check: bounded(check),
        severity: if cleared { Severity::Info } else { severity },
        action: if cleared {
            EventAction::Resolve
        } else {
            EventAction::Trigger
        },
        summary: mail
            .subject
            .chars()
            .take(limits::MAX_SUMMARY_CHARS)
            .collect(),
        details: Default::default(),
        labels,
        occurred_at,
        dedup_key: None,
        clamped,
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
