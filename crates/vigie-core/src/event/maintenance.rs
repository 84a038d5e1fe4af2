//! Maintenance windows: while one covers an item, its events are recorded
//! and grouped but open, attach or page nothing.
//!
//! A window runs from `starts_at` (included) to `ends_at` (excluded) and
//! covers either every item of the tenant (and events matched to no item),
//! or a set of items; with `include_children`, it also covers what sits
//! below them (what is located in, powered by, runs on or is hosted by them,
//! the ancestors [`super::correlate::ancestors`] finds). An event matched to
//! no item is covered only by a tenant-wide window.

use crate::ids::{CiId, MaintenanceWindowId};
use jiff::Timestamp;
use std::collections::BTreeSet;

/// What a window covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowScope {
    /// Every item of the tenant, and events matched to none.
    Tenant,
    /// These items.
    Items(BTreeSet<CiId>),
}

/// A planned window during which events raise nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// Its id.
    pub id: MaintenanceWindowId,
    /// When it starts (included).
    pub starts_at: Timestamp,
    /// When it ends (excluded).
    pub ends_at: Timestamp,
    /// What it covers.
    pub scope: WindowScope,
    /// Whether the items below the listed ones are covered too.
    pub include_children: bool,
}

impl MaintenanceWindow {
    /// Whether the window is running at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether the window covers an event on `ci` (whose ancestors are
    /// `ancestors`) at `now`.
    pub fn covers(&self, ci: Option<CiId>, ancestors: &[CiId], now: Timestamp) -> bool {
        if !self.is_active(now) {
            return false;
        }
        match (&self.scope, ci) {
            (WindowScope::Tenant, _) => true,
            (WindowScope::Items(_), None) => false,
            (WindowScope::Items(items), Some(ci)) => {
                items.contains(&ci)
                    || (self.include_children && ancestors.iter().any(|a| items.contains(a)))
            }
        }
    }
}

/// The first window (in the order given) that suppresses an event on `ci`
/// at `now`, if any.
pub fn suppressing(
    windows: &[MaintenanceWindow],
    ci: Option<CiId>,
    ancestors: &[CiId],
    now: Timestamp,
) -> Option<MaintenanceWindowId> {
    windows
        .iter()
        .find(|w| w.covers(ci, ancestors, now))
        .map(|w| w.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_715_673_600 + minute * 60).expect("time")
    }

    fn window(id: i64, scope: WindowScope, include_children: bool) -> MaintenanceWindow {
        MaintenanceWindow {
            id: MaintenanceWindowId(id),
            starts_at: at(0),
            ends_at: at(60),
            scope,
            include_children,
        }
    }

    fn items(ids: &[i64]) -> WindowScope {
        WindowScope::Items(ids.iter().map(|i| CiId(*i)).collect())
    }

    #[test]
    fn bounds() {
        let w = window(1, WindowScope::Tenant, false);
        assert!(!w.is_active(at(-1)));
        assert!(w.is_active(at(0)));
        assert!(w.is_active(at(59)));
        assert!(!w.is_active(at(60)), "the end is excluded");
    }

    #[test]
    fn scopes() {
        let rack = CiId(10);
        let server = CiId(11);
        let only_rack = window(1, items(&[10]), false);
        let rack_and_below = window(2, items(&[10]), true);
        let tenant = window(3, WindowScope::Tenant, false);
        assert!(only_rack.covers(Some(rack), &[], at(5)));
        assert!(!only_rack.covers(Some(server), &[rack], at(5)));
        assert!(rack_and_below.covers(Some(server), &[rack], at(5)));
        assert!(!rack_and_below.covers(None, &[], at(5)));
        assert!(tenant.covers(None, &[], at(5)));
        assert!(!tenant.covers(None, &[], at(61)));
    }

    #[test]
    fn the_first_covering_window_is_named() {
        let windows = [
            window(1, items(&[99]), false),
            window(2, items(&[10]), true),
            window(3, WindowScope::Tenant, false),
        ];
        let got = suppressing(&windows, Some(CiId(11)), &[CiId(10)], at(5));
        assert_eq!(got, Some(MaintenanceWindowId(2)));
        assert_eq!(
            suppressing(&windows, None, &[], at(5)),
            Some(MaintenanceWindowId(3))
        );
        assert_eq!(suppressing(&windows, None, &[], at(90)), None);
    }
}
