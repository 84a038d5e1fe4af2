//! Releases: what goes into production together, when, and who vouched for
//! it.
//!
//! A release is `regular` (one of the dates of the tenant's release cycle,
//! [`cycle`]), `exceptional` (outside the cycle, e.g. for a regulatory
//! deadline) or a `patch`. It groups versions of components (a
//! configuration item or a free name, and a version text) and, filled by
//! change management, changes. Its status follows [`lifecycle`]: the
//! qualification team's green light is needed before an exceptional release
//! or a patch is deployed.

pub mod cycle;
pub mod lifecycle;

use crate::ticket::named_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// Why a release exists.
    ReleaseKind, "release kind" {
        /// A date of the release cycle.
        Regular => "regular",
        /// Outside the cycle, for a deadline (regulatory, contractual).
        Exceptional => "exceptional",
        /// An urgent fix between releases.
        Patch => "patch",
    }
);

impl ReleaseKind {
    /// Whether deploying it needs the qualification team's green light.
    pub fn needs_green_light(self) -> bool {
        !matches!(self, ReleaseKind::Regular)
    }
}

named_enum!(
    /// Where a release stands.
    ReleaseStatus, "release status" {
        /// Being put together.
        Planned => "planned",
        /// In the hands of the qualification team.
        Qualification => "qualification",
        /// Qualified: the qualification team gave its green light.
        GreenLit => "green_lit",
        /// In production.
        Deployed => "deployed",
        /// Given up.
        Cancelled => "cancelled",
    }
);

impl ReleaseStatus {
    /// Whether the release's name, date and versions may still change.
    pub fn is_editable(self) -> bool {
        matches!(self, ReleaseStatus::Planned | ReleaseStatus::Qualification)
    }
}

/// The most versions one release may list.
pub const MAX_VERSIONS: usize = 500;

/// One component's version in a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentVersion {
    /// The component's name (the configuration item's, when it is one).
    pub component: String,
    /// The configuration item, when the component is one.
    pub ci_id: Option<i64>,
    /// The version, as the component's team writes it (`4.2.1`, `2027-R2`).
    pub version: String,
}

/// A version list that cannot be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// A blank or too long text.
    #[error("`versions[{index}].{field}` must be 1 to {max} characters")]
    Text {
        /// The position in the list.
        index: usize,
        /// `component` or `version`.
        field: &'static str,
        /// The longest allowed.
        max: usize,
    },
    /// A component listed twice.
    #[error(
        "`versions[{index}]`: the component `{component}` is already listed; one version per component"
    )]
    Duplicate {
        /// The position of the second one.
        index: usize,
        /// The component.
        component: String,
    },
    /// Too many versions.
    #[error("a release lists at most {MAX_VERSIONS} versions")]
    TooMany,
}

impl VersionError {
    /// The field at fault, for problem documents.
    pub fn field(&self) -> String {
        match self {
            VersionError::Text { index, field, .. } => format!("versions[{index}].{field}"),
            VersionError::Duplicate { index, .. } => format!("versions[{index}]"),
            VersionError::TooMany => "versions".to_owned(),
        }
    }
}

/// Trims the texts of a version list and checks it: texts of 1–200
/// (component) and 1–100 (version) characters, one version per component
/// (compared without case).
pub fn check_versions(
    versions: Vec<ComponentVersion>,
) -> Result<Vec<ComponentVersion>, VersionError> {
    if versions.len() > MAX_VERSIONS {
        return Err(VersionError::TooMany);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(versions.len());
    for (index, v) in versions.into_iter().enumerate() {
        let component = v.component.trim().to_owned();
        let version = v.version.trim().to_owned();
        for (field, text, max) in [("component", &component, 200), ("version", &version, 100)] {
            if text.is_empty() || text.chars().count() > max {
                return Err(VersionError::Text { index, field, max });
            }
        }
        if !seen.insert(component.to_lowercase()) {
            return Err(VersionError::Duplicate { index, component });
        }
        out.push(ComponentVersion {
            component,
            ci_id: v.ci_id,
            version,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(component: &str, version: &str) -> ComponentVersion {
        ComponentVersion {
            component: component.into(),
            ci_id: None,
            version: version.into(),
        }
    }

    #[test]
    fn only_regular_releases_go_without_a_green_light() {
        assert!(!ReleaseKind::Regular.needs_green_light());
        assert!(ReleaseKind::Exceptional.needs_green_light());
        assert!(ReleaseKind::Patch.needs_green_light());
    }

    #[test]
    fn versions_are_trimmed_and_checked() {
        let ok = check_versions(vec![v(" erp ", " 4.2 "), v("paie", "2027-R1")]).expect("ok");
        assert_eq!(ok[0], v("erp", "4.2"));
        let err = check_versions(vec![v("erp", "1"), v("ERP", "2")]).expect_err("dup");
        assert_eq!(err.field(), "versions[1]");
        assert!(err.to_string().contains("already listed"), "{err}");
        let err = check_versions(vec![v("erp", " ")]).expect_err("blank");
        assert_eq!(err.field(), "versions[0].version");
        let err = check_versions(vec![v(&"x".repeat(201), "1")]).expect_err("long");
        assert_eq!(err.field(), "versions[0].component");
        let many = (0..=MAX_VERSIONS)
            .map(|i| v(&format!("c{i}"), "1"))
            .collect();
        assert_eq!(check_versions(many), Err(VersionError::TooMany));
    }

    #[test]
    fn only_releases_not_yet_qualified_are_edited() {
        let editable: Vec<_> = ReleaseStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.is_editable())
            .collect();
        assert_eq!(
            editable,
            [ReleaseStatus::Planned, ReleaseStatus::Qualification]
        );
    }
}
