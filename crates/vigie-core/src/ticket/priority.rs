//! Priority from impact and urgency, through a tenant's matrix.
//!
//! Impact (how much of the business is hit) and urgency (how soon it hurts)
//! each take one of four levels; the matrix maps every pair to one of the
//! four priorities `critique` (P1), `haut` (P2), `moyen` (P3), `bas` (P4).
//! Each tenant may edit its matrix; [`PriorityMatrix::default`] is the usual
//! ITIL shape.

use super::named_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// A level of impact or of urgency, from the highest.
    Level, "level" {
        /// Critical.
        Critique => "critique",
        /// High.
        Haut => "haut",
        /// Medium.
        Moyen => "moyen",
        /// Low.
        Bas => "bas",
    }
);

named_enum!(
    /// A ticket's priority: P1 to P4.
    Priority, "priority" {
        /// P1.
        Critique => "critique",
        /// P2.
        Haut => "haut",
        /// P3.
        Moyen => "moyen",
        /// P4.
        Bas => "bas",
    }
);

impl Level {
    fn index(self) -> usize {
        match self {
            Level::Critique => 0,
            Level::Haut => 1,
            Level::Moyen => 2,
            Level::Bas => 3,
        }
    }
}

impl Priority {
    /// 1 for P1 (critique) to 4 for P4 (bas).
    pub fn rank(self) -> u8 {
        match self {
            Priority::Critique => 1,
            Priority::Haut => 2,
            Priority::Moyen => 3,
            Priority::Bas => 4,
        }
    }

    /// The short label, `P1` to `P4`.
    pub fn label(self) -> &'static str {
        match self {
            Priority::Critique => "P1",
            Priority::Haut => "P2",
            Priority::Moyen => "P3",
            Priority::Bas => "P4",
        }
    }
}

/// A tenant's impact × urgency → priority table: `cells[impact][urgency]`,
/// levels in the order critique, haut, moyen, bas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityMatrix {
    /// The table.
    pub cells: [[Priority; 4]; 4],
}

impl Default for PriorityMatrix {
    fn default() -> Self {
        use Priority::*;
        PriorityMatrix {
            cells: [
                [Critique, Critique, Haut, Moyen],
                [Critique, Haut, Haut, Moyen],
                [Haut, Haut, Moyen, Bas],
                [Moyen, Moyen, Bas, Bas],
            ],
        }
    }
}

/// Why a matrix is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatrixError {
    /// A higher impact or urgency gives a lower priority somewhere.
    #[error(
        "the matrix must not lower the priority when impact or urgency rises (impact {impact}, urgency {urgency})"
    )]
    NotMonotone {
        /// The impact of the offending cell.
        impact: Level,
        /// The urgency of the offending cell.
        urgency: Level,
    },
}

impl PriorityMatrix {
    /// The priority for an impact and an urgency.
    pub fn priority(&self, impact: Level, urgency: Level) -> Priority {
        self.cells[impact.index()][urgency.index()]
    }

    /// Checks that raising impact or urgency never lowers the priority, so
    /// that an edited matrix stays sensible.
    pub fn validate(&self) -> Result<(), MatrixError> {
        for i in 0..4 {
            for u in 0..4 {
                let here = self.cells[i][u].rank();
                let worse_impact = i > 0 && self.cells[i - 1][u].rank() > here;
                let worse_urgency = u > 0 && self.cells[i][u - 1].rank() > here;
                if worse_impact || worse_urgency {
                    return Err(MatrixError::NotMonotone {
                        impact: Level::ALL[i],
                        urgency: Level::ALL[u],
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matrix() {
        let m = PriorityMatrix::default();
        let check = |i: &str, u: &str, p: &str| {
            let got = m.priority(i.parse().expect("impact"), u.parse().expect("urgency"));
            assert_eq!(got.as_str(), p, "impact {i}, urgency {u}");
        };
        check("critique", "critique", "critique");
        check("critique", "moyen", "haut");
        check("haut", "haut", "haut");
        check("moyen", "moyen", "moyen");
        check("bas", "critique", "moyen");
        check("bas", "bas", "bas");
        assert_eq!(m.validate(), Ok(()));
    }

    #[test]
    fn a_matrix_that_lowers_priority_is_refused() {
        let mut m = PriorityMatrix::default();
        m.cells[1][1] = Priority::Bas;
        assert!(matches!(m.validate(), Err(MatrixError::NotMonotone { .. })));
    }

    #[test]
    fn labels() {
        assert_eq!(Priority::Critique.label(), "P1");
        assert_eq!(Priority::Bas.rank(), 4);
        assert!("urgent".parse::<Priority>().is_err());
    }
}
