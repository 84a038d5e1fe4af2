//! The risk of a change: how likely it is to go wrong, times what would be
//! hurt if it did.
//!
//! The impact comes from the CMDB's impact analysis of the change's items
//! taken down together ([`crate::cmdb::impact`]): a business service down
//! is a *major* impact, one degraded (or an item of critical criticality
//! touched) *moderate*, anything else *minor*. The risk is then read from
//! this matrix:
//!
//! | likelihood \ impact | minor  | moderate | major     |
//! |---------------------|--------|----------|-----------|
//! | low                 | low    | low      | medium    |
//! | medium              | low    | medium   | high      |
//! | high                | medium | high     | very high |

use super::{Likelihood, RiskLevel};
use crate::ticket::named_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// What would be hurt if the change went wrong.
    ImpactClass, "impact class" {
        /// No business service touched.
        Minor => "minor",
        /// A business service degraded, or a critical item touched.
        Moderate => "moderate",
        /// A business service down.
        Major => "major",
    }
);

/// What the impact analysis found for the change's items.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImpactFindings {
    /// Business services that would be down.
    pub services_down: usize,
    /// Business services that would be degraded.
    pub services_degraded: usize,
    /// Whether one of the change's own items is of critical criticality.
    pub touches_critical_item: bool,
}

/// The impact class of the findings.
pub fn impact_class(f: &ImpactFindings) -> ImpactClass {
    if f.services_down > 0 {
        ImpactClass::Major
    } else if f.services_degraded > 0 || f.touches_critical_item {
        ImpactClass::Moderate
    } else {
        ImpactClass::Minor
    }
}

/// The risk for a likelihood and an impact class (the matrix above).
pub fn assess(likelihood: Likelihood, impact: ImpactClass) -> RiskLevel {
    use ImpactClass::*;
    use RiskLevel as R;
    match (likelihood, impact) {
        (Likelihood::Low, Minor | Moderate) => R::Low,
        (Likelihood::Low, Major) => R::Medium,
        (Likelihood::Medium, Minor) => R::Low,
        (Likelihood::Medium, Moderate) => R::Medium,
        (Likelihood::Medium, Major) => R::High,
        (Likelihood::High, Minor) => R::Medium,
        (Likelihood::High, Moderate) => R::High,
        (Likelihood::High, Major) => R::VeryHigh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_impact_class_follows_the_services() {
        let none = ImpactFindings::default();
        assert_eq!(impact_class(&none), ImpactClass::Minor);
        let critical = ImpactFindings {
            touches_critical_item: true,
            ..none
        };
        assert_eq!(impact_class(&critical), ImpactClass::Moderate);
        let degraded = ImpactFindings {
            services_degraded: 2,
            ..none
        };
        assert_eq!(impact_class(&degraded), ImpactClass::Moderate);
        let down = ImpactFindings {
            services_down: 1,
            services_degraded: 3,
            ..none
        };
        assert_eq!(impact_class(&down), ImpactClass::Major);
    }

    #[test]
    fn the_risk_grows_with_both_axes() {
        let rank = |r: RiskLevel| RiskLevel::ALL.iter().position(|x| *x == r).unwrap();
        for l in Likelihood::ALL {
            for pair in ImpactClass::ALL.windows(2) {
                assert!(rank(assess(*l, pair[0])) <= rank(assess(*l, pair[1])));
            }
        }
        for i in ImpactClass::ALL {
            for pair in Likelihood::ALL.windows(2) {
                assert!(rank(assess(pair[0], *i)) <= rank(assess(pair[1], *i)));
            }
        }
        assert_eq!(assess(Likelihood::Low, ImpactClass::Minor), RiskLevel::Low);
        assert_eq!(
            assess(Likelihood::High, ImpactClass::Major),
            RiskLevel::VeryHigh
        );
    }
}
