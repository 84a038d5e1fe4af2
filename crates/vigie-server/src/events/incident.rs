//! The words of incidents opened from events: the title (the alert's own
//! summary), a description listing what the tool sent, and the notes added
//! when another alert joins or when every alert clears. Notes are written
//! in French and English, since a tenant's agents may read either.

use vigie_core::event::Event;
use vigie_core::ids::CiId;
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, TicketType};
use vigie_store::{EntityRecord, IntegrationKeyRecord, NewTicket};

/// The longest title a ticket takes.
const TITLE_CHARS: usize = 200;

/// The title of a group or incident: the summary, else check and resource.
pub fn group_title(event: &Event) -> String {
    let text = if event.summary.trim().is_empty() {
        format!("{} — {}", event.check, event.resource)
    } else {
        event.summary.trim().to_owned()
    };
    let text = text.replace(['\r', '\n'], " ");
    if text.chars().count() > TITLE_CHARS {
        let mut cut: String = text.chars().take(TITLE_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

/// Markdown-inert text: the characters that could make a link, an image
/// or markup are escaped (the description is rendered as Markdown, then
/// sanitised).
fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_{}[]()<>#+!|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The incident for a group's first exception.
pub fn new_ticket(
    key: &IntegrationKeyRecord,
    entity: &EntityRecord,
    event: &Event,
    ci: Option<CiId>,
    priority: Priority,
) -> NewTicket {
    let level = match priority {
        Priority::Critique => Level::Critique,
        Priority::Haut => Level::Haut,
        Priority::Moyen => Level::Moyen,
        Priority::Bas => Level::Bas,
    };
    let mut description = String::from("| | |\n| --- | --- |\n");
    let mut line = |name: &str, value: &str| {
        description.push_str(&format!("| {name} | {} |\n", inert(value)));
    };
    line("source", &event.source);
    line("resource", &event.resource);
    line("check", &event.check);
    line("severity", event.severity.as_str());
    line("time", &event.occurred_at.to_string());
    for (k, v) in event.labels.iter().take(30) {
        line(&format!("label `{}`", k.replace('`', "'")), v);
    }
    if !event.summary.is_empty() {
        description.push('\n');
        description.push_str(&inert(&event.summary));
        description.push('\n');
    }
    NewTicket {
        ticket_type: TicketType::Incident,
        entity_id: entity.id,
        title: group_title(event),
        description,
        requester_id: key.requester_id,
        channel: Channel::Event,
        category_id: None,
        service_ref: None,
        ci_refs: ci
            .map(|c| format!("ci:{c}"))
            .unwrap_or_else(|| event.resource.clone()),
        impact: level,
        urgency: level,
        priority,
    }
}

/// The note added when another alert joins the incident's group.
pub fn attach_note(event: &Event) -> String {
    format!(
        "Nouvelle alerte du groupe / New alert in the group: {} — {} ({}): {}",
        inert(&event.check),
        inert(&event.resource),
        event.severity.as_str(),
        inert(&group_title(event)),
    )
}

/// The note on an incident whose alert group was merged into another
/// one: it is now a child of incident `parent` (its number), which carries
/// the outage, and is resolved with it.
pub fn attached_note(parent: i64) -> String {
    format!(
        "Groupe d'alertes regroupé : l'incident #{parent} porte désormais la panne ; \
         cet incident en devient l'enfant et sera résolu avec lui. / \
         Alert group merged: incident #{parent} now carries the outage; this incident \
         is its child and will be resolved with it."
    )
}

/// The solution of an incident resolved by its alerts.
pub fn resolution() -> String {
    "Toutes les alertes du groupe sont revenues à la normale. / Every alert of the group cleared."
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(summary: &str) -> Event {
        Event::new(
            "alertmanager",
            "srv-01",
            "HostDown",
            vigie_core::event::Severity::Critical,
            "2026-01-05T08:00:00Z".parse().expect("time"),
        )
        .with_summary(summary)
    }

    trait WithSummary {
        fn with_summary(self, s: &str) -> Self;
    }
    impl WithSummary for Event {
        fn with_summary(mut self, s: &str) -> Self {
            self.summary = s.to_owned();
            self
        }
    }

    #[test]
    fn the_title_is_the_summary_on_one_line_and_cut_at_200() {
        assert_eq!(group_title(&event("")), "HostDown — srv-01");
        assert_eq!(group_title(&event(" disk\nfull ")), "disk full");
        let long = "x".repeat(500);
        let title = group_title(&event(&long));
        assert_eq!(title.chars().count(), 200);
        assert!(title.ends_with('…'));
    }

    #[test]
    fn markdown_in_what_the_tool_sent_stays_text() {
        assert_eq!(inert("[a](javascript:x)"), "\\[a\\]\\(javascript:x\\)");
        assert_eq!(inert("<img onerror=x>"), "\\<img onerror=x\\>");
    }
}
