//! The demo's service levels: calendars and targets for the three tenants,
//! loaded before the demo tickets so that they run clocks.
//!
//! - Cachemire: working hours for most things, but its CRM and ERP are
//!   supported around the clock (SLA 99 %), and the hosting provider's
//!   underpinning contract gives 4 h, 24/7, on the critical racks.
//! - Hébergeur Atlas: its own 24/7 targets.
//! - The consortium: working days 8h–18h, SLA 99 % on its digital workspace.
//!
//! Idempotent: a calendar is found by name, a target by kind, service and
//! priority, a service promise by its service; only what is missing is
//! created.

use anyhow::Context;
use jiff::SignedDuration;
use vigie_core::Timestamp;
use vigie_core::ids::TenantId;
use vigie_core::sla::{CalendarSpec, EscalationAction, EscalationLevel, SlaTarget, TargetKind};
use vigie_core::tenancy::Actor;
use vigie_core::ticket::priority::Priority;
use vigie_store::{NewTarget, ServiceLevelRecord, Store};

/// One target of the plan: (tenant, calendar, kind, service, priority,
/// minutes to own, minutes to resolve).
type TargetPlan = (
    &'static str,
    &'static str,
    TargetKind,
    Option<&'static str>,
    Priority,
    Option<i64>,
    i64,
);

const CALENDARS: &[(&str, &str, &str)] = &[
    ("cachemire", "Heures ouvrées", "working-hours"),
    ("cachemire", "24/7", "24/7"),
    ("hebergeur", "24/7", "24/7"),
    ("consortium", "Jours ouvrés 8h–18h", "working-hours"),
];

use Priority::{Bas, Critique, Haut, Moyen};
use TargetKind::{Sla, Uc};

const TARGETS: &[TargetPlan] = &[
    (
        "cachemire",
        "Heures ouvrées",
        Sla,
        None,
        Critique,
        Some(15),
        4 * 60,
    ),
    (
        "cachemire",
        "Heures ouvrées",
        Sla,
        None,
        Haut,
        Some(30),
        8 * 60,
    ),
    (
        "cachemire",
        "Heures ouvrées",
        Sla,
        None,
        Moyen,
        Some(60),
        24 * 60,
    ),
    (
        "cachemire",
        "Heures ouvrées",
        Sla,
        None,
        Bas,
        Some(120),
        40 * 60,
    ),
    (
        "cachemire",
        "24/7",
        Sla,
        Some("crm"),
        Critique,
        Some(15),
        4 * 60,
    ),
    (
        "cachemire",
        "24/7",
        Sla,
        Some("crm"),
        Haut,
        Some(30),
        24 * 60,
    ),
    (
        "cachemire",
        "24/7",
        Sla,
        Some("erp"),
        Critique,
        Some(15),
        4 * 60,
    ),
    (
        "cachemire",
        "24/7",
        Sla,
        Some("erp"),
        Haut,
        Some(30),
        24 * 60,
    ),
    (
        "cachemire",
        "24/7",
        Uc,
        Some("baies-critiques"),
        Critique,
        None,
        4 * 60,
    ),
    (
        "cachemire",
        "Heures ouvrées",
        Uc,
        None,
        Critique,
        None,
        8 * 60,
    ),
    ("hebergeur", "24/7", Sla, None, Critique, Some(15), 4 * 60),
    ("hebergeur", "24/7", Sla, None, Haut, Some(30), 8 * 60),
    (
        "consortium",
        "Jours ouvrés 8h–18h",
        Sla,
        None,
        Critique,
        Some(30),
        8 * 60,
    ),
    (
        "consortium",
        "Jours ouvrés 8h–18h",
        Sla,
        None,
        Haut,
        Some(60),
        16 * 60,
    ),
    (
        "consortium",
        "Jours ouvrés 8h–18h",
        Sla,
        None,
        Moyen,
        Some(120),
        30 * 60,
    ),
    (
        "consortium",
        "Jours ouvrés 8h–18h",
        Sla,
        None,
        Bas,
        Some(240),
        50 * 60,
    ),
];

/// (tenant, service, calendar of its service hours, availability, out of hours), in basis points.
const SERVICES: &[(&str, &str, &str, i64, i64)] = &[
    ("cachemire", "crm", "Heures ouvrées", 9900, 9500),
    ("cachemire", "erp", "Heures ouvrées", 9900, 9500),
    ("consortium", "ent", "Jours ouvrés 8h–18h", 9900, 9500),
];

async fn tenant(store: &Store, slug: &str) -> anyhow::Result<TenantId> {
    let t = store
        .find_tenant_by_slug(slug)
        .await?
        .with_context(|| format!("demo tenant {slug} is missing"))?;
    Ok(t.id)
}

async fn calendar_id(store: &Store, tenant: TenantId, name: &str) -> anyhow::Result<Option<i64>> {
    let list = store.list_calendars(tenant).await?;
    Ok(list.iter().find(|c| c.name == name).map(|c| c.id))
}

/// Loads the demo's calendars, targets and service promises; returns how
/// many records it created.
pub(super) async fn load(store: &Store, now: Timestamp) -> anyhow::Result<usize> {
    let system = Actor::system();
    let mut created = 0;
    for &(slug, name, preset) in CALENDARS {
        let t = tenant(store, slug).await?;
        if calendar_id(store, t, name).await?.is_none() {
            let spec = CalendarSpec::preset(preset).context("a preset calendar")?;
            store.create_calendar(&system, t, now, name, &spec).await?;
            created += 1;
        }
    }
    let levels = vec![
        EscalationLevel::new(75, EscalationAction::Notify),
        EscalationLevel::new(90, EscalationAction::AlertManager),
    ];
    for &(slug, calendar, kind, service, priority, own, resolve) in TARGETS {
        let t = tenant(store, slug).await?;
        let existing = store.list_targets(t).await?;
        let same = |r: &&vigie_store::TargetRecord| {
            r.target.kind == kind
                && r.target.priority == priority
                && r.target.service_ref.as_deref() == service
        };
        if existing.iter().any(|r| same(&r)) {
            continue;
        }
        let calendar_id = calendar_id(store, t, calendar)
            .await?
            .context("demo calendar")?;
        let mut target = SlaTarget::new(kind, priority, SignedDuration::from_mins(resolve));
        target.service_ref = service.map(str::to_owned);
        target.time_to_own = own.map(SignedDuration::from_mins);
        target.levels = levels.clone();
        let label = vigie_core::sla::priority_label(priority);
        let name = format!(
            "{} {}{label}",
            kind.as_str().to_uppercase(),
            service.map(|s| format!("{s} ")).unwrap_or_default()
        );
        store
            .create_target(
                &system,
                t,
                now,
                &NewTarget {
                    name,
                    calendar_id,
                    target,
                },
            )
            .await?;
        created += 1;
    }
    for &(slug, service, calendar, availability_bp, out_of_hours_bp) in SERVICES {
        let t = tenant(store, slug).await?;
        if store
            .list_service_levels(t)
            .await?
            .iter()
            .any(|s| s.service_ref == service)
        {
            continue;
        }
        let calendar_id = calendar_id(store, t, calendar)
            .await?
            .context("demo calendar")?;
        let level = ServiceLevelRecord {
            service_ref: service.to_owned(),
            calendar_id,
            availability_bp,
            out_of_hours_bp,
        };
        store.put_service_level(&system, t, now, &level).await?;
        created += 1;
    }
    Ok(created)
}
