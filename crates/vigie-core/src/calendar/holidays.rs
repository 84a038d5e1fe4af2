//! Public holidays: the date of Easter and the French list built on it.
//!
//! Easter Sunday is computed with the anonymous Gregorian algorithm (Meeus /
//! Jones / Butcher). France's eleven public holidays are three moving ones
//! (Easter Monday, Ascension, Whit Monday) and eight fixed dates. Tenants add
//! their own dates (local patron saints, "ponts") on top.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use jiff::civil::Date;

/// The date of Easter Sunday in the Gregorian calendar, for years 1583 to
/// 9999 (`None` outside: the Gregorian reform dates from 1582).
pub fn easter(year: i16) -> Option<Date> {
    if !(1583..=9999).contains(&year) {
        return None;
    }
    let y = i32::from(year);
    // Position in the 19-year Metonic cycle of lunar phases.
    let a = y % 19;
    let (century, year_of_century) = (y / 100, y % 100);
    // Gregorian leap-year corrections per century.
    let (skipped_leaps, century_rest) = (century / 4, century % 4);
    // Lunar (Metonic) correction.
    let lunar = (century - (century + 8) / 25 + 1) / 3;
    // Days from 21 March to the paschal full moon, modulo the epact.
    let h = (19 * a + century - skipped_leaps - lunar + 15) % 30;
    let (leaps, year_rest) = (year_of_century / 4, year_of_century % 4);
    // Days from the full moon to the following Sunday.
    let l = (32 + 2 * century_rest + 2 * leaps - h - year_rest) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    let month = i8::try_from(n / 31).ok()?;
    let day = i8::try_from(n % 31 + 1).ok()?;
    Date::new(year, month, day).ok()
}

/// A set of public holiday dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    dates: BTreeSet<Date>,
}

impl Holidays {
    /// No holiday.
    pub fn new() -> Holidays {
        Holidays::default()
    }

    /// France's eleven public holidays for each year of `years`: 1 January,
    /// Easter Monday, 1 May, 8 May, Ascension (Easter + 39 days), Whit Monday
    /// (Easter + 50 days), 14 July, 15 August, 1 November, 11 November and 25
    /// December. Years outside 1583–9999 are skipped. When Ascension falls on
    /// 1 or 8 May, the year has ten dates.
    pub fn france(years: RangeInclusive<i16>) -> Holidays {
        let mut holidays = Holidays::new();
        for year in years {
            holidays.add_french_year(year);
        }
        holidays
    }

    /// The French holidays plus the two extra days of Alsace and Moselle:
    /// Good Friday (Easter − 2 days) and 26 December.
    pub fn alsace_moselle(years: RangeInclusive<i16>) -> Holidays {
        let mut holidays = Holidays::new();
        for year in years {
            if holidays.add_french_year(year) {
                holidays.add_relative_to_easter(year, &[-2]);
                holidays.add_fixed(year, &[(12, 26)]);
            }
        }
        holidays
    }

    /// Adds one year of French holidays; false if the year is unsupported.
    fn add_french_year(&mut self, year: i16) -> bool {
        if easter(year).is_none() {
            return false;
        }
        self.add_relative_to_easter(year, &[1, 39, 50]);
        self.add_fixed(
            year,
            &[
                (1, 1),
                (5, 1),
                (5, 8),
                (7, 14),
                (8, 15),
                (11, 1),
                (11, 11),
                (12, 25),
            ],
        );
        true
    }

    fn add_relative_to_easter(&mut self, year: i16, days: &[i32]) {
        let Some(sunday) = easter(year) else { return };
        for &offset in days {
            if let Ok(date) = sunday.checked_add(jiff::Span::new().days(offset)) {
                self.dates.insert(date);
            }
        }
    }

    fn add_fixed(&mut self, year: i16, month_days: &[(i8, i8)]) {
        for &(month, day) in month_days {
            if let Ok(date) = Date::new(year, month, day) {
                self.dates.insert(date);
            }
        }
    }

    /// Adds a date; returns whether it was new.
    pub fn insert(&mut self, date: Date) -> bool {
        self.dates.insert(date)
    }

    /// Whether `date` is a holiday.
    pub fn contains(&self, date: Date) -> bool {
        self.dates.contains(&date)
    }

    /// The dates, in order.
    pub fn iter(&self) -> impl Iterator<Item = Date> + '_ {
        self.dates.iter().copied()
    }

    /// How many dates.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether there is no date.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }
}

impl Extend<Date> for Holidays {
    fn extend<I: IntoIterator<Item = Date>>(&mut self, dates: I) {
        self.dates.extend(dates);
    }
}

impl FromIterator<Date> for Holidays {
    fn from_iter<I: IntoIterator<Item = Date>>(dates: I) -> Holidays {
        Holidays {
            dates: dates.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn check_easter(year: i16, expected: Option<Date>) {
        assert_eq!(easter(year), expected, "Easter {year}");
    }

    #[test]
    fn easter_matches_the_published_tables() {
        // The brief's dates, then the extremes of the cycle: 22 March is the
        // earliest possible Easter (1818, 2285), 25 April the latest (1886,
        // 1943, 2038).
        check_easter(2024, Some(date(2024, 3, 31)));
        check_easter(2025, Some(date(2025, 4, 20)));
        check_easter(2026, Some(date(2026, 4, 5)));
        check_easter(2027, Some(date(2027, 3, 28)));
        check_easter(2038, Some(date(2038, 4, 25)));
        check_easter(1818, Some(date(1818, 3, 22)));
        check_easter(2285, Some(date(2285, 3, 22)));
        check_easter(1886, Some(date(1886, 4, 25)));
        check_easter(1943, Some(date(1943, 4, 25)));
        check_easter(2000, Some(date(2000, 4, 23)));
        check_easter(2008, Some(date(2008, 3, 23)));
        check_easter(2011, Some(date(2011, 4, 24)));
        check_easter(2019, Some(date(2019, 4, 21)));
        check_easter(1582, None);
        check_easter(-5, None);
    }

    #[test]
    fn easter_is_always_a_sunday_between_22_march_and_25_april() {
        for year in 1583..=9999 {
            let Some(day) = easter(year) else {
                panic!("no Easter for {year}");
            };
            assert_eq!(day.weekday(), jiff::civil::Weekday::Sunday, "{day}");
            assert!(
                date(year, 3, 22) <= day && day <= date(year, 4, 25),
                "{day}"
            );
        }
    }

    #[test]
    fn the_french_holidays_of_2026() {
        let expected = [
            date(2026, 1, 1),   // Jour de l'an
            date(2026, 4, 6),   // Lundi de Pâques: Easter 5 April + 1
            date(2026, 5, 1),   // Fête du travail
            date(2026, 5, 8),   // Victoire 1945
            date(2026, 5, 14),  // Ascension: 5 April + 39
            date(2026, 5, 25),  // Lundi de Pentecôte: 5 April + 50
            date(2026, 7, 14),  // Fête nationale
            date(2026, 8, 15),  // Assomption
            date(2026, 11, 1),  // Toussaint
            date(2026, 11, 11), // Armistice
            date(2026, 12, 25), // Noël
        ];
        let got: Vec<Date> = Holidays::france(2026..=2026).iter().collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn year_ranges_and_collisions() {
        // In 2008 Easter was 23 March, so Ascension fell on 1 May: ten dates.
        assert_eq!(Holidays::france(2008..=2008).len(), 10);
        assert_eq!(Holidays::france(2025..=2030).len(), 66);
        let (from, to) = (2030, 2025);
        assert!(Holidays::france(from..=to).is_empty(), "an empty range");
        assert!(Holidays::france(1500..=1582).is_empty());
        let alsace = Holidays::alsace_moselle(2026..=2026);
        assert_eq!(alsace.len(), 13);
        assert!(alsace.contains(date(2026, 4, 3)), "Vendredi saint");
        assert!(alsace.contains(date(2026, 12, 26)), "Saint-Étienne");
    }

    #[test]
    fn tenants_add_their_own_dates() {
        let mut holidays = Holidays::france(2026..=2026);
        assert!(holidays.insert(date(2026, 5, 15)), "the Ascension bridge");
        assert!(!holidays.insert(date(2026, 5, 14)), "already there");
        holidays.extend([date(2026, 12, 24)]);
        assert_eq!(holidays.len(), 13);
        let custom: Holidays = [date(2026, 6, 1)].into_iter().collect();
        assert!(custom.contains(date(2026, 6, 1)));
    }
}
