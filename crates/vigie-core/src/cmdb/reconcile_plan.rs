//! The planning of an import: item lines first (create, update, merge),
//! then relation lines (references, allowed types, cycles).

use super::super::graph::{Indexer, find_cycle};
use super::super::rules::check_attributes;
use super::super::{CiStatus, Criticality, Identifier};
use super::*;
use std::collections::{HashMap, HashSet};

struct Known<'a> {
    by_name: HashMap<&'a str, &'a KnownCi>,
    by_identifier: HashMap<&'a Identifier, &'a KnownCi>,
}

/// Plans an import of `items` and `relations` (each with its line number)
/// against the `known` items and relations of the tenant.
pub fn plan(
    known: &[KnownCi],
    known_relations: &[KnownRelation],
    items: &[(usize, CiDraft)],
    relations: &[(usize, RelationDraft)],
) -> ImportPlan {
    let index = Known {
        by_name: known.iter().map(|k| (k.name.as_str(), k)).collect(),
        by_identifier: known
            .iter()
            .flat_map(|k| k.identifiers.iter().map(move |i| (i, k)))
            .collect(),
    };
    let mut out = ImportPlan::default();
    let mut lines_of_target: HashMap<Target, usize> = HashMap::new();
    let mut identifier_lines: HashMap<&Identifier, usize> = HashMap::new();
    let mut names: HashMap<&str, Target> = HashMap::new();
    let mut name_lines: HashMap<&str, usize> = HashMap::new();
    for (line, draft) in items {
        if let Some(other) = name_lines.insert(draft.name.as_str(), *line) {
            out.errors.push(LineError {
                line: *line,
                message: format!("line {other} has the same name"),
            });
            continue;
        }
        match plan_item(&index, *line, draft, out.items.len()) {
            Err(message) => out.errors.push(LineError {
                line: *line,
                message,
            }),
            Ok(item) => {
                if let Some(other) = lines_of_target.get(&item.target) {
                    out.errors.push(LineError {
                        line: *line,
                        message: format!("line {other} already describes this item"),
                    });
                    continue;
                }
                if let Some((id, other)) = draft
                    .identifiers
                    .iter()
                    .find_map(|i| identifier_lines.get(i).map(|l| (i, *l)))
                {
                    out.errors.push(LineError {
                        line: *line,
                        message: format!("duplicate identifier {id}: line {other} has it too"),
                    });
                    continue;
                }
                for i in &draft.identifiers {
                    identifier_lines.insert(i, *line);
                }
                lines_of_target.insert(item.target, *line);
                names.insert(draft.name.as_str(), item.target);
                out.items.push(item);
            }
        }
    }
    plan_relations(&index, known_relations, relations, &names, &mut out);
    out
}

fn plan_item(
    known: &Known<'_>,
    line: usize,
    draft: &CiDraft,
    position: usize,
) -> Result<ItemPlan, String> {
    check_attributes(draft.ci_type, &draft.attributes).map_err(|e| e.to_string())?;
    let by_name = known.by_name.get(draft.name.as_str()).copied();
    let mut matched: Vec<&KnownCi> = draft
        .identifiers
        .iter()
        .filter_map(|i| known.by_identifier.get(i).copied())
        .collect();
    matched.sort_by_key(|k| k.id);
    matched.dedup_by_key(|k| k.id);
    let other = matched
        .iter()
        .find(|m| by_name.is_none_or(|k| k.id != m.id) && (by_name.is_some() || matched.len() > 1));
    if let Some(m) = other {
        return Err(if m.reachable {
            format!(
                "its identifiers also name `{}`, another item: merge them by hand first",
                m.name
            )
        } else {
            "one of its identifiers belongs to an item outside your scope".to_owned()
        });
    }
    let existing = match (by_name, matched.first()) {
        (Some(k), _) => Some((k, false)),
        (None, Some(m)) => Some((*m, true)),
        (None, None) => None,
    };
    let Some((k, merge)) = existing else {
        return Ok(ItemPlan {
            line,
            action: LineAction::Create,
            target: Target::New(position),
            name: draft.name.clone(),
            after: CiDraft {
                status: Some(draft.status.unwrap_or(CiStatus::InService)),
                criticality: Some(draft.criticality.unwrap_or(Criticality::Medium)),
                ..draft.clone()
            },
            new_identifiers: draft.identifiers.clone(),
            changes: Vec::new(),
            conflicts: Vec::new(),
        });
    };
    if !k.reachable {
        return Err(format!(
            "`{}` or one of its identifiers belongs to an item outside your scope",
            draft.name
        ));
    }
    if k.ci_type != draft.ci_type {
        return Err(format!(
            "`{}` is a known {}, not a {}",
            k.name, k.ci_type, draft.ci_type
        ));
    }
    Ok(reconcile(line, k, draft, merge))
}

fn reconcile(line: usize, k: &KnownCi, draft: &CiDraft, merge: bool) -> ItemPlan {
    let mut changes = Vec::new();
    let mut conflicts = Vec::new();
    let mut after = CiDraft {
        ci_type: k.ci_type,
        name: k.name.clone(),
        status: Some(k.status),
        criticality: Some(k.criticality),
        identifiers: k.identifiers.clone(),
        attributes: k.attributes.clone(),
    };
    let mut field = |name: String, known: Option<String>, incoming: Option<String>| -> bool {
        match (known, incoming) {
            (_, None) => false,
            (Some(a), Some(b)) if a == b => false,
            (Some(a), Some(b)) if merge => {
                conflicts.push(Conflict {
                    field: name,
                    known: a,
                    incoming: b,
                });
                false
            }
            (before, after) => {
                changes.push(Change {
                    field: name,
                    before,
                    after,
                });
                true
            }
        }
    };
    if merge {
        field(
            "name".into(),
            Some(k.name.clone()),
            Some(draft.name.clone()),
        );
    }
    let status = draft.status.map(|s| s.as_str().to_owned());
    if field("status".into(), Some(k.status.as_str().into()), status) {
        after.status = draft.status;
    }
    let criticality = draft.criticality.map(|c| c.as_str().to_owned());
    if field(
        "criticality".into(),
        Some(k.criticality.as_str().into()),
        criticality,
    ) {
        after.criticality = draft.criticality;
    }
    for (name, value) in &draft.attributes {
        let known = k.attributes.get(name).cloned();
        if field(format!("attributes.{name}"), known, Some(value.clone())) {
            after.attributes.insert(name.clone(), value.clone());
        }
    }
    let new_identifiers: Vec<Identifier> = draft
        .identifiers
        .iter()
        .filter(|i| !k.identifiers.contains(i))
        .cloned()
        .collect();
    for i in &new_identifiers {
        changes.push(Change {
            field: "identifier".into(),
            before: None,
            after: Some(i.to_string()),
        });
        after.identifiers.push(i.clone());
    }
    // Conflicts alone change nothing: the same file imported twice is
    // unchanged the second time, its conflicts still listed.
    let action = match (merge, changes.is_empty()) {
        (_, true) => LineAction::Unchanged,
        (true, false) => LineAction::Merge,
        (false, false) => LineAction::Update,
    };
    ItemPlan {
        line,
        action,
        target: Target::Known(k.id),
        name: k.name.clone(),
        after,
        new_identifiers,
        changes,
        conflicts,
    }
}

fn plan_relations(
    known: &Known<'_>,
    known_relations: &[KnownRelation],
    relations: &[(usize, RelationDraft)],
    names: &HashMap<&str, Target>,
    out: &mut ImportPlan,
) {
    let types: HashMap<i64, super::super::CiType> =
        known.by_name.values().map(|k| (k.id, k.ci_type)).collect();
    let existing: HashSet<(i64, i64, RelationType)> = known_relations
        .iter()
        .map(|r| (r.from, r.to, r.relation))
        .collect();
    let mut seen: HashSet<(Target, Target, RelationType)> = HashSet::new();
    let resolve = |name: &str| -> Option<Target> {
        names.get(name).copied().or_else(|| {
            known
                .by_name
                .get(name)
                .filter(|k| k.reachable)
                .map(|k| Target::Known(k.id))
        })
    };
    for (line, draft) in relations {
        let refuse = |message: String| LineError {
            line: *line,
            message,
        };
        let (Some(from), Some(to)) = (resolve(&draft.from), resolve(&draft.to)) else {
            let missing = if resolve(&draft.from).is_none() {
                &draft.from
            } else {
                &draft.to
            };
            out.errors.push(refuse(format!(
                "no item is named `{missing}` in the file or your scope"
            )));
            continue;
        };
        let ty = |t: Target| match t {
            Target::Known(id) => types.get(&id).copied(),
            Target::New(i) => out.items.get(i).map(|p| p.after.ci_type),
        };
        if let (Some(a), Some(b)) = (ty(from), ty(to))
            && let Err(e) = draft.relation.check_types(a, b)
        {
            out.errors.push(refuse(e.to_string()));
            continue;
        }
        if from == to && draft.relation.acyclic() {
            out.errors.push(refuse(format!(
                "an item cannot be {} itself",
                draft.relation
            )));
            continue;
        }
        if !seen.insert((from, to, draft.relation)) {
            out.errors
                .push(refuse("the same relation appears twice".into()));
            continue;
        }
        let action = match (from, to) {
            (Target::Known(a), Target::Known(b)) if existing.contains(&(a, b, draft.relation)) => {
                LineAction::Unchanged
            }
            _ => LineAction::Create,
        };
        out.relations.push(RelationPlan {
            line: *line,
            action,
            from,
            to,
            draft: draft.clone(),
        });
    }
    refuse_cycles(known_relations, out);
}

/// Refuses the new relations that close a cycle in an acyclic relation type.
fn refuse_cycles(known_relations: &[KnownRelation], out: &mut ImportPlan) {
    let key = |t: Target| match t {
        Target::Known(id) => id,
        Target::New(i) => -(i as i64) - 1,
    };
    for relation in RelationType::ALL.iter().copied().filter(|r| r.acyclic()) {
        loop {
            let mut ix = Indexer::new();
            let mut edges: Vec<(u32, u32)> = known_relations
                .iter()
                .filter(|r| r.relation == relation)
                .map(|r| (ix.insert(r.from), ix.insert(r.to)))
                .collect();
            let new: Vec<usize> = (0..out.relations.len())
                .filter(|i| {
                    let r = &out.relations[*i];
                    r.draft.relation == relation && r.action == LineAction::Create
                })
                .collect();
            if new.is_empty() {
                break;
            }
            let first_new = edges.len();
            for i in &new {
                let r = &out.relations[*i];
                edges.push((ix.insert(key(r.from)), ix.insert(key(r.to))));
            }
            let Some(cycle) = find_cycle(ix.len(), &edges) else {
                break;
            };
            // Refuse the last new relation on the cycle, then look again.
            let on_cycle = |e: &(u32, u32)| cycle.windows(2).any(|w| w[0] == e.0 && w[1] == e.1);
            let Some(pos) = (first_new..edges.len())
                .rev()
                .find(|p| on_cycle(&edges[*p]))
            else {
                break;
            };
            let removed = out.relations.remove(new[pos - first_new]);
            out.errors.push(LineError {
                line: removed.line,
                message: format!(
                    "`{}` {} `{}` would close a cycle",
                    removed.draft.from, relation, removed.draft.to
                ),
            });
        }
    }
    out.errors.sort_by_key(|e| e.line);
}
