//! The JSON shapes of `/api/v1/cis`.

use super::super::page::page_type;
use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use vigie_core::cmdb::{CiStatus, CiType, Criticality, Identifier};
use vigie_store::{CiRecord, RelationRecord};

/// An identifier of an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentifierOut {
    /// `hostname`, `alias`, `ip`, `serial` or `external_id`.
    kind: String,
    /// The normalised value.
    value: String,
}

/// A configuration item.
#[derive(Debug, Serialize, ToSchema)]
pub struct CiOut {
    id: i64,
    tenant_id: i64,
    entity_id: i64,
    /// `site`, `room`, `rack`, `power_feed`, `network_device`, `server`,
    /// `virtual_machine`, `database`, `application`, `business_service`,
    /// `environment` or `supplier_contract`.
    #[serde(rename = "type")]
    ci_type: String,
    name: String,
    /// `planned`, `in_service`, `under_maintenance` or `retired`.
    status: String,
    /// `low`, `medium`, `high` or `critical`.
    criticality: String,
    owner_group_id: Option<i64>,
    attributes: BTreeMap<String, String>,
    identifiers: Vec<IdentifierOut>,
    created_at: String,
    updated_at: String,
}

impl From<CiRecord> for CiOut {
    fn from(c: CiRecord) -> Self {
        CiOut {
            id: c.id.0,
            tenant_id: c.tenant_id.0,
            entity_id: c.entity_id.0,
            ci_type: c.ci_type.to_string(),
            name: c.name,
            status: c.status.to_string(),
            criticality: c.criticality.to_string(),
            owner_group_id: c.owner_group_id.map(|g| g.0),
            attributes: c.attributes,
            identifiers: c
                .identifiers
                .into_iter()
                .map(|i| IdentifierOut {
                    kind: i.kind.to_string(),
                    value: i.value,
                })
                .collect(),
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

page_type!(CiPage, CiOut);

/// An item to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CiIn {
    /// The entity it belongs to.
    pub entity_id: i64,
    /// Its type.
    #[serde(rename = "type")]
    pub ci_type: String,
    /// Its name, unique in the tenant.
    pub name: String,
    /// Default `in_service`.
    pub status: Option<String>,
    /// Default `medium`.
    pub criticality: Option<String>,
    /// The support group that owns it.
    pub owner_group_id: Option<i64>,
    /// Free attributes (an environment needs `kind`).
    pub attributes: Option<BTreeMap<String, String>>,
    /// Identifiers as `kind:value` (`hostname:srv-01`, `serial:CZ100`).
    #[serde(default)]
    pub identifiers: Vec<String>,
}

/// Changes to an item; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CiPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new status.
    pub status: Option<String>,
    /// A new criticality.
    pub criticality: Option<String>,
    /// A new owner; `null` clears it.
    #[serde(default, deserialize_with = "super::super::nullable")]
    #[schema(value_type = Option<i64>)]
    pub owner_group_id: Option<Option<i64>>,
    /// All the attributes.
    pub attributes: Option<BTreeMap<String, String>>,
    /// All the identifiers, as `kind:value`.
    pub identifiers: Option<Vec<String>>,
}

/// Filters of the item list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CiQuery {
    /// Only this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub ci_type: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this criticality.
    pub criticality: Option<String>,
    /// Only the items of this entity and below.
    pub within: Option<i64>,
    /// Name contains, or an identifier equals.
    pub q: Option<String>,
    /// How many items (1–200, default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A relation, seen from an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationOut {
    id: i64,
    /// `located_in`, `powered_by`, `connected_to`, `runs_on`, `depends_on`,
    /// `hosted_by`, `part_of` or `provided_by`.
    #[serde(rename = "type")]
    relation: String,
    from_id: i64,
    from_name: String,
    from_type: String,
    to_id: i64,
    to_name: String,
    to_type: String,
    redundancy_group: Option<String>,
    redundancy_needs: Option<i64>,
    created_at: String,
}

impl From<RelationRecord> for RelationOut {
    fn from(r: RelationRecord) -> Self {
        RelationOut {
            id: r.id.0,
            relation: r.relation.to_string(),
            from_id: r.from_id.0,
            from_name: r.from_name,
            from_type: r.from_type.to_string(),
            to_id: r.to_id.0,
            to_name: r.to_name,
            to_type: r.to_type.to_string(),
            redundancy_group: r.redundancy_group,
            redundancy_needs: r.redundancy_needs,
            created_at: r.created_at.to_string(),
        }
    }
}

/// A relation to add from the item of the path to `to_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationIn {
    /// The relation type.
    #[serde(rename = "type")]
    pub relation: String,
    /// The target item.
    pub to_id: i64,
    /// Relations of one item sharing a group form an N-of-M group.
    pub redundancy_group: Option<String>,
    /// How many members of the group must be up (default 1).
    pub redundancy_needs: Option<u32>,
}

/// Failing items to analyse.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactIn {
    /// The ids of the failing items (1 to 100, one tenant).
    pub failing: Vec<i64>,
}

/// Where an import goes and whether it is only a preview.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The entity new items belong to.
    pub entity_id: i64,
    /// Preview only (default `true`): nothing is written.
    pub dry_run: Option<bool>,
}

/// What to export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `json`.
    pub format: Option<String>,
    /// Only the items of this entity and below.
    pub within: Option<i64>,
}

pub(crate) fn parse<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e: T::Err| ApiError::invalid(field, e.to_string()))
}

pub(crate) fn identifiers(values: &[String]) -> Result<Vec<Identifier>, ApiError> {
    if values.len() > 50 {
        return Err(ApiError::invalid("identifiers", "at most 50 identifiers"));
    }
    values
        .iter()
        .map(|v| Identifier::parse(v).map_err(|e| ApiError::invalid("identifiers", e)))
        .collect()
}

pub(crate) fn attributes(
    ci_type: CiType,
    values: Option<&BTreeMap<String, String>>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let values = values.cloned().unwrap_or_default();
    vigie_core::cmdb::rules::check_attributes(ci_type, &values)
        .map_err(|e| ApiError::invalid("attributes", e.to_string()))?;
    Ok(values)
}

pub(crate) fn status(value: Option<&str>) -> Result<Option<CiStatus>, ApiError> {
    value.map(|v| parse("status", v)).transpose()
}

pub(crate) fn criticality(value: Option<&str>) -> Result<Option<Criticality>, ApiError> {
    value.map(|v| parse("criticality", v)).transpose()
}
