//! Environments: their order, the direction data may flow between them,
//! their opening hours and their yearly resets.
//!
//! An environment is a configuration item of type `environment` whose
//! attribute `kind` is an [`EnvironmentKind`]. The kinds are ordered from
//! development (rank 0) to production (rank 5), the order in which a
//! release climbs; [`rank`] gives that order. The rules:
//!
//! - [`refresh`]: data is copied only *downwards* (from a higher rank to a
//!   lower one), and a copy from production is anonymised;
//! - [`hours`]: an environment is never open when production is closed;
//! - [`reset`]: each environment is reset at most once a year per partner,
//!   in a season, with a notice period.

pub mod hours;
pub mod refresh;
pub mod reset;

pub use crate::cmdb::EnvironmentKind;

/// The place of a kind in the environments' order: development is 0,
/// production is 5. A data refresh goes from a higher rank to a lower one.
pub fn rank(kind: EnvironmentKind) -> u8 {
    match kind {
        EnvironmentKind::Development => 0,
        EnvironmentKind::Qualification => 1,
        EnvironmentKind::Acceptance => 2,
        EnvironmentKind::PreProduction => 3,
        EnvironmentKind::Training => 4,
        EnvironmentKind::Production => 5,
    }
}

/// The kinds in the environments' order, lowest first.
pub fn ordered() -> Vec<EnvironmentKind> {
    let mut kinds = EnvironmentKind::ALL.to_vec();
    kinds.sort_by_key(|k| rank(*k));
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_runs_from_development_to_production() {
        let names: Vec<&str> = ordered().into_iter().map(EnvironmentKind::as_str).collect();
        assert_eq!(
            names,
            [
                "development",
                "qualification",
                "acceptance",
                "pre_production",
                "training",
                "production"
            ]
        );
        for (i, kind) in ordered().into_iter().enumerate() {
            assert_eq!(usize::from(rank(kind)), i, "{kind}");
        }
    }
}
