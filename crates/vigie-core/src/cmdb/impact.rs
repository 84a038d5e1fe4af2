//! Impact analysis: given failing items, which items are down or degraded.
//!
//! Each item needs *groups* of other items; a group says how many of its
//! members must be up. The propagation rules, per relation `from → to`:
//!
//! - `located_in`: a lost place (fire, cooling, power cut of a whole room)
//!   takes down everything inside it, transitively; a place that is only
//!   degraded does not degrade what it holds.
//! - `powered_by`: all the feeds of an item form one group needing one feed:
//!   with two feeds, losing one leaves the item up but *degraded*, losing
//!   both takes it down. A feed located in a lost room is down with it.
//! - `connected_to`: the same for network uplinks (one is enough).
//! - `runs_on`, `hosted_by`, `provided_by`: the target down takes the
//!   source down; the target degraded degrades it.
//! - `depends_on`: like `runs_on`, unless relations carry a redundancy
//!   group: the relations of one item sharing a group name form an N-of-M
//!   group (a service with two applications needing one stays up, degraded,
//!   while one of them is).
//! - `part_of`: the whole (an environment) is degraded when one of its
//!   parts is down or degraded; it is never taken down by its parts.
//!
//! States only rise (up < degraded < down) and every group's state rises
//! with its members', so the result is the least fixed point of monotone
//! rules: more failures never give fewer impacted items nor a milder state
//! (a property test checks it). Cycles (`depends_on` may have some) are fine.

use super::graph::Adjacency;
use super::{CiType, RelationType};
use std::collections::HashMap;

/// The state of an item after the failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImpactState {
    /// Not affected.
    Up,
    /// Working but without its redundancy, or needing something degraded.
    Degraded,
    /// Not working.
    Down,
}

impl ImpactState {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImpactState::Up => "up",
            ImpactState::Degraded => "degraded",
            ImpactState::Down => "down",
        }
    }
}

/// How many members of a redundancy group must stay up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redundancy<'a> {
    /// The group's name, shared by the relations of one item.
    pub group: &'a str,
    /// How many members must be up.
    pub needs: u32,
}

/// A relation between two items given by their indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link<'a> {
    /// The source.
    pub from: u32,
    /// The target.
    pub to: u32,
    /// The relation type.
    pub relation: RelationType,
    /// Its redundancy group, if any.
    pub redundancy: Option<Redundancy<'a>>,
}

#[derive(Clone, Copy, Debug)]
struct Group {
    dependent: u32,
    size: u32,
    needs: u32,
    /// `located_in`: only a lost member counts.
    location: bool,
    /// `part_of`: the dependent is degraded, never down.
    degrade_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum GroupKey<'a> {
    Named(&'a str),
    Power,
    Network,
    Link(usize),
}

/// The items of a tenant and what each needs, ready for impact analysis.
#[derive(Clone, Debug)]
pub struct ImpactGraph {
    types: Vec<CiType>,
    groups: Vec<Group>,
    member_of: Adjacency,
}

impl ImpactGraph {
    /// Builds the graph of items `0..types.len()` (`types[i]` is item `i`'s
    /// type) from their relations. Links to unknown indices are skipped.
    pub fn new(types: Vec<CiType>, links: &[Link<'_>]) -> Self {
        let n = types.len() as u32;
        let mut keys: HashMap<(u32, GroupKey<'_>), u32> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut memberships: Vec<(u32, u32)> = Vec::with_capacity(links.len());
        for (i, link) in links.iter().enumerate() {
            if link.from >= n || link.to >= n {
                continue;
            }
            let (dependent, member) = match link.relation {
                RelationType::PartOf => (link.to, link.from),
                _ => (link.from, link.to),
            };
            let (key, needs) = match (link.relation, link.redundancy) {
                (RelationType::PartOf, _) => (GroupKey::Link(i), 0),
                (_, Some(r)) => (GroupKey::Named(r.group), r.needs.max(1)),
                (RelationType::PoweredBy, None) => (GroupKey::Power, 1),
                (RelationType::ConnectedTo, None) => (GroupKey::Network, 1),
                (_, None) => (GroupKey::Link(i), 1),
            };
            let next = groups.len() as u32;
            let g = *keys.entry((dependent, key)).or_insert(next);
            if g == next {
                groups.push(Group {
                    dependent,
                    size: 0,
                    needs,
                    location: link.relation == RelationType::LocatedIn,
                    degrade_only: link.relation == RelationType::PartOf,
                });
            }
            let group = &mut groups[g as usize];
            group.size += 1;
            group.needs = group.needs.max(needs);
            memberships.push((member, g));
        }
        let member_of = Adjacency::new(types.len(), memberships.iter().copied());
        ImpactGraph {
            types,
            groups,
            member_of,
        }
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether the graph holds no item.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The state of every item when the items `failing` are down.
    pub fn impact(&self, failing: &[u32]) -> Impact {
        let n = self.types.len();
        let mut state = vec![ImpactState::Up; n];
        let mut propagated = vec![ImpactState::Up; n];
        let mut cause = vec![u32::MAX; n];
        let mut down = vec![0u32; self.groups.len()];
        let mut impaired = vec![0u32; self.groups.len()];
        let mut work: Vec<u32> = Vec::new();
        for &f in failing {
            if (f as usize) < n && state[f as usize] != ImpactState::Down {
                state[f as usize] = ImpactState::Down;
                work.push(f);
            }
        }
        while let Some(m) = work.pop() {
            let (old, new) = (propagated[m as usize], state[m as usize]);
            if old == new {
                continue;
            }
            propagated[m as usize] = new;
            for &g in self.member_of.of(m) {
                let gi = g as usize;
                if old == ImpactState::Up {
                    impaired[gi] += 1;
                }
                if new == ImpactState::Down {
                    down[gi] += 1;
                }
                let group = self.groups[gi];
                let reached = group_state(&group, down[gi], impaired[gi]);
                let d = group.dependent as usize;
                if reached > state[d] {
                    state[d] = reached;
                    cause[d] = m;
                    work.push(group.dependent);
                }
            }
        }
        Impact {
            state,
            cause,
            types: self.types.clone(),
        }
    }
}

fn group_state(g: &Group, down: u32, impaired: u32) -> ImpactState {
    let up = g.size.saturating_sub(down);
    if up < g.needs {
        if g.degrade_only {
            ImpactState::Degraded
        } else {
            ImpactState::Down
        }
    } else if impaired > 0 && !g.location {
        ImpactState::Degraded
    } else {
        ImpactState::Up
    }
}

/// The result of an impact analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Impact {
    state: Vec<ImpactState>,
    cause: Vec<u32>,
    types: Vec<CiType>,
}

/// A customer's use of a business service, under an agreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceUse<'a> {
    /// The business service's index.
    pub service: u32,
    /// The customer (a tenant slug, an entity name…).
    pub customer: &'a str,
    /// The agreement (SLA) covering it, if known.
    pub sla: Option<&'a str>,
}

impl Impact {
    /// The state of item `index`.
    pub fn state(&self, index: u32) -> ImpactState {
        self.state
            .get(index as usize)
            .copied()
            .unwrap_or(ImpactState::Up)
    }

    /// The item whose failure reached `index` first (none for the failing
    /// items themselves and the unaffected ones).
    pub fn cause(&self, index: u32) -> Option<u32> {
        self.cause
            .get(index as usize)
            .copied()
            .filter(|c| *c != u32::MAX)
    }

    /// The items not up, by index.
    pub fn impacted(&self) -> impl Iterator<Item = (u32, ImpactState)> + '_ {
        self.state
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != ImpactState::Up)
            .map(|(i, s)| (i as u32, *s))
    }

    /// The business services not up, by index.
    pub fn business_services(&self) -> impl Iterator<Item = (u32, ImpactState)> + '_ {
        self.impacted()
            .filter(|(i, _)| self.types.get(*i as usize) == Some(&CiType::BusinessService))
    }

    /// The uses of impacted services, with the service's state.
    pub fn touched<'a>(&self, uses: &[ServiceUse<'a>]) -> Vec<(ServiceUse<'a>, ImpactState)> {
        uses.iter()
            .map(|u| (*u, self.state(u.service)))
            .filter(|(_, s)| *s != ImpactState::Up)
            .collect()
    }
}

#[cfg(test)]
#[path = "impact_tests.rs"]
mod tests;
