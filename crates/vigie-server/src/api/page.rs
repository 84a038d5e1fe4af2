//! Cursor pagination on the wire: an opaque `cursor` and a `limit`.

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use utoipa::IntoParams;
use vigie_store::PageRequest;

/// The default and largest page sizes.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page size.
pub const MAX_LIMIT: u32 = 200;

/// Pagination parameters of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items (1–200, default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// An opaque position in a list.
pub struct Cursor;

impl Cursor {
    /// Encodes the position after `id`.
    pub fn encode(id: i64) -> String {
        URL_SAFE_NO_PAD.encode(format!("v1:{id}"))
    }

    /// Decodes a cursor made by [`Cursor::encode`].
    pub fn decode(s: &str) -> Option<i64> {
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        text.strip_prefix("v1:")?
            .parse()
            .ok()
            .filter(|id: &i64| *id >= 0)
    }
}

impl PageParams {
    /// Validates the parameters into a storage page request.
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "`limit` must be between 1 and {MAX_LIMIT}"
            )));
        }
        let after = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
                ApiError::bad_request(
                    "`cursor` is not a cursor returned by this API; start again without it",
                )
            })?),
        };
        Ok(PageRequest { after, limit })
    }
}

/// Defines a page type for a list of `$item`.
macro_rules! page_type {
    ($name:ident, $item:ty) => {
        #[doc = concat!("A page of `", stringify!($item), "`.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            /// The items of this page.
            pub items: Vec<$item>,
            /// Pass as `cursor` to read the next page; absent on the last.
            pub next_cursor: Option<String>,
        }

        impl $name {
            pub(crate) fn from_page<R>(
                page: vigie_store::Page<R>,
                map: impl Fn(R) -> $item,
            ) -> Self {
                $name {
                    items: page.items.into_iter().map(map).collect(),
                    next_cursor: page.next_after.map($crate::api::Cursor::encode),
                }
            }
        }
    };
}
pub(crate) use page_type;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(Cursor::decode(&Cursor::encode(42)), Some(42));
        for bad in ["", "!!!", "djE6", "djE6LTE", "eDox"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn limits_are_bounded() {
        let p = |limit| {
            PageParams {
                limit: Some(limit),
                cursor: None,
            }
            .request()
            .is_ok()
        };
        assert!(p(1) && p(200));
        assert!(!p(0) && !p(201));
    }
}
