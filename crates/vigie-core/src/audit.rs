//! The audit trail: which fields of which record changed, from what to what.
//!
//! Every write in Vigie records an [`AuditEntry`] in the same transaction.
//! This module decides what the entry says; the storage layer writes it.

use serde::{Deserialize, Serialize};

/// What happened to the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// The record was created.
    Create,
    /// Some fields changed.
    Update,
    /// The record was deleted.
    Delete,
}

impl AuditAction {
    /// The stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Delete => "delete",
        }
    }
}

/// One field's value before and after the write (`None`: absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field name, as in the API.
    pub field: String,
    /// The value before.
    pub before: Option<String>,
    /// The value after.
    pub after: Option<String>,
}

/// A record's audited fields as name/value pairs, in a fixed order.
pub type Fields = Vec<(&'static str, Option<String>)>;

/// The changes between two versions of a record's fields. Fields missing in
/// one version count as absent there; unchanged fields are left out. Secrets
/// (`password_hash`, `token_hash`) must never be passed here: callers pass a
/// marker such as `"(changed)"` instead.
pub fn diff(before: &Fields, after: &Fields) -> Vec<FieldChange> {
    let mut names: Vec<&'static str> = before.iter().map(|(n, _)| *n).collect();
    for (n, _) in after {
        if !names.contains(n) {
            names.push(n);
        }
    }
    let find = |fields: &Fields, name: &str| -> Option<String> {
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.clone())
    };
    names
        .into_iter()
        .filter_map(|name| {
            let b = find(before, name);
            let a = find(after, name);
            (b != a).then(|| FieldChange {
                field: name.to_owned(),
                before: b,
                after: a,
            })
        })
        .collect()
}

/// The action a pair of versions describes.
pub fn action_of(before: Option<&Fields>, after: Option<&Fields>) -> AuditAction {
    match (before, after) {
        (None, _) => AuditAction::Create,
        (Some(_), None) => AuditAction::Delete,
        (Some(_), Some(_)) => AuditAction::Update,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&'static str, Option<&str>)]) -> Fields {
        pairs
            .iter()
            .map(|(n, v)| (*n, v.map(str::to_owned)))
            .collect()
    }

    #[test]
    fn unchanged_fields_are_left_out() {
        let before = f(&[("name", Some("Nord")), ("parent", Some("1"))]);
        let after = f(&[("name", Some("Nord-Est")), ("parent", Some("1"))]);
        assert_eq!(
            diff(&before, &after),
            vec![FieldChange {
                field: "name".into(),
                before: Some("Nord".into()),
                after: Some("Nord-Est".into())
            }]
        );
    }

    #[test]
    fn creation_lists_every_set_field() {
        let after = f(&[("name", Some("Sud")), ("parent", None)]);
        let changes = diff(&Vec::new(), &after);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].before, None);
        assert_eq!(action_of(None, Some(&after)), AuditAction::Create);
    }

    #[test]
    fn deletion_lists_every_field_as_removed() {
        let before = f(&[("name", Some("Sud")), ("code", Some("S"))]);
        let changes = diff(&before, &Vec::new());
        assert!(changes.iter().all(|c| c.after.is_none()));
        assert_eq!(changes.len(), 2);
    }
}
