//! Decoders: a request body in one of the formats monitoring tools send,
//! turned into normalised [`Event`](crate::event::Event)s.
//!
//! Every decoder takes the raw body and `now`, and returns the events or a
//! [`DecodeError`] naming the offending field as a JSON path
//! (`alerts[3].labels`). They never panic, whatever the bytes: the body is
//! parsed into a `serde_json::Value` (whose depth serde_json bounds), then
//! walked by hand so that each refusal knows where it is. The two formats
//! that carry many events (generic arrays, Alertmanager) first try a quick
//! way that reads the body straight into the fields it needs (`borrowed`),
//! and walk it only when that way cannot vouch for it: the answer is the
//! same, refusals included, only slower to reach.
//!
//! Shared rules, whatever the format ([`super::limits`]): at most
//! 10,000 events per body; names (source, resource, check, dedup key) at
//! most 255 characters, labels bounded in number and length, details at
//! most 64 KiB, all refused beyond; a summary longer than 1,024
//! characters is truncated; a time more than five minutes ahead of `now` is
//! set to `now` and the event flagged `clamped`; no time means `now`.

pub mod alertmanager;
pub mod generic;
pub mod pagerduty;
pub mod zabbix;

mod borrowed;
mod json;

pub use alertmanager::decode as alertmanager;
pub use generic::decode as generic;
pub use pagerduty::decode as pagerduty;
pub use zabbix::decode as zabbix;

/// Why a body was refused: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DecodeError {
    /// The JSON path of the offending field (`alerts[3].labels`), `$` for
    /// the body as a whole.
    pub path: String,
    /// What is wrong, for the sender.
    pub message: String,
}

impl DecodeError {
    /// An error at a path.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> DecodeError {
        DecodeError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Refuses a body holding more events than the per-body limit.
fn count_within_limit(count: usize) -> Result<(), DecodeError> {
    if count > super::limits::MAX_EVENTS_PER_BODY {
        return Err(DecodeError::new(
            "$",
            format!(
                "at most {} events per request",
                super::limits::MAX_EVENTS_PER_BODY
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
