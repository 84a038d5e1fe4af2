//! Yearly environment resets: each environment is reset (emptied and
//! reloaded) at most once a year for each partner, in the quiet season,
//! planned with a notice period.
//!
//! *Decision*: a partner is a named organisation written as free text (a
//! member establishment, a software editor, an entity of the tenant or
//! not); two spellings that differ only in case or spaces are the same
//! partner ([`partner_key`]). The season is a range of months, possibly
//! across the new year (November–February); the tenant sets one and an
//! environment may have its own. "Once a year" counts calendar years of the
//! planned date. The notice is counted in days from `today` (the caller's
//! date) to the planned date.

use jiff::ToSpan;
use jiff::civil::Date;
use std::fmt;

/// The notice period when the tenant sets none: three weeks.
pub const DEFAULT_NOTICE_DAYS: u16 = 21;

/// The longest notice a tenant may require, in days.
pub const MAX_NOTICE_DAYS: u16 = 366;

/// A range of months, both included; `first > last` runs across the new year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Season {
    first: i8,
    last: i8,
}

/// A season or a notice that cannot be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResetRuleError {
    /// A month outside 1–12.
    #[error("`{field}` must be a month from 1 to 12, not {value}")]
    Month {
        /// `season_first_month` or `season_last_month`.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// A notice too long.
    #[error("`notice_days` must be from 0 to {MAX_NOTICE_DAYS}, not {0}")]
    Notice(i64),
}

impl Season {
    /// The persona's quiet season: July and August.
    pub const SUMMER: Season = Season { first: 7, last: 8 };

    /// The months `first` to `last` (1 = January), both included.
    pub fn new(first: i64, last: i64) -> Result<Season, ResetRuleError> {
        let month = |field, value: i64| {
            i8::try_from(value)
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or(ResetRuleError::Month { field, value })
        };
        Ok(Season {
            first: month("season_first_month", first)?,
            last: month("season_last_month", last)?,
        })
    }

    /// The first month.
    pub fn first_month(self) -> i8 {
        self.first
    }

    /// The last month.
    pub fn last_month(self) -> i8 {
        self.last
    }

    /// Whether `date` falls in the season.
    pub fn contains(self, date: Date) -> bool {
        let m = date.month();
        if self.first <= self.last {
            self.first <= m && m <= self.last
        } else {
            m >= self.first || m <= self.last
        }
    }
}

impl fmt::Display for Season {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "months {} to {}", self.first, self.last)
    }
}

/// The rules a reset is planned under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResetRules {
    /// The season (the environment's own, else the tenant's).
    pub season: Season,
    /// The notice required, in days.
    pub notice_days: u16,
}

impl ResetRules {
    /// Rules with a notice checked against [`MAX_NOTICE_DAYS`].
    pub fn new(season: Season, notice_days: i64) -> Result<ResetRules, ResetRuleError> {
        let notice_days = u16::try_from(notice_days)
            .ok()
            .filter(|n| *n <= MAX_NOTICE_DAYS)
            .ok_or(ResetRuleError::Notice(notice_days))?;
        Ok(ResetRules {
            season,
            notice_days,
        })
    }
}

impl Default for ResetRules {
    fn default() -> Self {
        ResetRules {
            season: Season::SUMMER,
            notice_days: DEFAULT_NOTICE_DAYS,
        }
    }
}

/// Why a reset cannot be planned on that date.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResetRefused {
    /// Less notice than required.
    #[error(
        "a reset must be planned at least {notice_days} days ahead; the earliest allowed date is {}",
        earliest_text(*earliest)
    )]
    TooLittleNotice {
        /// The notice required.
        notice_days: u16,
        /// The earliest date that would be allowed.
        earliest: Option<Date>,
    },
    /// Outside the season.
    #[error(
        "resets are planned in the season ({season}); the earliest allowed date is {}",
        earliest_text(*earliest)
    )]
    OutOfSeason {
        /// The season.
        season: Season,
        /// The earliest date that would be allowed.
        earliest: Option<Date>,
    },
    /// Already one that year for this environment and partner.
    #[error(
        "this environment already has a reset for this partner in {year} (on {existing}); one a year at most; the earliest allowed date is {}",
        earliest_text(*earliest)
    )]
    AlreadyThisYear {
        /// The year.
        year: i16,
        /// The reset already planned.
        existing: Date,
        /// The earliest date that would be allowed.
        earliest: Option<Date>,
    },
}

fn earliest_text(date: Option<Date>) -> String {
    date.map_or_else(
        || "beyond the next three years".to_owned(),
        |d| d.to_string(),
    )
}

/// Trims a partner's name and folds it for comparison: case and runs of
/// spaces do not make another partner.
pub fn partner_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The earliest date from `today` on at which a reset could be planned for
/// an environment and partner already reset on `existing` dates; `None` if
/// none in the next three years.
pub fn earliest_allowed(rules: &ResetRules, today: Date, existing: &[Date]) -> Option<Date> {
    let mut day = today
        .checked_add(i64::from(rules.notice_days).days())
        .ok()?;
    for _ in 0..(3 * 366) {
        let taken = existing.iter().any(|d| d.year() == day.year());
        if rules.season.contains(day) && !taken {
            return Some(day);
        }
        day = day.tomorrow().ok()?;
    }
    None
}

/// Decides a reset planned on `date`, asked on `today`, for an environment
/// and partner already reset (or to be reset) on `existing` dates.
pub fn check(
    rules: &ResetRules,
    today: Date,
    date: Date,
    existing: &[Date],
) -> Result<(), ResetRefused> {
    let earliest = || earliest_allowed(rules, today, existing);
    let notice = today.until(date).map(|s| s.get_days()).unwrap_or(i32::MIN);
    if notice < i32::from(rules.notice_days) {
        return Err(ResetRefused::TooLittleNotice {
            notice_days: rules.notice_days,
            earliest: earliest(),
        });
    }
    if !rules.season.contains(date) {
        return Err(ResetRefused::OutOfSeason {
            season: rules.season,
            earliest: earliest(),
        });
    }
    if let Some(&existing_date) = existing.iter().find(|d| d.year() == date.year()) {
        return Err(ResetRefused::AlreadyThisYear {
            year: date.year(),
            existing: existing_date,
            earliest: earliest(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn rules() -> ResetRules {
        ResetRules::default()
    }

    #[test]
    fn a_reset_in_season_with_notice_is_allowed() {
        assert_eq!(
            check(&rules(), date(2026, 6, 1), date(2026, 7, 27), &[]),
            Ok(())
        );
    }

    #[test]
    fn the_notice_is_counted_in_days_to_the_edge() {
        let today = date(2026, 7, 1);
        // Exactly 21 days: allowed; 20: refused with the earliest date.
        assert_eq!(check(&rules(), today, date(2026, 7, 22), &[]), Ok(()));
        let err = check(&rules(), today, date(2026, 7, 21), &[]).expect_err("refused");
        assert_eq!(
            err,
            ResetRefused::TooLittleNotice {
                notice_days: 21,
                earliest: Some(date(2026, 7, 22)),
            }
        );
        assert!(err.to_string().contains("at least 21 days ahead"), "{err}");
        assert!(err.to_string().contains("2026-07-22"), "{err}");
        // A date in the past is refused the same way.
        assert!(check(&rules(), today, date(2026, 6, 1), &[]).is_err());
        // No notice at all: the same day is allowed.
        let none = ResetRules::new(Season::SUMMER, 0).expect("rules");
        assert_eq!(check(&none, today, today, &[]), Ok(()));
    }

    #[test]
    fn out_of_season_names_the_season_and_the_earliest_date() {
        let err = check(&rules(), date(2026, 1, 10), date(2026, 9, 1), &[]).expect_err("refused");
        assert_eq!(
            err,
            ResetRefused::OutOfSeason {
                season: Season::SUMMER,
                earliest: Some(date(2026, 7, 1)),
            }
        );
        assert!(err.to_string().contains("months 7 to 8"), "{err}");
        // The season's edges: 1 July and 31 August are in, 30 June is out.
        let today = date(2026, 1, 1);
        assert_eq!(check(&rules(), today, date(2026, 7, 1), &[]), Ok(()));
        assert_eq!(check(&rules(), today, date(2026, 8, 31), &[]), Ok(()));
        assert!(check(&rules(), today, date(2026, 6, 30), &[]).is_err());
        // After this year's season, the earliest date is next year's.
        let late = check(&rules(), date(2026, 8, 20), date(2026, 9, 15), &[]).expect_err("refused");
        assert!(late.to_string().contains("2027-07-01"), "{late}");
    }

    #[test]
    fn a_season_can_run_across_the_new_year() {
        let winter = Season::new(11, 2).expect("season");
        for (d, inside) in [
            (date(2026, 11, 1), true),
            (date(2026, 12, 31), true),
            (date(2027, 1, 15), true),
            (date(2027, 2, 28), true),
            (date(2027, 3, 1), false),
            (date(2026, 10, 31), false),
        ] {
            assert_eq!(winter.contains(d), inside, "{d}");
        }
        assert!(Season::new(0, 5).is_err());
        assert!(Season::new(3, 13).is_err());
        assert!(ResetRules::new(winter, -1).is_err());
        assert!(ResetRules::new(winter, 367).is_err());
    }

    #[test]
    fn once_a_year_per_environment_and_partner() {
        let today = date(2026, 5, 1);
        let existing = [date(2026, 7, 20)];
        let err = check(&rules(), today, date(2026, 8, 10), &existing).expect_err("refused");
        assert_eq!(
            err,
            ResetRefused::AlreadyThisYear {
                year: 2026,
                existing: date(2026, 7, 20),
                earliest: Some(date(2027, 7, 1)),
            }
        );
        assert!(err.to_string().contains("one a year at most"), "{err}");
        // Next year is allowed; the year counts, not twelve months.
        assert_eq!(check(&rules(), today, date(2027, 7, 1), &existing), Ok(()));
    }

    #[test]
    fn partners_are_compared_without_case_or_extra_spaces() {
        assert_eq!(
            partner_key("  Caisse   Régionale Nord "),
            "caisse régionale nord"
        );
        assert_eq!(
            partner_key("CAISSE régionale NORD"),
            partner_key("caisse Régionale nord")
        );
    }
}
