//! Walking a parsed JSON body with the path of each field at hand, so that a
//! refusal names where it is, and the checks every format shares.

use super::DecodeError;
use crate::event::{Details, limits};
use jiff::Timestamp;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Parses a body, refusing one that is too large or is not JSON.
pub(crate) fn parse(body: &[u8]) -> Result<Value, DecodeError> {
    if body.len() > limits::MAX_BODY_BYTES {
        return Err(DecodeError::new(
            "$",
            format!("the body is larger than {} bytes", limits::MAX_BODY_BYTES),
        ));
    }
    serde_json::from_slice(body).map_err(|e| DecodeError::new("$", format!("invalid JSON: {e}")))
}

/// The path of a member: `alerts` under the root, `payload.summary`, or
/// `labels["app.kubernetes.io/name"]` for a name that is not a plain word.
pub(crate) fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!(
            "{parent}[{}]",
            Value::String(key.chars().take(64).collect())
        ),
    }
}

/// Where a checked value is: a path already written, or a closure writing
/// it only when a refusal needs it (most values pass, and their paths would
/// be written for nothing).
pub(crate) trait At {
    /// The path.
    fn at(&self) -> String;
}

impl At for str {
    fn at(&self) -> String {
        self.to_owned()
    }
}

impl At for String {
    fn at(&self) -> String {
        self.clone()
    }
}

impl<F: Fn() -> String> At for F {
    fn at(&self) -> String {
        self()
    }
}

/// The path of an element: `alerts[3]`, or `[3]` for the root array.
pub(crate) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// An error at a path, `$` standing for the root.
pub(crate) fn error(path: &str, message: impl Into<String>) -> DecodeError {
    let path = if path.is_empty() { "$" } else { path };
    DecodeError::new(path, message)
}

/// A JSON object and where it is.
pub(crate) struct Obj<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

impl<'v> Obj<'v> {
    /// The value at `path`, which must be an object.
    pub(crate) fn of(value: &'v Value, path: String) -> Result<Obj<'v>, DecodeError> {
        match value {
            Value::Object(map) => Ok(Obj { map, path }),
            _ => Err(error(&path, "must be an object")),
        }
    }

    /// The path of a member.
    pub(crate) fn path(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    /// A member, `None` when missing or `null`.
    pub(crate) fn value(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A member that must be an object, if present.
    pub(crate) fn object(&self, key: &str) -> Result<Option<Obj<'v>>, DecodeError> {
        self.value(key)
            .map(|v| Obj::of(v, self.path(key)))
            .transpose()
    }

    /// A member that must be an array, if present.
    pub(crate) fn array(&self, key: &str) -> Result<Option<&'v [Value]>, DecodeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(error(&self.path(key), "must be an array")),
        }
    }

    /// A member that must be a string, if present.
    pub(crate) fn str(&self, key: &str) -> Result<Option<&'v str>, DecodeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(error(&self.path(key), "must be a string")),
        }
    }

    /// A short name (source, resource, check, key): trimmed, `None` when
    /// missing or blank, refused beyond [`limits::MAX_NAME_CHARS`].
    pub(crate) fn name(&self, key: &str) -> Result<Option<String>, DecodeError> {
        match self.str(key)? {
            None => Ok(None),
            Some(s) => name(s, &|| self.path(key)),
        }
    }

    /// A name that must be there.
    pub(crate) fn required_name(&self, key: &str) -> Result<String, DecodeError> {
        self.name(key)?
            .ok_or_else(|| error(&self.path(key), "is required"))
    }

    /// A member that must be an object of strings, if present (empty when
    /// missing), within the label limits.
    pub(crate) fn labels(&self, key: &str) -> Result<BTreeMap<String, String>, DecodeError> {
        match self.object(key)? {
            None => Ok(BTreeMap::new()),
            Some(obj) => obj.as_labels(),
        }
    }

    /// This object as labels.
    pub(crate) fn as_labels(&self) -> Result<BTreeMap<String, String>, DecodeError> {
        if self.map.len() > limits::MAX_LABELS {
            return Err(error(
                &self.path,
                format!("at most {} labels", limits::MAX_LABELS),
            ));
        }
        let mut labels = BTreeMap::new();
        for (name, value) in self.map {
            let path = || self.path(name);
            let value = match value {
                Value::String(s) => s,
                _ => return Err(error(&path(), "must be a string")),
            };
            labels.insert(label_name(name, &path)?, label_value(value, &path)?);
        }
        Ok(labels)
    }

    /// A member holding an RFC 3339 time, if present.
    pub(crate) fn time(&self, key: &str) -> Result<Option<Timestamp>, DecodeError> {
        match self.str(key)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => rfc3339(s, &|| self.path(key)).map(Some),
        }
    }

    /// A member of any JSON kind, checked against the details size limit.
    pub(crate) fn details(&self, key: &str) -> Result<Details, DecodeError> {
        match self.value(key) {
            None => Ok(Details::default()),
            Some(v) => details(v, &|| self.path(key)),
        }
    }
}

/// A trimmed name within the length limit, `None` when blank.
pub(crate) fn name(text: &str, path: &(impl At + ?Sized)) -> Result<Option<String>, DecodeError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > limits::MAX_NAME_CHARS {
        return Err(error(
            &path.at(),
            format!("at most {} characters", limits::MAX_NAME_CHARS),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(error(&path.at(), "must not hold control characters"));
    }
    Ok(Some(trimmed.to_owned()))
}

/// A label name: not blank, within its limit.
pub(crate) fn label_name(name: &str, path: &(impl At + ?Sized)) -> Result<String, DecodeError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(error(&path.at(), "a label name must not be blank"));
    }
    if trimmed.chars().count() > limits::MAX_LABEL_NAME_CHARS {
        return Err(error(
            &path.at(),
            format!(
                "a label name has at most {} characters",
                limits::MAX_LABEL_NAME_CHARS
            ),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A label value within its limit.
pub(crate) fn label_value(value: &str, path: &(impl At + ?Sized)) -> Result<String, DecodeError> {
    if value.chars().count() > limits::MAX_LABEL_VALUE_CHARS {
        return Err(error(
            &path.at(),
            format!(
                "a label value has at most {} characters",
                limits::MAX_LABEL_VALUE_CHARS
            ),
        ));
    }
    Ok(value.to_owned())
}

/// A details value within its size limit.
pub(crate) fn details(value: &Value, path: &(impl At + ?Sized)) -> Result<Details, DecodeError> {
    sized(Some(Details::of(value)), path)
}

/// Details already written (`None` if they could not be), within the size
/// limit.
pub(crate) fn sized(
    details: Option<Details>,
    path: &(impl At + ?Sized),
) -> Result<Details, DecodeError> {
    match details {
        Some(d) if d.size() <= limits::MAX_DETAILS_BYTES => Ok(d),
        _ => Err(error(
            &path.at(),
            format!("at most {} bytes of details", limits::MAX_DETAILS_BYTES),
        )),
    }
}

/// An RFC 3339 time (`2024-05-14T08:02:11Z`, `…+02:00`).
pub(crate) fn rfc3339(text: &str, path: &(impl At + ?Sized)) -> Result<Timestamp, DecodeError> {
    text.trim().parse::<Timestamp>().map_err(|_| {
        error(
            &path.at(),
            "must be an RFC 3339 time such as 2024-05-14T08:02:11Z",
        )
    })
}

/// The event time: `now` when none is given, `now` (and clamped) when more
/// than [`limits::MAX_FUTURE_SKEW`] ahead.
pub(crate) fn when(given: Option<Timestamp>, now: Timestamp) -> (Timestamp, bool) {
    match given {
        None => (now, false),
        Some(t) if t > crate::event::later(now, limits::MAX_FUTURE_SKEW) => (now, true),
        Some(t) => (t, false),
    }
}

/// A summary cut at [`limits::MAX_SUMMARY_CHARS`], spaces around dropped.
pub(crate) fn summary(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(limits::MAX_SUMMARY_CHARS) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}
