//! Keyset pagination: pages ordered by id, continued after the last id seen.

/// Which page to read: at most `limit` records with an id above `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// The last id of the previous page.
    pub after: Option<i64>,
    /// How many records at most (1 to 500).
    pub limit: u32,
}

impl PageRequest {
    /// The first page of `limit` records.
    pub fn first(limit: u32) -> Self {
        PageRequest { after: None, limit }
    }

    pub(crate) fn fetch_limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, 500)) + 1
    }
}

/// One page of records and the id to continue after, if more remain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The records.
    pub items: Vec<T>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_after: Option<i64>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows, using `id` to read the
    /// position of the last kept row.
    pub(crate) fn from_rows(
        mut rows: Vec<T>,
        request: PageRequest,
        id: impl Fn(&T) -> i64,
    ) -> Self {
        let limit = request.limit.clamp(1, 500) as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_after = if more { rows.last().map(&id) } else { None };
        Page {
            items: rows,
            next_after,
        }
    }
}
