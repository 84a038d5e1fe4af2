//! How an import meets the items already known: each line creates an item,
//! updates the item of the same name, or is *merged* into an item another
//! source named differently but whose identifiers match. Merges keep the
//! known values and list the differing ones as conflicts for a human.
//! Every refused line is reported with its reason; the caller writes
//! nothing unless the plan has no error.

use super::{CiStatus, CiType, Criticality, Identifier, RelationType};
use std::collections::BTreeMap;

/// An item as an import line describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiDraft {
    /// Its type.
    pub ci_type: CiType,
    /// Its name, unique in the tenant.
    pub name: String,
    /// Its status, if the line says.
    pub status: Option<CiStatus>,
    /// Its criticality, if the line says.
    pub criticality: Option<Criticality>,
    /// Its identifiers.
    pub identifiers: Vec<Identifier>,
    /// Its attributes.
    pub attributes: BTreeMap<String, String>,
}

/// An item already in the tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownCi {
    /// Its id.
    pub id: i64,
    /// Its type.
    pub ci_type: CiType,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: CiStatus,
    /// Its criticality.
    pub criticality: Criticality,
    /// Its identifiers.
    pub identifiers: Vec<Identifier>,
    /// Its attributes.
    pub attributes: BTreeMap<String, String>,
    /// Whether the importer's scope covers it (he may change it).
    pub reachable: bool,
}

/// A relation as an import line describes it: items named by their names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationDraft {
    /// The source item's name.
    pub from: String,
    /// The target item's name.
    pub to: String,
    /// The relation type.
    pub relation: RelationType,
    /// The redundancy group and how many of it must be up.
    pub redundancy: Option<(String, u32)>,
}

/// A relation already in the tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownRelation {
    /// The source item.
    pub from: i64,
    /// The target item.
    pub to: i64,
    /// The relation type.
    pub relation: RelationType,
}

/// What a line does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineAction {
    /// A new item or relation.
    Create,
    /// The item of the same name gets the line's values.
    Update,
    /// The line names, by its identifiers, an item known under another
    /// name: it fills the item's blanks.
    Merge,
    /// Nothing to change.
    Unchanged,
}

impl LineAction {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            LineAction::Create => "create",
            LineAction::Update => "update",
            LineAction::Merge => "merge",
            LineAction::Unchanged => "unchanged",
        }
    }
}

/// Which item a line ends up as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A known item.
    Known(i64),
    /// The item created by the item line at this position of the plan.
    New(usize),
}

/// A field a line changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// `status`, `criticality`, `identifier` or `attributes.<name>`.
    pub field: String,
    /// The value before.
    pub before: Option<String>,
    /// The value after.
    pub after: Option<String>,
}

/// A value two sources disagree on; the known one is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The field.
    pub field: String,
    /// The value kept.
    pub known: String,
    /// The value of the import.
    pub incoming: String,
}

/// The outcome of an item line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemPlan {
    /// The line in the file (1-based).
    pub line: usize,
    /// What it does.
    pub action: LineAction,
    /// The item it is.
    pub target: Target,
    /// The item's name after the import.
    pub name: String,
    /// The item's values after the import.
    pub after: CiDraft,
    /// Identifiers to add to the item.
    pub new_identifiers: Vec<Identifier>,
    /// The fields that change.
    pub changes: Vec<Change>,
    /// The values left for a human to decide.
    pub conflicts: Vec<Conflict>,
}

/// The outcome of a relation line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationPlan {
    /// The line in the file (1-based).
    pub line: usize,
    /// `Create` or `Unchanged`.
    pub action: LineAction,
    /// The source.
    pub from: Target,
    /// The target.
    pub to: Target,
    /// The relation as given.
    pub draft: RelationDraft,
}

/// A refused line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// The line in the file (1-based; 0 for the file as a whole).
    pub line: usize,
    /// Why.
    pub message: String,
}

/// What an import would do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// The item lines accepted.
    pub items: Vec<ItemPlan>,
    /// The relation lines accepted.
    pub relations: Vec<RelationPlan>,
    /// The lines refused.
    pub errors: Vec<LineError>,
}

impl ImportPlan {
    /// How many lines of each action (items and relations together).
    pub fn count(&self, action: LineAction) -> usize {
        self.items.iter().filter(|i| i.action == action).count()
            + self.relations.iter().filter(|r| r.action == action).count()
    }
}

#[path = "reconcile_plan.rs"]
mod plan_impl;
pub use plan_impl::plan;

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
