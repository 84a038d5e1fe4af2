//! The change calendar as iCalendar (RFC 5545), so people see the planned
//! changes in their calendar client: one `VEVENT` per change with a planned
//! window, its times in UTC, a stable `UID` per change (a client that
//! subscribes sees moved changes move rather than duplicate), its status
//! mapped to `STATUS` (cancelled changes are `CANCELLED`, not dropped, so a
//! client removes them) and its flags in the description.

use icalendar::{Calendar, Component, Event};
use vigie_core::Timestamp;
use vigie_core::change::ChangeStatus;
use vigie_store::PlannedRecord;

/// An instant in the iCalendar UTC form, `20260113T180000Z`.
fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// The calendar of `changes`, named after the tenant, stamped `now`.
pub fn calendar(tenant: &str, host: &str, now: Timestamp, changes: &[PlannedRecord]) -> String {
    let mut cal = Calendar::new();
    cal.name(&format!("{tenant} — changes"));
    for c in changes {
        let status = match c.status {
            ChangeStatus::Cancelled | ChangeStatus::Rejected => "CANCELLED",
            ChangeStatus::Scheduled
            | ChangeStatus::Implementing
            | ChangeStatus::Implemented
            | ChangeStatus::Reviewed
            | ChangeStatus::Closed => "CONFIRMED",
            _ => "TENTATIVE",
        };
        let mut description = format!("{} change, {}", c.kind, c.status);
        for f in &c.flags {
            if let Some(m) = f.get("message").and_then(|m| m.as_str()) {
                description.push_str("\n⚠ ");
                description.push_str(m);
            }
        }
        let event = Event::new()
            .uid(&format!("change-{}@{host}", c.id))
            .summary(&format!("#{} {}", c.number, c.title))
            .description(&description)
            .add_property("DTSTAMP", utc(now))
            .add_property("DTSTART", utc(c.start))
            .add_property("DTEND", utc(c.end))
            .add_property("STATUS", status)
            .add_property("CATEGORIES", c.kind.as_str())
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}
