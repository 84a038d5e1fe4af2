//! Demo tickets: a realistic service desk day for Cachemire and the
//! consortium, played through the real lifecycle so that every ticket has
//! its history; and the generator of `vigie demo --tickets N`.

use anyhow::{Context, bail};
use jiff::SignedDuration;
use vigie_core::Timestamp;
use vigie_core::ids::{CategoryId, TenantId, UserId};
use vigie_core::tenancy::{Actor, EntityPath, Scope, ScopeRule};
use vigie_core::ticket::lifecycle::{Action, LifecycleState, apply};
use vigie_core::ticket::priority::Level;
use vigie_core::ticket::{Channel, PendingReason, TicketAccess, TicketType};
use vigie_store::{Assignment, CategoryInput, NewTicket, PageRequest, Store, TicketFilter};

/// A category of a demo tenant: (tenant, name, applies to).
const CATEGORIES: &[(&str, &str, &str)] = &[
    ("cachemire", "Poste de travail", "incident"),
    ("cachemire", "Messagerie", "both"),
    ("cachemire", "Réseau et VPN", "incident"),
    ("cachemire", "Comptes et accès", "request"),
    ("cachemire", "Applications métier (ERP, CRM)", "both"),
    ("consortium", "Comptes étudiants et personnels", "request"),
    ("consortium", "Plateforme pédagogique", "both"),
];

/// Where a demo ticket ends up.
#[derive(Clone, Copy)]
enum Fate {
    New,
    /// Assigned to the group, held by the agent.
    Taken(&'static str, &'static str),
    /// Taken, then pending this reason.
    Waiting(&'static str, &'static str, PendingReason),
    /// Taken, then resolved with this solution.
    Solved(&'static str, &'static str, &'static str),
}

struct DemoTicket {
    tenant: &'static str,
    entity: &'static str,
    requester: &'static str,
    kind: TicketType,
    title: &'static str,
    description: &'static str,
    category: &'static str,
    impact: Level,
    urgency: Level,
    channel: Channel,
    fate: Fate,
}

const N1: &str = "Centre de services N1";
const N2: &str = "Support systèmes N2";

#[rustfmt::skip]
const TICKETS: &[DemoTicket] = &[
    DemoTicket { tenant: "cachemire", entity: "Lille", requester: "demandeur.lille", kind: TicketType::Incident,
        title: "Plus d'accès au VPN depuis le site de Lille",
        description: "Depuis ce matin 8 h, le client VPN affiche **« délai dépassé »** pour tout le service comptable.\n\n- 12 postes touchés\n- le Wi-Fi invité fonctionne",
        category: "Réseau et VPN", impact: Level::Haut, urgency: Level::Haut, channel: Channel::Phone,
        fate: Fate::Taken(N1, "agent.nord") },
    DemoTicket { tenant: "cachemire", entity: "Cachemire", requester: "dsi", kind: TicketType::Incident,
        title: "ERP : erreur à la validation des commandes",
        description: "Message `ORA-00060` à la validation de toute commande fournisseur. La clôture mensuelle est bloquée.",
        category: "Applications métier (ERP, CRM)", impact: Level::Critique, urgency: Level::Critique, channel: Channel::Phone,
        fate: Fate::Taken(N2, "n2.systemes") },
    DemoTicket { tenant: "cachemire", entity: "Marseille", requester: "agent.sud", kind: TicketType::Incident,
        title: "Messagerie très lente pour tout le site de Marseille",
        description: "Ouverture d'un message : 30 secondes. Les autres sites ne sont pas touchés.",
        category: "Messagerie", impact: Level::Moyen, urgency: Level::Haut, channel: Channel::Email,
        fate: Fate::Waiting(N2, "n2.systemes", PendingReason::Supplier) },
    DemoTicket { tenant: "cachemire", entity: "Lille", requester: "demandeur.lille", kind: TicketType::Incident,
        title: "Imprimante du 2e étage hors service",
        description: "Voyant orange fixe, aucune impression ne sort.",
        category: "Poste de travail", impact: Level::Bas, urgency: Level::Moyen, channel: Channel::Portal,
        fate: Fate::Solved(N1, "agent.nord", "Tambour remplacé ; impression de test réussie.") },
    DemoTicket { tenant: "cachemire", entity: "Paris La Défense", requester: "manager.groupe", kind: TicketType::Request,
        title: "Création de compte pour une nouvelle arrivante (lundi)",
        description: "Accès messagerie, ERP en lecture et VPN. Arrivée lundi 9 h.",
        category: "Comptes et accès", impact: Level::Bas, urgency: Level::Haut, channel: Channel::Portal,
        fate: Fate::New },
    DemoTicket { tenant: "cachemire", entity: "Sud", requester: "agent.sud", kind: TicketType::Request,
        title: "Extension du volume de stockage partagé du service achats",
        description: "Le volume `\\\\fichiers\\achats` est plein à 97 %. Demande : +200 Go.",
        category: "Comptes et accès", impact: Level::Moyen, urgency: Level::Moyen, channel: Channel::Api,
        fate: Fate::New },
    DemoTicket { tenant: "cachemire", entity: "Lille", requester: "demandeur.lille", kind: TicketType::Incident,
        title: "Écran noir au démarrage du poste",
        description: "Le poste démarre (ventilateur) mais l'écran reste noir.",
        category: "Poste de travail", impact: Level::Bas, urgency: Level::Haut, channel: Channel::Portal,
        fate: Fate::New },
    DemoTicket { tenant: "consortium", entity: "Université Lumière", requester: "contact.lumiere", kind: TicketType::Incident,
        title: "Plateforme pédagogique inaccessible pendant les examens",
        description: "Erreur 502 pour tous les étudiants depuis 14 h ; les examens en ligne sont suspendus.",
        category: "Plateforme pédagogique", impact: Level::Critique, urgency: Level::Critique, channel: Channel::Phone,
        fate: Fate::New },
    DemoTicket { tenant: "consortium", entity: "Université Lumière", requester: "contact.lumiere", kind: TicketType::Request,
        title: "Comptes pour la promotion de septembre (340 étudiants)",
        description: "Fichier d'import joint au dossier d'inscription.",
        category: "Comptes étudiants et personnels", impact: Level::Moyen, urgency: Level::Moyen, channel: Channel::Email,
        fate: Fate::New },
];

async fn actor(store: &Store, login: &str) -> anyhow::Result<Actor> {
    let (user, _) = store
        .find_user_by_login(login)
        .await?
        .with_context(|| format!("demo user {login} is missing"))?;
    store
        .load_actor(user.id)
        .await?
        .with_context(|| format!("demo user {login} is disabled"))
}

async fn tenant_id(store: &Store, slug: &str) -> anyhow::Result<TenantId> {
    Ok(store
        .find_tenant_by_slug(slug)
        .await?
        .with_context(|| format!("demo tenant {slug} is missing"))?
        .id)
}

/// Loads the demo categories and tickets of tenants that have none yet.
/// Returns how many records were created.
pub async fn load(store: &Store, now: Timestamp) -> anyhow::Result<usize> {
    let system = Actor::system();
    let mut created = 0;
    for slug in ["cachemire", "consortium"] {
        let tenant = tenant_id(store, slug).await?;
        if store.list_categories(tenant).await?.is_empty() {
            for (_, name, applies_to) in CATEGORIES.iter().filter(|c| c.0 == slug) {
                let input = CategoryInput {
                    parent_id: None,
                    name: (*name).into(),
                    applies_to: (*applies_to).into(),
                    active: true,
                };
                store.create_category(&system, tenant, now, &input).await?;
                created += 1;
            }
        }
        let existing = store
            .list_tickets(
                &tenant_access(store, tenant).await?,
                &TicketFilter::default(),
                PageRequest::first(1),
            )
            .await?;
        if !existing.items.is_empty() {
            continue;
        }
        let categories = store.list_categories(tenant).await?;
        // Spread the tickets over the last hours, oldest first.
        let count = i64::try_from(TICKETS.len()).unwrap_or(0);
        for (i, plan) in (0..).zip(TICKETS.iter().filter(|t| t.tenant == slug)) {
            let opened = now - SignedDuration::from_mins(37 * (count - i));
            let category = categories
                .iter()
                .find(|c| c.name == plan.category)
                .map(|c| c.id);
            play(store, tenant, plan, category, opened).await?;
            created += 1;
        }
    }
    Ok(created)
}

/// Every ticket of one tenant, as Vigie itself.
async fn tenant_access(store: &Store, tenant: TenantId) -> anyhow::Result<TicketAccess> {
    let root = store
        .get_tenant(&Scope::Platform, tenant)
        .await?
        .root_entity_id
        .context("demo tenant without a root entity")?;
    let whole = Scope::Tenant {
        tenant,
        rules: vec![ScopeRule::Subtree(EntityPath::root(root))],
    };
    Ok(TicketAccess {
        user: UserId::SYSTEM,
        see: whole.clone(),
        work: whole.clone(),
        open: whole,
    })
}

/// Opens a demo ticket as its requester and plays its fate as the agent.
async fn play(
    store: &Store,
    tenant: TenantId,
    plan: &DemoTicket,
    category: Option<CategoryId>,
    at: Timestamp,
) -> anyhow::Result<()> {
    let requester = actor(store, plan.requester).await?;
    let root_name = store.get_tenant(&Scope::Platform, tenant).await?.name;
    let entity_name = if plan.entity == "Cachemire" {
        root_name.as_str()
    } else {
        plan.entity
    };
    let entity = store
        .list_entities(&Scope::Platform, None, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .find(|e| e.tenant_id == tenant && e.name == entity_name)
        .with_context(|| format!("demo entity {} is missing", plan.entity))?;
    let matrix = store.ticket_settings(tenant).await?.matrix;
    let new = NewTicket {
        ticket_type: plan.kind,
        entity_id: entity.id,
        title: plan.title.into(),
        description: plan.description.into(),
        requester_id: requester.user,
        channel: plan.channel,
        category_id: category,
        service_ref: None,
        ci_refs: String::new(),
        impact: plan.impact,
        urgency: plan.urgency,
        priority: matrix.priority(plan.impact, plan.urgency),
    };
    let mut ticket = store
        .create_ticket(&requester, &TicketAccess::of(&requester), at, &new)
        .await?;
    let (group, agent_login) = match plan.fate {
        Fate::New => return Ok(()),
        Fate::Taken(g, a) | Fate::Waiting(g, a, _) | Fate::Solved(g, a, _) => (g, a),
    };
    let agent = actor(store, agent_login).await?;
    let group = store
        .find_group(tenant, group)
        .await?
        .with_context(|| format!("demo group {group} is missing"))?;
    let mut steps = vec![(
        Action::Assign,
        Some(Assignment {
            group_id: Some(group.id),
            assignee_id: Some(agent.user),
        }),
    )];
    steps.push((Action::Start, None));
    match plan.fate {
        Fate::Waiting(_, _, reason) => steps.push((Action::Pend(reason), None)),
        Fate::Solved(_, _, solution) => steps.push((
            Action::Resolve {
                solution: solution.into(),
                code: "fixed".into(),
            },
            None,
        )),
        _ => {}
    }
    for (minutes, (action, assignment)) in (5..).step_by(5).zip(steps) {
        let when = at + SignedDuration::from_mins(minutes);
        let state = LifecycleState {
            status: ticket.status,
            resolved_at: ticket.resolved_at,
        };
        let outcome = apply(&state, &action, when, SignedDuration::from_hours(168))?;
        ticket = store
            .apply_ticket_outcome(&agent, &ticket, when, &outcome, assignment)
            .await?;
    }
    Ok(())
}

/// Generates `count` tickets in a tenant for benchmarks and demos, in
/// batches, calling `progress` with the number done after each batch.
pub async fn generate(
    store: &Store,
    now: Timestamp,
    slug: &str,
    count: usize,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<usize> {
    use rand::SeedableRng;
    let tenant = tenant_id(store, slug).await?;
    let entities: Vec<_> = store
        .list_entities(&Scope::Platform, None, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .filter(|e| e.tenant_id == tenant)
        .collect();
    let users: Vec<_> = store
        .list_users(
            &Scope::Platform,
            &Default::default(),
            PageRequest::first(500),
        )
        .await?
        .items
        .into_iter()
        .filter(|u| u.tenant_id == tenant && u.active)
        .collect();
    let groups: Vec<_> = store
        .list_groups(&Scope::Platform, None, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .filter(|g| g.tenant_id == tenant)
        .collect();
    if entities.is_empty() || users.is_empty() {
        bail!("tenant {slug} has no entities or no users to generate tickets for");
    }
    let matrix = store.ticket_settings(tenant).await?.matrix;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_0001);
    let system = Actor::system();
    let mut done = 0;
    while done < count {
        let batch = (count - done).min(5_000);
        let tickets: Vec<_> = (0..batch)
            .map(|_| generated(&mut rng, now, &entities, &users, &groups, &matrix))
            .collect();
        done += store.import_tickets(&system, tenant, now, &tickets).await?;
        progress(done);
    }
    Ok(done)
}

const SUBJECTS: &[&str] = &[
    "Poste lent au démarrage",
    "Messagerie inaccessible",
    "VPN déconnecté toutes les heures",
    "Imprimante en erreur",
    "Accès refusé au dossier partagé",
    "ERP : écran figé",
    "Mot de passe expiré",
    "Demande de logiciel",
    "Écran supplémentaire",
    "Téléphone IP sans tonalité",
    "CRM : export impossible",
    "Wi-Fi instable en salle de réunion",
];

fn generated(
    rng: &mut rand::rngs::StdRng,
    now: Timestamp,
    entities: &[vigie_store::EntityRecord],
    users: &[vigie_store::UserRecord],
    groups: &[vigie_store::GroupRecord],
    matrix: &vigie_core::ticket::priority::PriorityMatrix,
) -> vigie_store::ImportedTicket {
    use rand::Rng;
    use rand::seq::SliceRandom;
    use vigie_core::ticket::Status;
    let entity = &entities[rng.gen_range(0..entities.len())];
    let requester = &users[rng.gen_range(0..users.len())];
    let impact = Level::ALL[rng.gen_range(0..4)];
    let urgency = Level::ALL[rng.gen_range(0..4)];
    let age = SignedDuration::from_mins(rng.gen_range(0..60 * 24 * 365));
    let created_at = now - age;
    let status = *[
        Status::Closed,
        Status::Closed,
        Status::Closed,
        Status::Resolved,
        Status::New,
        Status::Assigned,
        Status::InProgress,
        Status::Pending,
    ]
    .choose(rng)
    .unwrap_or(&Status::New);
    let group = (status != Status::New)
        .then(|| groups.choose(rng).map(|g| g.id))
        .flatten();
    let subject = SUBJECTS.choose(rng).copied().unwrap_or("Incident");
    vigie_store::ImportedTicket {
        new: NewTicket {
            ticket_type: if rng.gen_bool(0.7) {
                TicketType::Incident
            } else {
                TicketType::Request
            },
            entity_id: entity.id,
            title: format!("{subject} ({})", entity.name),
            description: "Ticket généré pour la démonstration et les mesures de performance."
                .into(),
            requester_id: requester.id,
            channel: Channel::ALL[rng.gen_range(0..Channel::ALL.len())],
            category_id: None,
            service_ref: None,
            ci_refs: String::new(),
            impact,
            urgency,
            priority: matrix.priority(impact, urgency),
        },
        entity_path: entity.path.clone(),
        status,
        group_id: group,
        assignee_id: None,
        created_at,
        resolved_at: matches!(status, Status::Resolved | Status::Closed)
            .then(|| created_at + SignedDuration::from_mins(rng.gen_range(10..60 * 24 * 5))),
    }
}
