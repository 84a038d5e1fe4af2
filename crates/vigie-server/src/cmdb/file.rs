//! The CMDB file formats, read and written the same way by the API, the
//! web UI and `vigie import cmdb`.
//!
//! CSV: one header line, then one line per item or relation, told apart by
//! the `record` column:
//!
//! ```text
//! record,type,name,status,criticality,identifiers,attributes,target,redundancy_group,redundancy_needs
//! ci,server,srv-erp-01,in_service,high,hostname:srv-erp-01;serial:CZ100,model=R650;os=RHEL 9,,,
//! relation,located_in,srv-erp-01,,,,,Baie A,,
//! ```
//!
//! JSON: `{"items": [{"type", "name", "status", "criticality",
//! "identifiers": ["kind:value"], "attributes": {}}], "relations": [{"from",
//! "to", "type", "redundancy_group", "redundancy_needs"}]}`. Lines of JSON
//! items are counted from 1 in each list (items, then relations after them).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vigie_core::cmdb::reconcile::{CiDraft, LineError, RelationDraft};
use vigie_core::cmdb::{CiStatus, CiType, Criticality, Identifier, RelationType};

/// The columns of the CSV format, in order.
pub const CSV_COLUMNS: [&str; 10] = [
    "record",
    "type",
    "name",
    "status",
    "criticality",
    "identifiers",
    "attributes",
    "target",
    "redundancy_group",
    "redundancy_needs",
];

/// The lines of a file, parsed; lines that could not be read are errors.
#[derive(Debug, Default)]
pub struct ParsedFile {
    /// Item lines.
    pub items: Vec<(usize, CiDraft)>,
    /// Relation lines.
    pub relations: Vec<(usize, RelationDraft)>,
    /// Lines that could not be read.
    pub errors: Vec<LineError>,
}

/// An item of the JSON format.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileItem {
    /// The item type.
    #[serde(rename = "type")]
    pub ci_type: String,
    /// Its name, unique in the tenant.
    pub name: String,
    /// Its lifecycle status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Its criticality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<String>,
    /// `kind:value` identifiers.
    #[serde(default)]
    pub identifiers: Vec<String>,
    /// Free attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// A relation of the JSON format.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRelation {
    /// The source item's name.
    pub from: String,
    /// The target item's name.
    pub to: String,
    /// The relation type.
    #[serde(rename = "type")]
    pub relation: String,
    /// The redundancy group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redundancy_group: Option<String>,
    /// How many of the group must be up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redundancy_needs: Option<u32>,
}

/// The JSON format.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CmdbFile {
    /// The items.
    #[serde(default)]
    pub items: Vec<FileItem>,
    /// The relations.
    #[serde(default)]
    pub relations: Vec<FileRelation>,
}

fn named<T: std::str::FromStr>(value: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|e: T::Err| e.to_string())
}

fn item_draft(item: &FileItem) -> Result<CiDraft, String> {
    let name = item.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err("a name has 1 to 200 characters, without control characters".into());
    }
    let ci_type: CiType = item.ci_type.trim().parse().map_err(|e| format!("{e}"))?;
    let identifiers = item
        .identifiers
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Identifier::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CiDraft {
        ci_type,
        name: name.to_owned(),
        status: named::<CiStatus>(item.status.as_deref().unwrap_or(""))?,
        criticality: named::<Criticality>(item.criticality.as_deref().unwrap_or(""))?,
        identifiers,
        attributes: item
            .attributes
            .iter()
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect(),
    })
}

fn relation_draft(r: &FileRelation) -> Result<RelationDraft, String> {
    let relation: RelationType = r.relation.trim().parse().map_err(|e| format!("{e}"))?;
    let redundancy = match (&r.redundancy_group, r.redundancy_needs) {
        (Some(g), needs) if !g.trim().is_empty() => {
            Some((g.trim().to_owned(), needs.unwrap_or(1).max(1)))
        }
        _ => None,
    };
    Ok(RelationDraft {
        from: r.from.trim().to_owned(),
        to: r.to.trim().to_owned(),
        relation,
        redundancy,
    })
}

impl ParsedFile {
    fn push_item(&mut self, line: usize, item: &FileItem) {
        match item_draft(item) {
            Ok(d) => self.items.push((line, d)),
            Err(message) => self.errors.push(LineError { line, message }),
        }
    }

    fn push_relation(&mut self, line: usize, r: &FileRelation) {
        match relation_draft(r) {
            Ok(d) => self.relations.push((line, d)),
            Err(message) => self.errors.push(LineError { line, message }),
        }
    }
}

/// Reads a JSON file.
pub fn parse_json(bytes: &[u8]) -> ParsedFile {
    let mut out = ParsedFile::default();
    match serde_json::from_slice::<CmdbFile>(bytes) {
        Err(e) => out.errors.push(LineError {
            line: e.line(),
            message: format!("not a CMDB JSON file: {e}"),
        }),
        Ok(file) => {
            for (i, item) in file.items.iter().enumerate() {
                out.push_item(i + 1, item);
            }
            let base = file.items.len();
            for (i, r) in file.relations.iter().enumerate() {
                out.push_relation(base + i + 1, r);
            }
        }
    }
    out
}

/// Reads a CSV file (UTF-8, comma-separated, the header of [`CSV_COLUMNS`]).
pub fn parse_csv(bytes: &[u8]) -> ParsedFile {
    let mut out = ParsedFile::default();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        out.errors.push(LineError {
            line,
            message: "the file is not UTF-8 here: save it as UTF-8 and import it again".into(),
        });
        return out;
    }
    let header = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    if !header.contains(&b',') {
        let found = [b';', b'\t', b'|'].into_iter().find(|d| header.contains(d));
        out.errors.push(LineError {
            line: 1,
            message: match found {
                Some(d) => format!(
                    "the file is separated by `{}`: the CMDB format is comma-separated",
                    (d as char).escape_default()
                ),
                None => format!("the header must list the columns {}", CSV_COLUMNS.join(",")),
            },
        });
        return out;
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let columns: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_lowercase()).collect(),
        Err(e) => {
            out.errors.push(LineError {
                line: 1,
                message: format!("unreadable header: {e}"),
            });
            return out;
        }
    };
    if let Some(missing) = ["record", "type", "name"]
        .iter()
        .find(|c| !columns.iter().any(|h| h == *c))
    {
        out.errors.push(LineError {
            line: 1,
            message: format!(
                "the header lacks the column `{missing}` (expected {})",
                CSV_COLUMNS.join(",")
            ),
        });
        return out;
    }
    let col = |name: &str| columns.iter().position(|h| h == name);
    let at = |record: &csv::StringRecord, name: &str| -> String {
        col(name)
            .and_then(|i| record.get(i))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map(|p| p.line() as usize)
            .unwrap_or(i + 2);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.errors.push(LineError {
                    line,
                    message: format!("unreadable line: {e}"),
                });
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match at(&record, "record").as_str() {
            "ci" | "item" => {
                let attributes = split_pairs(&at(&record, "attributes"));
                match attributes {
                    Err(message) => out.errors.push(LineError { line, message }),
                    Ok(attributes) => out.push_item(
                        line,
                        &FileItem {
                            ci_type: at(&record, "type"),
                            name: at(&record, "name"),
                            status: Some(at(&record, "status")),
                            criticality: Some(at(&record, "criticality")),
                            identifiers: at(&record, "identifiers")
                                .split(';')
                                .map(str::to_owned)
                                .collect(),
                            attributes,
                        },
                    ),
                }
            }
            "relation" => {
                let needs = at(&record, "redundancy_needs");
                let redundancy_needs = match needs.parse::<u32>() {
                    Ok(n) => Some(n),
                    Err(_) if needs.is_empty() => None,
                    Err(_) => {
                        out.errors.push(LineError {
                            line,
                            message: format!("`redundancy_needs` must be a number, not `{needs}`"),
                        });
                        continue;
                    }
                };
                out.push_relation(
                    line,
                    &FileRelation {
                        from: at(&record, "name"),
                        to: at(&record, "target"),
                        relation: at(&record, "type"),
                        redundancy_group: Some(at(&record, "redundancy_group")),
                        redundancy_needs,
                    },
                );
            }
            other => out.errors.push(LineError {
                line,
                message: format!(
                    "unknown record `{}`: use `ci` or `relation`",
                    other.chars().take(32).collect::<String>()
                ),
            }),
        }
    }
    out
}

fn split_pairs(text: &str) -> Result<BTreeMap<String, String>, String> {
    text.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| format!("attribute `{}` must read name=value", p.trim()))
        })
        .collect()
}

/// Writes items and relations as CSV.
pub fn write_csv(file: &CmdbFile) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for i in &file.items {
        let attributes: Vec<String> = i
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        w.write_record([
            "ci",
            &i.ci_type,
            &i.name,
            i.status.as_deref().unwrap_or(""),
            i.criticality.as_deref().unwrap_or(""),
            &i.identifiers.join(";"),
            &attributes.join(";"),
            "",
            "",
            "",
        ])?;
    }
    for r in &file.relations {
        let needs = r
            .redundancy_needs
            .map(|n| n.to_string())
            .unwrap_or_default();
        w.write_record([
            "relation",
            &r.relation,
            &r.from,
            "",
            "",
            "",
            "",
            &r.to,
            r.redundancy_group.as_deref().unwrap_or(""),
            &needs,
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_and_reports_bad_lines() {
        let text = "record,type,name,status,criticality,identifiers,attributes,target,redundancy_group,redundancy_needs\n\
            ci,server,srv-1,in_service,high,hostname:srv-1;serial:ab1,model=R650,,,\n\
            ci,mainframe,big,,,,,,,\n\
            relation,located_in,srv-1,,,,,Baie A,,\n\
            relation,depends_on,svc,,,,,srv-1,g,x\n";
        let parsed = parse_csv(text.as_bytes());
        assert_eq!(parsed.items.len(), 1);
        assert_eq!(parsed.relations.len(), 1);
        let lines: Vec<usize> = parsed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 5]);
        assert_eq!(parsed.items[0].1.identifiers[1].value, "AB1");
    }

    #[test]
    fn wrong_delimiters_and_encodings_are_named() {
        let semi = parse_csv(b"record;type;name\nci;server;a\n");
        assert!(semi.errors[0].message.contains("`;`"), "{:?}", semi.errors);
        let latin1 = parse_csv(b"record,type,name\nci,server,caf\xe9\n");
        assert_eq!(latin1.errors[0].line, 2);
        assert!(latin1.errors[0].message.contains("UTF-8"));
    }

    #[test]
    fn json_lines_are_counted_per_record() {
        let parsed = parse_json(
            br#"{"items":[{"type":"rack","name":"A"},{"type":"nope","name":"B"}],"relations":[{"from":"A","to":"R","type":"located_in"}]}"#,
        );
        assert_eq!(parsed.items.len(), 1);
        assert_eq!(parsed.errors[0].line, 2);
        assert_eq!(parsed.relations[0].0, 3);
        assert_eq!(parse_json(b"{").errors.len(), 1);
    }
}
