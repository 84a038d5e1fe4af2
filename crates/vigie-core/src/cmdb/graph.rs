//! Graphs of items over compact indices: the shells map their ids to
//! `0..n` once ([`Indexer`]), and the algorithms walk adjacency vectors.

use std::collections::HashMap;

/// Maps record ids to dense indices `0..n` and back.
#[derive(Clone, Debug, Default)]
pub struct Indexer {
    ids: Vec<i64>,
    index: HashMap<i64, u32>,
}

impl Indexer {
    /// An empty indexer.
    pub fn new() -> Self {
        Indexer::default()
    }

    /// The index of `id`, given a new one the first time.
    pub fn insert(&mut self, id: i64) -> u32 {
        if let Some(i) = self.index.get(&id) {
            return *i;
        }
        let i = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.push(id);
        self.index.insert(id, i);
        i
    }

    /// The index of `id`, if known.
    pub fn get(&self, id: i64) -> Option<u32> {
        self.index.get(&id).copied()
    }

    /// The id at `index`.
    pub fn id(&self, index: u32) -> i64 {
        self.ids.get(index as usize).copied().unwrap_or_default()
    }

    /// How many ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no id was inserted.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Adjacency lists in one vector (compressed sparse rows).
#[derive(Clone, Debug)]
pub struct Adjacency {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Adjacency {
    /// Builds the lists of `n` nodes from `(from, to)` pairs.
    pub fn new(n: usize, edges: impl Iterator<Item = (u32, u32)> + Clone) -> Self {
        let mut offsets = vec![0u32; n + 1];
        for (from, _) in edges.clone() {
            offsets[from as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; offsets[n] as usize];
        for (from, to) in edges {
            let slot = &mut fill[from as usize];
            targets[*slot as usize] = to;
            *slot += 1;
        }
        Adjacency { offsets, targets }
    }

    /// The nodes `node` points to.
    pub fn of(&self, node: u32) -> &[u32] {
        let n = node as usize;
        match (self.offsets.get(n), self.offsets.get(n + 1)) {
            (Some(a), Some(b)) => &self.targets[*a as usize..*b as usize],
            _ => &[],
        }
    }
}

/// Which items depend on which, in both directions, for questions such as
/// "does this change touch something the other one relies on?". An edge
/// `(dependent, needed)` says that `dependent` needs `needed` (a server
/// needs its rack, the rack its room, an application the server it runs
/// on); [`RelationType::dependency`](super::RelationType::dependency)
/// orients a relation that way.
#[derive(Clone, Debug)]
pub struct Dependencies {
    needs: Adjacency,
    needed_by: Adjacency,
}

impl Dependencies {
    /// Builds the dependencies of items `0..n`; edges naming an index
    /// outside that range are skipped.
    pub fn new(n: usize, edges: &[(u32, u32)]) -> Self {
        let inside = |&&(a, b): &&(u32, u32)| (a as usize) < n && (b as usize) < n;
        let forward = edges.iter().filter(inside).copied();
        let backward = edges.iter().filter(inside).map(|&(a, b)| (b, a));
        Dependencies {
            needs: Adjacency::new(n, forward),
            needed_by: Adjacency::new(n, backward),
        }
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.needs.offsets.len().saturating_sub(1)
    }

    /// Whether there is no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks `items`, everything they need (transitively) and everything
    /// that needs them (transitively): the items a change to `items` may
    /// disturb or be disturbed by. Siblings (two servers in one rack) are
    /// not related through their common parent.
    pub fn related(&self, items: &[u32]) -> Vec<bool> {
        let n = self.len();
        let mut marked = vec![false; n];
        for adjacency in [&self.needs, &self.needed_by] {
            let mut seen = vec![false; n];
            let mut work: Vec<u32> = items
                .iter()
                .copied()
                .filter(|&i| (i as usize) < n)
                .collect();
            for &i in &work {
                seen[i as usize] = true;
            }
            while let Some(i) = work.pop() {
                marked[i as usize] = true;
                for &j in adjacency.of(i) {
                    if !seen[j as usize] {
                        seen[j as usize] = true;
                        work.push(j);
                    }
                }
            }
        }
        marked
    }
}

/// Finds a cycle among `(from, to)` edges over nodes `0..n`, self-loops
/// included, and returns its nodes in order (first node repeated last).
pub fn find_cycle(n: usize, edges: &[(u32, u32)]) -> Option<Vec<u32>> {
    if let Some((a, _)) = edges.iter().find(|(a, b)| a == b) {
        return Some(vec![*a, *a]);
    }
    let adj = Adjacency::new(n, edges.iter().copied());
    // 0: unseen, 1: on the current path, 2: done.
    let mut color = vec![0u8; n];
    let mut parent = vec![u32::MAX; n];
    for start in 0..n {
        if color[start] != 0 {
            continue;
        }
        let mut stack: Vec<(u32, usize)> = vec![(start as u32, 0)];
        color[start] = 1;
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            let Some(&to) = adj.of(node).get(*next) else {
                color[node as usize] = 2;
                stack.pop();
                continue;
            };
            *next += 1;
            match color[to as usize] {
                0 => {
                    color[to as usize] = 1;
                    parent[to as usize] = node;
                    stack.push((to, 0));
                }
                1 => {
                    let mut cycle = vec![to, node];
                    let mut at = node;
                    while at != to {
                        at = parent[at as usize];
                        cycle.push(at);
                    }
                    cycle.reverse();
                    return Some(cycle);
                }
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_self_loops_and_longer_cycles() {
        assert_eq!(find_cycle(2, &[(1, 1)]), Some(vec![1, 1]));
        assert_eq!(find_cycle(3, &[(0, 1), (1, 2)]), None);
        let cycle = find_cycle(4, &[(0, 1), (1, 2), (2, 3), (3, 1)]).expect("cycle");
        assert_eq!(cycle.first(), cycle.last());
        assert_eq!(cycle.len(), 4);
        // A diamond is not a cycle.
        assert_eq!(find_cycle(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]), None);
    }

    #[test]
    fn indexer_is_dense_and_reversible() {
        let mut ix = Indexer::new();
        assert_eq!(ix.insert(42), 0);
        assert_eq!(ix.insert(7), 1);
        assert_eq!(ix.insert(42), 0);
        assert_eq!(ix.id(1), 7);
        assert_eq!(ix.get(8), None);
        assert_eq!(ix.len(), 2);
    }
}
