//! The neighbourhood of a configuration item laid out for an inline SVG:
//! the item in the middle, its neighbours evenly on a circle, one line per
//! relation with its type at the middle of the line.

/// The side of the square drawing, in SVG units.
pub(super) const SIZE: f64 = 480.0;
const RADIUS: f64 = 170.0;

/// A neighbour placed on the circle.
pub(super) struct Node {
    /// Its id, for the link.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its position.
    pub x: String,
    /// Its position.
    pub y: String,
}

/// A relation drawn from the centre to a neighbour.
pub(super) struct Edge {
    /// The neighbour's end.
    pub x: String,
    /// The neighbour's end.
    pub y: String,
    /// Where the label sits.
    pub lx: String,
    /// Where the label sits.
    pub ly: String,
    /// The relation type, with an arrow telling its direction.
    pub label: String,
}

/// The drawing.
pub(super) struct Graph {
    /// The centre.
    pub c: String,
    /// The neighbours.
    pub nodes: Vec<Node>,
    /// The relations.
    pub edges: Vec<Edge>,
}

/// One relation seen from the item: the neighbour, the type, and whether
/// it goes out of the item.
pub(super) struct Link {
    /// The neighbour's id.
    pub id: i64,
    /// The neighbour's name.
    pub name: String,
    /// The relation type.
    pub relation: String,
    /// Whether the item is the source.
    pub outgoing: bool,
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// Lays out the relations `links` around the item.
pub(super) fn layout(links: &[Link]) -> Graph {
    let mut ids: Vec<(i64, String)> = Vec::new();
    for k in links {
        if !ids.iter().any(|(id, _)| *id == k.id) {
            ids.push((k.id, k.name.clone()));
        }
    }
    let c = SIZE / 2.0;
    let count = ids.len().max(1) as f64;
    let at = |i: usize| {
        let a = std::f64::consts::TAU * i as f64 / count - std::f64::consts::FRAC_PI_2;
        (c + RADIUS * a.cos(), c + RADIUS * a.sin())
    };
    let nodes = ids
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            let (x, y) = at(i);
            Node {
                id: *id,
                name: name.clone(),
                x: n(x),
                y: n(y),
            }
        })
        .collect();
    let edges = links
        .iter()
        .filter_map(|k| {
            let i = ids.iter().position(|(id, _)| *id == k.id)?;
            let (x, y) = at(i);
            let arrow = if k.outgoing { "→" } else { "←" };
            Some(Edge {
                x: n(x),
                y: n(y),
                lx: n((c + x) / 2.0),
                ly: n((c + y) / 2.0),
                label: format!("{arrow} {}", k.relation),
            })
        })
        .collect();
    Graph {
        c: n(c),
        nodes,
        edges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_sit_once_on_the_circle() {
        let link = |id, relation: &str, outgoing| Link {
            id,
            name: format!("n{id}"),
            relation: relation.to_owned(),
            outgoing,
        };
        let g = layout(&[
            link(2, "located_in", true),
            link(3, "runs_on", false),
            link(2, "depends_on", true),
        ]);
        assert_eq!(g.nodes.len(), 2);
        assert_eq!(g.edges.len(), 3);
        assert_eq!(
            (g.nodes[0].x.as_str(), g.nodes[0].y.as_str()),
            ("240.0", "70.0")
        );
        assert_eq!(g.edges[1].label, "← runs_on");
        assert!(layout(&[]).nodes.is_empty());
    }
}
