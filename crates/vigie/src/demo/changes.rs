//! The demo's change management at Cachemire: a CAB (the change manager,
//! the CAB member and the DSI, two approvals needed) and an ECAB (the
//! change manager and the DSI, one approval), the year-end freeze, a
//! standard-change template, and four changes: one scheduled on a night of
//! the coming week, one waiting for the CAB member's vote, one standard
//! change approved from its template, one draft. Loaded once: a tenant that
//! already has changes is left as it is.

use anyhow::Context;
use jiff::{SignedDuration, Timestamp, ToSpan};
use vigie_core::change::approval::{BoardKind, Decision, Vote};
use vigie_core::change::risk::ImpactClass;
use vigie_core::change::{ChangeKind, ChangeStatus, Likelihood, RiskLevel};
use vigie_core::ids::{CiId, UserId};
use vigie_core::sla::availability::Interval;
use vigie_core::tenancy::{Actor, Scope};
use vigie_store::{
    ChangeFilter, ChangeRecord, ChangeText, Maintenance, NewChange, NewFreeze, NewTemplate,
    PageRequest, Store, Transition,
};

async fn user(store: &Store, login: &str) -> anyhow::Result<UserId> {
    Ok(store
        .find_user_by_login(login)
        .await?
        .with_context(|| format!("demo user {login} is missing"))?
        .0
        .id)
}

async fn item(
    store: &Store,
    tenant: vigie_core::ids::TenantId,
    name: &str,
) -> anyhow::Result<CiId> {
    Ok(store
        .find_cis_by_ref(&Scope::Platform, name)
        .await?
        .iter()
        .find(|c| c.tenant_id == tenant)
        .with_context(|| format!("demo item {name} is missing"))?
        .id)
}

fn text(title: &str, reason: &str, plan: &str, backout: &str, responsible: UserId) -> ChangeText {
    ChangeText {
        title: title.to_owned(),
        description: String::new(),
        reason: reason.to_owned(),
        expected_return: "Moins d’incidents sur le périmètre concerné.".to_owned(),
        risks: "Coupure courte du service pendant l’intervention.".to_owned(),
        resources: "Un ingénieur système, deux heures.".to_owned(),
        responsible_id: Some(responsible),
        relationship: String::new(),
        implementation_plan: plan.to_owned(),
        backout_plan: backout.to_owned(),
        backout_tested: true,
    }
}

/// The next Tuesday at least two days after `now`, 20:00–23:00 in Paris.
fn next_night(now: Timestamp) -> anyhow::Result<Interval> {
    let paris = jiff::tz::TimeZone::get("Europe/Paris")?;
    let mut day = now.to_zoned(paris.clone()).date().checked_add(2.days())?;
    while day.weekday() != jiff::civil::Weekday::Tuesday {
        day = day.checked_add(1.day())?;
    }
    let start = day.at(20, 0, 0, 0).to_zoned(paris)?.timestamp();
    Ok(Interval::new(start, start + SignedDuration::from_hours(3)))
}

async fn step(
    store: &Store,
    actor: &Actor,
    change: ChangeRecord,
    now: Timestamp,
    t: Transition,
) -> anyhow::Result<ChangeRecord> {
    Ok(store.transition_change(actor, &change, now, &t).await?)
}

/// Loads the change management demo; returns how many records it created.
pub(super) async fn load(store: &Store, now: Timestamp) -> anyhow::Result<usize> {
    let tenant = store
        .find_tenant_by_slug("cachemire")
        .await?
        .context("demo tenant cachemire is missing")?;
    let scope = Scope::Platform;
    let existing = store
        .list_changes(
            &scope,
            &ChangeFilter::default(),
            PageRequest {
                after: None,
                limit: 500,
            },
        )
        .await?;
    if existing.items.iter().any(|c| c.tenant_id == tenant.id) {
        return Ok(0);
    }
    let system = Actor::system();
    let manager = user(store, "change.manager").await?;
    let member = user(store, "cab.membre").await?;
    let dsi = user(store, "dsi").await?;
    let agent = user(store, "n2.systemes").await?;
    store
        .put_change_board(
            &system,
            tenant.id,
            now,
            BoardKind::Cab,
            2,
            &[manager, member, dsi],
            &[],
        )
        .await?;
    store
        .put_change_board(
            &system,
            tenant.id,
            now,
            BoardKind::Ecab,
            1,
            &[manager, dsi],
            &[],
        )
        .await?;
    let year = now.to_zoned(jiff::tz::TimeZone::UTC).year();
    let freeze_start: Timestamp = format!("{year}-12-19T23:00:00Z").parse()?;
    let freeze_end: Timestamp = format!("{}-01-03T23:00:00Z", year + 1).parse()?;
    store
        .create_freeze(
            &system,
            tenant.id,
            now,
            &NewFreeze {
                name: "Gel de fin d’année".into(),
                reason: "Clôture comptable : aucun changement sur la production.".into(),
                starts_at: freeze_start,
                ends_at: freeze_end,
            },
        )
        .await?;
    let template =
        store
            .create_change_template(
                &system,
                tenant.id,
                now,
                &NewTemplate {
                    name: "Ajout de disque sur une VM".into(),
                    description: "Ajouter un disque virtuel et étendre le volume.".into(),
                    implementation_plan:
                        "Ajouter le disque, rescanner, étendre le LVM et le système de fichiers."
                            .into(),
                    backout_plan: "Détacher le disque ; le volume d’origine est intact.".into(),
                    checklist: vec!["Sauvegarde de la veille vérifiée".into()],
                },
            )
            .await?;
    let root = tenant.root_entity_id.context("cachemire has a root")?;
    let entity = store.get_entity(&scope, root).await?;
    let as_user = |id: UserId| Actor {
        user: id,
        login: format!("user #{id}"),
        tenant: tenant.id,
        platform_admin: false,
        grants: Vec::new(),
    };
    // 1. Scheduled on a night of the coming week, approved by the CAB.
    let switch = item(store, tenant.id, "sw-core-01").await?;
    let c = store
        .create_change(
            &as_user(agent),
            &entity,
            now,
            &NewChange {
                kind: ChangeKind::Normal,
                text: text(
                    "Mise à jour du firmware de sw-core-01",
                    "Le firmware actuel a un défaut connu de redémarrage spontané.",
                    "Charger l’image, redémarrer le commutateur, vérifier les ports.",
                    "Redémarrer sur l’image précédente.",
                    agent,
                ),
                template_id: None,
                items: vec![switch],
                related_changes: Vec::new(),
                resolves: Vec::new(),
                checklist: vec!["Configuration sauvegardée".into()],
            },
        )
        .await?;
    let c = step(
        store,
        &as_user(agent),
        c,
        now,
        Transition::to(ChangeStatus::Submitted),
    )
    .await?;
    let mut assess = Transition::to(ChangeStatus::Assessed);
    assess.assessment = Some((Likelihood::Medium, ImpactClass::Major, RiskLevel::High));
    let c = step(store, &as_user(manager), c, now, assess).await?;
    for (voter, status) in [
        (member, ChangeStatus::Assessed),
        (dsi, ChangeStatus::Approved),
    ] {
        let mut t = Transition::to(status);
        t.vote = Some((
            BoardKind::Cab,
            Vote {
                voter,
                decision: Decision::Approve,
                comment: "Plans et retour arrière relus.".into(),
            },
        ));
        let c2 = store.get_change(&scope, c.id).await?;
        step(store, &as_user(voter), c2, now, t).await?;
    }
    let c = store.get_change(&scope, c.id).await?;
    let mut plan = Transition::to(ChangeStatus::Scheduled);
    plan.window = Some((next_night(now)?, Vec::new()));
    plan.maintenance = Maintenance::Plan {
        services: Vec::new(),
    };
    step(store, &as_user(manager), c, now, plan).await?;
    // 2. Waiting for the CAB member's vote.
    let vm = item(store, tenant.id, "vm-crm-02").await?;
    let c = store
        .create_change(
            &as_user(agent),
            &entity,
            now,
            &NewChange {
                kind: ChangeKind::Normal,
                text: text(
                    "Migration de vm-crm-02 vers srv-hv-02",
                    "Équilibrer la charge entre les deux hyperviseurs.",
                    "Migration à chaud, puis contrôle du CRM.",
                    "Migration retour vers srv-hv-01.",
                    agent,
                ),
                template_id: None,
                items: vec![vm],
                related_changes: Vec::new(),
                resolves: Vec::new(),
                checklist: Vec::new(),
            },
        )
        .await?;
    let c = step(
        store,
        &as_user(agent),
        c,
        now,
        Transition::to(ChangeStatus::Submitted),
    )
    .await?;
    let mut assess = Transition::to(ChangeStatus::Assessed);
    assess.assessment = Some((Likelihood::Low, ImpactClass::Moderate, RiskLevel::Low));
    step(store, &as_user(manager), c, now, assess).await?;
    // 3. A standard change, approved from its template.
    let db = item(store, tenant.id, "vm-erp-db").await?;
    let mut standard = text(
        "Disque de 200 Go pour vm-erp-db",
        "Le volume des données est plein à 92 %.",
        &template.implementation_plan,
        &template.backout_plan,
        agent,
    );
    standard.description = template.description.clone();
    let c = store
        .create_change(
            &as_user(agent),
            &entity,
            now,
            &NewChange {
                kind: ChangeKind::Standard,
                text: standard,
                template_id: Some(template.id),
                items: vec![db],
                related_changes: Vec::new(),
                resolves: Vec::new(),
                checklist: template.checklist.clone(),
            },
        )
        .await?;
    step(
        store,
        &as_user(agent),
        c,
        now,
        Transition::to(ChangeStatus::Approved),
    )
    .await?;
    // 4. A draft.
    let hv = item(store, tenant.id, "srv-hv-01").await?;
    store
        .create_change(
            &as_user(agent),
            &entity,
            now,
            &NewChange {
                kind: ChangeKind::Normal,
                text: ChangeText {
                    title: "Remplacement d’une alimentation de srv-hv-01".into(),
                    reason: "Une des deux alimentations est en défaut.".into(),
                    responsible_id: Some(agent),
                    ..ChangeText::default()
                },
                template_id: None,
                items: vec![hv],
                related_changes: Vec::new(),
                resolves: Vec::new(),
                checklist: Vec::new(),
            },
        )
        .await?;
    Ok(9)
}
