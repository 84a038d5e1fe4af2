//! Conflicts between changes: two changes whose planned windows overlap and
//! that touch the same item, or items one of which depends on the other
//! (a change on a rack and one on a server in it; a change on a database
//! and one on the application that needs it).
//!
//! The check is one walk of the CMDB from the new change's items, up (what
//! they need) and down (what needs them), marking the related items; then
//! each scheduled change whose window overlaps is looked at item by item.
//! Items unknown to the graph (retired since) still conflict with
//! themselves. Windows are `[start, end)`: a change ending at 02:00 and one
//! starting at 02:00 do not overlap.

use crate::cmdb::graph::{Dependencies, Indexer};
use crate::ids::{ChangeId, CiId};
use crate::sla::availability::Interval;
use serde::Serialize;
use std::collections::HashSet;

/// Another change as the check sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedChange {
    /// Its id.
    pub id: ChangeId,
    /// Its number in the tenant.
    pub number: i64,
    /// Its planned window.
    pub window: Interval,
    /// The items it touches.
    pub items: Vec<CiId>,
}

/// How the other change meets this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Both touch this item.
    SameItem,
    /// The other touches an item that depends on one of ours, or that one
    /// of ours depends on.
    DependentItem,
}

/// A conflict with another change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The other change.
    pub change: ChangeId,
    /// Its number.
    pub number: i64,
    /// How they meet.
    pub relation: Relation,
    /// The other change's item where they meet.
    pub item: CiId,
}

impl Conflict {
    /// A sentence for the person scheduling.
    pub fn describe(&self) -> String {
        match self.relation {
            Relation::SameItem => format!(
                "change #{} touches the same item (#{}) in an overlapping window",
                self.number, self.item
            ),
            Relation::DependentItem => format!(
                "change #{} touches item #{}, which depends on or is needed by an item of this change, in an overlapping window",
                self.number, self.item
            ),
        }
    }
}

/// The conflicts of a change touching `items` in `window` with the
/// `others` (the change itself, if listed, is skipped by `own`): at most
/// one per other change, the closest relation first (same item).
pub fn conflicts(
    dependencies: &Dependencies,
    index: &Indexer,
    own: Option<ChangeId>,
    items: &[CiId],
    window: Interval,
    others: &[PlannedChange],
) -> Vec<Conflict> {
    let mut found = Vec::new();
    let overlapping: Vec<&PlannedChange> = others
        .iter()
        .filter(|o| Some(o.id) != own && o.window.start < window.end && window.start < o.window.end)
        .collect();
    if overlapping.is_empty() || items.is_empty() {
        return found;
    }
    let mine: HashSet<CiId> = items.iter().copied().collect();
    let indices: Vec<u32> = items.iter().filter_map(|c| index.get(c.0)).collect();
    let related = dependencies.related(&indices);
    for other in overlapping {
        let same = other.items.iter().find(|c| mine.contains(c));
        let meeting = match same {
            Some(item) => Some((Relation::SameItem, *item)),
            None => other
                .items
                .iter()
                .find(|c| {
                    index
                        .get(c.0)
                        .is_some_and(|i| related.get(i as usize).copied().unwrap_or(false))
                })
                .map(|item| (Relation::DependentItem, *item)),
        };
        if let Some((relation, item)) = meeting {
            found.push(Conflict {
                change: other.id,
                number: other.number,
                relation,
                item,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    // Items: 10 room, 11 rack A, 12 rack B, 13 server in A, 14 server in B,
    // 15 application on 13, 16 database needed by 15.
    fn estate() -> (Dependencies, Indexer) {
        let mut index = Indexer::new();
        for id in 10..=16 {
            index.insert(id);
        }
        let i = |id: i64| index.get(id).unwrap();
        let edges = [
            (i(11), i(10)),
            (i(12), i(10)),
            (i(13), i(11)),
            (i(14), i(12)),
            (i(15), i(13)),
            (i(15), i(16)),
        ];
        (Dependencies::new(index.len(), &edges), index)
    }

    fn at(h: i64) -> Timestamp {
        Timestamp::from_second(1_768_000_000 + h * 3600).unwrap()
    }

    fn other(id: i64, from: i64, to: i64, items: &[i64]) -> PlannedChange {
        PlannedChange {
            id: ChangeId(id),
            number: id,
            window: Interval::new(at(from), at(to)),
            items: items.iter().map(|i| CiId(*i)).collect(),
        }
    }

    fn check(items: &[i64], from: i64, to: i64, others: &[PlannedChange]) -> Vec<(i64, Relation)> {
        let (deps, index) = estate();
        let items: Vec<CiId> = items.iter().map(|i| CiId(*i)).collect();
        conflicts(
            &deps,
            &index,
            Some(ChangeId(99)),
            &items,
            Interval::new(at(from), at(to)),
            others,
        )
        .into_iter()
        .map(|c| (c.change.0, c.relation))
        .collect()
    }

    #[test]
    fn the_same_item_at_the_same_time_conflicts() {
        let others = [other(1, 0, 2, &[13])];
        assert_eq!(check(&[13], 1, 3, &others), vec![(1, Relation::SameItem)]);
    }

    #[test]
    fn parent_and_child_items_conflict_both_ways() {
        // A change on rack A and one on the server in it.
        let on_server = [other(1, 0, 2, &[13])];
        assert_eq!(
            check(&[11], 0, 2, &on_server),
            vec![(1, Relation::DependentItem)]
        );
        let on_rack = [other(2, 0, 2, &[11])];
        assert_eq!(
            check(&[13], 0, 2, &on_rack),
            vec![(2, Relation::DependentItem)]
        );
        // Transitively: the room and the application on the server.
        let on_room = [other(3, 0, 2, &[10])];
        assert_eq!(
            check(&[15], 0, 2, &on_room),
            vec![(3, Relation::DependentItem)]
        );
    }

    #[test]
    fn siblings_do_not_conflict() {
        // Servers in racks A and B share the room but not each other.
        assert!(check(&[13], 0, 2, &[other(1, 0, 2, &[14])]).is_empty());
        // The database and the server the application runs on are both
        // needed by the application, not by each other.
        assert!(check(&[16], 0, 2, &[other(1, 0, 2, &[13])]).is_empty());
    }

    #[test]
    fn windows_that_only_touch_do_not_overlap() {
        let others = [other(1, 0, 2, &[13]), other(2, 4, 6, &[13])];
        assert!(check(&[13], 2, 4, &others).is_empty());
        assert_eq!(check(&[13], 2, 5, &others), vec![(2, Relation::SameItem)]);
    }

    #[test]
    fn the_change_itself_and_items_outside_the_graph() {
        // Its own earlier record is not a conflict.
        assert!(check(&[13], 0, 2, &[other(99, 0, 2, &[13])]).is_empty());
        // A retired item (not in the graph) still meets itself.
        assert_eq!(
            check(&[500], 0, 2, &[other(1, 0, 2, &[500])]),
            vec![(1, Relation::SameItem)]
        );
        assert!(check(&[500], 0, 2, &[other(1, 0, 2, &[13])]).is_empty());
    }

    #[test]
    fn one_conflict_per_other_change_the_closest_first() {
        let both = [other(1, 0, 2, &[11, 13])];
        assert_eq!(check(&[13], 0, 2, &both), vec![(1, Relation::SameItem)]);
    }
}
