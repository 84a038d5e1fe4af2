//! Instants typed by API callers (query parameters and body fields), read
//! the same way everywhere: RFC 3339 with its offset, or a 422 naming the
//! field.

use crate::error::ApiError;
use vigie_core::Timestamp;

/// An instant typed as RFC 3339, or a refusal naming the field.
pub(crate) fn instant(field: &str, value: &str) -> Result<Timestamp, ApiError> {
    value.trim().parse::<Timestamp>().map_err(|_| {
        ApiError::invalid(
            field,
            format!("`{field}` must be an RFC 3339 time such as 2026-03-01T22:00:00Z"),
        )
    })
}

/// An optional instant: absent stays `None`, present must be RFC 3339.
pub(crate) fn optional_instant(
    field: &str,
    value: Option<&str>,
) -> Result<Option<Timestamp>, ApiError> {
    value.map(|v| instant(field, v)).transpose()
}
