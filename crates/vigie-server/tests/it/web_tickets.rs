//! The service desk in the web UI over HTTP: queues and portal within the
//! reader's scope, opening a ticket (CSRF, validation), the quick actions
//! and the conversation, internal notes kept from requesters, and markup
//! typed by users rendered inert.

use crate::support::{Answer, World, t0};
use axum::http::{StatusCode, header};
use vigie_core::ids::{TicketId, UserId};
use vigie_core::tenancy::Actor;
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_store::NewTicket;

/// Whether `needle` occurs inside a tag (an attribute) rather than in text:
/// the nearest `<` before it comes after the nearest `>`.
fn inside_a_tag(html: &str, needle: &str) -> bool {
    let lower = html.to_lowercase();
    lower.match_indices(needle).any(|(i, _)| {
        let before = &lower[..i];
        match (before.rfind('<'), before.rfind('>')) {
            (Some(lt), Some(gt)) => lt > gt,
            (Some(_), None) => true,
            _ => false,
        }
    })
}

/// Opens a ticket for `requester` in the store, as Vigie would.
async fn ticket_for(
    world: &World,
    entity: vigie_core::ids::EntityId,
    requester: UserId,
    title: &str,
    description: &str,
) -> TicketId {
    let system = Actor::system();
    world
        .store
        .create_ticket(
            &system,
            &TicketAccess::of(&system),
            t0(),
            &NewTicket {
                ticket_type: TicketType::Incident,
                entity_id: entity,
                title: title.to_owned(),
                description: description.to_owned(),
                requester_id: requester,
                channel: Channel::Email,
                category_id: None,
                service_ref: None,
                ci_refs: String::new(),
                impact: Level::Moyen,
                urgency: Level::Moyen,
                priority: Priority::Moyen,
            },
        )
        .await
        .expect("ticket")
        .id
}

/// Posts a lifecycle action on a ticket.
async fn act(
    world: &World,
    cookie: &str,
    csrf: &str,
    ticket: TicketId,
    fields: &[(&str, &str)],
) -> Answer {
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    world
        .form(cookie, &format!("/tickets/{ticket}/actions"), &all)
        .await
}

/// Posts a reply (`internal` for a note).
async fn reply(
    world: &World,
    cookie: &str,
    csrf: &str,
    ticket: TicketId,
    body: &str,
    visibility: &str,
) -> Answer {
    world
        .form(
            cookie,
            &format!("/tickets/{ticket}/comments"),
            &[("csrf", csrf), ("body", body), ("visibility", visibility)],
        )
        .await
}

#[tokio::test]
async fn an_agents_queues_show_only_tickets_in_his_scope() {
    let world = World::sqlite().await;
    let (agent, csrf) = world.web_session(world.alpha.agent_sud.id).await;

    // Nothing is his yet: the default queue, "Mine", is empty.
    let mine = world.page(&agent, "/tickets").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains("id=\"tickets-empty\""), "{}", mine.body);
    assert!(mine.body.contains("id=\"queue-groups\""));
    assert!(mine.body.contains("<a href=\"/tickets\""), "nav item");

    for queue in ["open", "unassigned", "all"] {
        let page = world.page(&agent, &format!("/tickets?queue={queue}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("alpha-ticket-sud"),
            "{queue}: {}",
            page.body
        );
        assert!(
            !page.body.contains("alpha-ticket-nord"),
            "{queue}: sibling leaked"
        );
        assert!(!page.body.contains("beta-"), "{queue}: other tenant leaked");
        assert!(
            page.body.contains("prio prio-p2"),
            "{queue}: priority class"
        );
        assert!(page.body.contains(">P2<"), "{queue}");
    }

    // Filters: a text that matches nothing, a priority that is not there.
    let none = world.page(&agent, "/tickets?queue=all&q=zzz").await;
    assert!(!none.body.contains("alpha-ticket-sud"));
    let p1 = world
        .page(&agent, "/tickets?queue=all&priority=critique")
        .await;
    assert!(!p1.body.contains("alpha-ticket-sud"));
    let p2 = world
        .page(
            &agent,
            "/tickets?queue=all&priority=haut&type=incident&status=new&q=SUD",
        )
        .await;
    assert!(p2.body.contains("alpha-ticket-sud"), "{}", p2.body);

    // Once he takes it, it is in "Mine".
    let taken = act(
        &world,
        &agent,
        &csrf,
        world.alpha.ticket_sud,
        &[("action", "take")],
    )
    .await;
    taken.location();
    let mine = world.page(&agent, "/tickets?queue=mine").await;
    assert!(mine.body.contains("alpha-ticket-sud"), "{}", mine.body);
    let unassigned = world.page(&agent, "/tickets?queue=unassigned").await;
    assert!(!unassigned.body.contains("alpha-ticket-sud"));

    // The tenant administrator sees both regions, and the entity switcher
    // narrows his queues.
    let (admin, admin_csrf) = world.web_session(world.alpha.admin.id).await;
    let all = world.page(&admin, "/tickets?queue=all").await;
    assert!(all.body.contains("alpha-ticket-sud") && all.body.contains("alpha-ticket-nord"));
    assert!(!all.body.contains("beta-"));
    let nord = world.alpha.nord.0.to_string();
    let switched = world
        .form(
            &admin,
            "/entity",
            &[
                ("entity", &nord),
                ("csrf", &admin_csrf),
                ("back", "/tickets"),
            ],
        )
        .await;
    assert_eq!(switched.location(), "/tickets");
    let narrowed = world.page(&admin, "/tickets?queue=all").await;
    assert!(
        narrowed.body.contains("alpha-ticket-nord"),
        "{}",
        narrowed.body
    );
    assert!(
        !narrowed.body.contains("alpha-ticket-sud"),
        "{}",
        narrowed.body
    );

    // Another tenant's ticket does not exist for him.
    let foreign = world
        .page(&agent, &format!("/tickets/{}", world.beta.ticket_sud))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let sibling = world
        .page(&agent, &format!("/tickets/{}", world.alpha.ticket_nord))
        .await;
    assert_eq!(sibling.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_follow_with_the_next_link() {
    let world = World::sqlite().await;
    for i in 0..55 {
        ticket_for(
            &world,
            world.alpha.sud,
            world.alpha.worker_sud.id,
            &format!("bulk-{i:02}"),
            "",
        )
        .await;
    }
    let (agent, _) = world.web_session(world.alpha.agent_sud.id).await;
    let first = world.page(&agent, "/tickets?queue=open").await;
    assert!(first.body.contains("id=\"next-page\""), "{}", first.body);
    let start = first.body.find("id=\"next-page\"").expect("next");
    let href_at = first.body[..start].rfind("href=\"").expect("href") + 6;
    let href = &first.body[href_at..];
    let href = href[..href.find('"').expect("end")]
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let second = world.page(&agent, &href).await;
    assert_eq!(second.status, StatusCode::OK, "{href}");
    assert!(second.body.contains("id=\"first-page\""));
    let rows = |b: &str| b.matches("<tr id=\"ticket-").count();
    assert_eq!(rows(&first.body), 50);
    // 55 bulk tickets and the fixture's own.
    assert_eq!(rows(&second.body), 6, "{}", second.body);

    // The home page counts, capped at a page.
    let home = world.page(&agent, "/").await;
    assert!(
        home.body.contains("id=\"summary-unassigned\">50+<"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains("id=\"summary-mine\">0<"),
        "{}",
        home.body
    );
}

#[tokio::test]
async fn a_requester_sees_the_portal_with_only_his_tickets() {
    let world = World::sqlite().await;
    let requester = &world.alpha.requester_nord;
    let (cookie, csrf) = world.web_session(requester.id).await;
    let nord = world.alpha.nord.0.to_string();

    // He opens one through the portal form: no channel, no requester choice.
    let form = world.page(&cookie, "/tickets/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("id=\"ticket-new\""));
    assert!(!form.body.contains("id=\"new-requester\""));
    assert!(!form.body.contains("id=\"new-channel\""));
    let created = world
        .form(
            &cookie,
            "/tickets/new",
            &[
                ("csrf", &csrf),
                ("type", "request"),
                ("entity", &nord),
                ("title", "Mon imprimante"),
                ("description", "Elle **ne marche plus**."),
                ("impact", "bas"),
                ("urgency", "bas"),
                // Ignored for a requester.
                ("channel", "phone"),
                ("requester", &world.alpha.admin.id.to_string()),
            ],
        )
        .await;
    let to = created.location();
    let page = world.page(&cookie, &to).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Mon imprimante"));
    assert!(
        page.body.contains("<strong>ne marche plus</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(">Portal<"), "channel: {}", page.body);
    assert!(page.body.contains(">Request<"));
    assert!(page.body.contains(">P4 — Low<"), "{}", page.body);
    assert!(page.body.contains("Person alpha.requester-nord"));
    // No lifecycle action, no internal note for him.
    assert!(!page.body.contains("id=\"ticket-actions\""));
    assert!(!page.body.contains("id=\"reply-internal\""));
    assert!(page.body.contains("id=\"reply-body\""));

    // The portal: his ticket only, no agent queues.
    let portal = world.page(&cookie, "/tickets").await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(portal.body.contains("My tickets"), "{}", portal.body);
    assert!(portal.body.contains("Mon imprimante"));
    assert!(
        !portal.body.contains("alpha-ticket-nord"),
        "his entity's ticket leaked"
    );
    assert!(!portal.body.contains("alpha-ticket-sud"));
    assert!(!portal.body.contains("id=\"queue-groups\""));
    assert!(portal.body.contains("id=\"ticket-new-link\""));
    // An agent queue asked for by hand is the portal all the same.
    let sneaky = world.page(&cookie, "/tickets?queue=unassigned").await;
    assert!(!sneaky.body.contains("alpha-ticket-nord"));

    // Others' tickets are not found.
    let other = world
        .page(&cookie, &format!("/tickets/{}", world.alpha.ticket_nord))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    // His home page counts his open tickets.
    let home = world.page(&cookie, "/").await;
    assert!(home.body.contains("My open tickets"), "{}", home.body);
    assert!(
        home.body.contains("id=\"summary-open\">1<"),
        "{}",
        home.body
    );
}

/// The fields of the new-ticket form, with `csrf` when given.
fn new_ticket(csrf: Option<&str>, entity: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = vec![
        ("type", "incident"),
        ("entity", entity),
        ("title", "Serveur de fichiers HS"),
        ("description", "Plus rien ne répond."),
        ("impact", "critique"),
        ("urgency", "haut"),
        ("channel", "phone"),
    ];
    if let Some(c) = csrf {
        fields.push(("csrf", c));
    }
    fields.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    fields.extend_from_slice(extra);
    fields
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Posts the new-ticket form.
async fn open_ticket(world: &World, cookie: &str, fields: Vec<(String, String)>) -> Answer {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    world.form(cookie, "/tickets/new", &pairs).await
}

#[tokio::test]
async fn opening_a_ticket_needs_the_csrf_token_and_valid_values() {
    let world = World::sqlite().await;
    let (agent, csrf) = world.web_session(world.alpha.agent_sud.id).await;
    let sud = world.alpha.sud.0.to_string();
    let before = world.audit_count().await;

    // The form offers the agent the requester and the channel.
    let form = world.page(&agent, "/tickets/new").await;
    assert!(form.body.contains("id=\"new-requester\"") && form.body.contains("id=\"new-channel\""));
    assert!(form.body.contains("alpha-category"));

    // A forged or missing token: 403, nothing written.
    let forged = open_ticket(&world, &agent, new_ticket(Some("forged-token"), &sud, &[])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let missing = open_ticket(&world, &agent, new_ticket(None, &sud, &[])).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert_eq!(world.audit_count().await, before, "a refused form wrote");

    // A missing title: 422, the form again with the values kept.
    let refused = open_ticket(
        &world,
        &agent,
        new_ticket(Some(&csrf), &sud, &[("title", " ")]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"form-error\""));
    assert!(refused.body.contains("Plus rien ne répond."));
    // A bad level: 422.
    let refused = open_ticket(
        &world,
        &agent,
        new_ticket(Some(&csrf), &sud, &[("impact", "énorme")]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // An entity out of his reach: not found.
    let nord = world.alpha.nord.0.to_string();
    let foreign = open_ticket(&world, &agent, new_ticket(Some(&csrf), &nord, &[])).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.body);
    assert_eq!(world.audit_count().await, before);

    // Valid: opened for a colleague, priority from the tenant's matrix.
    let category = world.alpha.category.0.to_string();
    let worker = world.alpha.worker_sud.id.to_string();
    let created = open_ticket(
        &world,
        &agent,
        new_ticket(
            Some(&csrf),
            &sud,
            &[("category", &category), ("requester", &worker)],
        ),
    )
    .await;
    let to = created.location();
    assert!(to.starts_with("/tickets/"), "{to}");
    assert_eq!(world.audit_count().await, before + 1);
    let page = world.page(&agent, &to).await;
    assert!(page.body.contains("Serveur de fichiers HS"));
    assert!(page.body.contains("P1 — Critical"), "{}", page.body);
    assert!(
        page.body
            .contains("id=\"ticket-requester\">Person alpha.worker-sud<")
    );
    assert!(page.body.contains("alpha-category"));
    assert!(page.body.contains(">Phone<"));
}

#[tokio::test]
async fn take_reply_note_and_resolve_through_the_forms() {
    let world = World::sqlite().await;
    let (agent, csrf) = world.web_session(world.alpha.agent_sud.id).await;
    let ticket = world.alpha.ticket_sud;
    let path = format!("/tickets/{ticket}");

    let page = world.page(&agent, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    for form in [
        "action-take",
        "assign-form",
        "action-start",
        "resolve-form",
        "reply-form",
    ] {
        assert!(page.body.contains(&format!("id=\"{form}\"")), "{form}");
    }
    assert!(
        !page.body.contains("id=\"pend-form\""),
        "new tickets do not wait"
    );
    assert!(page.body.contains("id=\"shortcuts\""));
    assert!(
        page.body
            .contains("<script src=\"/assets/tickets.js\" defer></script>")
    );

    // A forged token changes nothing.
    let before = world.audit_count().await;
    let forged = act(&world, &agent, "forged", ticket, &[("action", "take")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(world.audit_count().await, before);

    // Take it.
    assert_eq!(
        (act(&world, &agent, &csrf, ticket, &[("action", "take")]).await).location(),
        path
    );
    let page = world.page(&agent, &path).await;
    assert!(
        page.body.contains("id=\"ticket-status\">Assigned<"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("id=\"ticket-assignee\">Person alpha.agent-sud<"),
        "{}",
        page.body
    );
    // The history says who changed what.
    assert!(
        page.body.contains("<del>New</del> → <ins>Assigned</ins>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<ins>Person alpha.agent-sud</ins>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"pend-form\""));

    // Assign to the group of Sud and its member.
    let group = world.alpha.group_sud.0.to_string();
    let member = world.alpha.worker_sud.id.to_string();
    let assigned = act(
        &world,
        &agent,
        &csrf,
        ticket,
        &[
            ("action", "assign"),
            ("group", &group),
            ("assignee", &member),
        ],
    )
    .await;
    assigned.location();
    let page = world.page(&agent, &path).await;
    assert!(
        page.body.contains("id=\"ticket-group\">alpha-group-sud<"),
        "{}",
        page.body
    );
    // Someone outside the group is refused: 422, the page again.
    let outsider = world.alpha.agent_sud.id.to_string();
    let refused = act(
        &world,
        &agent,
        &csrf,
        ticket,
        &[
            ("action", "assign"),
            ("group", &group),
            ("assignee", &outsider),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("id=\"form-error\""));

    // Start, put on hold, resume.
    (act(&world, &agent, &csrf, ticket, &[("action", "start")]).await).location();
    (act(
        &world,
        &agent,
        &csrf,
        ticket,
        &[("action", "pend"), ("reason", "supplier")],
    )
    .await)
        .location();
    let page = world.page(&agent, &path).await;
    assert!(
        page.body.contains("id=\"ticket-pending\">A supplier<"),
        "{}",
        page.body
    );
    (act(&world, &agent, &csrf, ticket, &[("action", "resume")]).await).location();

    // A reply and an internal note.
    (reply(
        &world,
        &agent,
        &csrf,
        ticket,
        "On regarde **tout de suite**.",
        "public",
    )
    .await)
        .location();
    (reply(
        &world,
        &agent,
        &csrf,
        ticket,
        "Le disque est mort.",
        "internal",
    )
    .await)
        .location();
    let empty = reply(&world, &agent, &csrf, ticket, "   ", "public").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = world.page(&agent, &path).await;
    assert!(
        page.body.contains("<strong>tout de suite</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Le disque est mort."));
    assert!(page.body.contains("class=\"tl tl-note\""));
    assert!(page.body.contains("Internal note"));

    // Resolving needs a solution: the form comes back with the code kept.
    let missing = act(
        &world,
        &agent,
        &csrf,
        ticket,
        &[
            ("action", "resolve"),
            ("solution", " "),
            ("code", "workaround"),
        ],
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.body.contains("This needs a value: Solution"),
        "{}",
        missing.body
    );
    assert!(
        missing
            .body
            .contains("<option value=\"workaround\" selected>")
    );
    let resolved = act(
        &world,
        &agent,
        &csrf,
        ticket,
        &[
            ("action", "resolve"),
            ("solution", "Disque **remplacé**."),
            ("code", "fixed"),
        ],
    )
    .await;
    resolved.location();
    let page = world.page(&agent, &path).await;
    assert!(
        page.body.contains("id=\"ticket-status\">Resolved<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<strong>remplacé</strong>"));
    assert!(page.body.contains("id=\"ticket-solution-code\">Fixed<"));
    assert!(
        page.body.contains("id=\"action-reopen\"") && page.body.contains("id=\"action-close\"")
    );
    assert!(!page.body.contains("id=\"resolve-form\""));
}

#[tokio::test]
async fn a_refused_action_shows_the_allowed_ones() {
    let world = World::sqlite().await;
    let (agent, csrf) = world.web_session(world.alpha.agent_sud.id).await;
    let ticket = world.alpha.ticket_sud;
    let before = world.audit_count().await;
    let refused = act(&world, &agent, &csrf, ticket, &[("action", "reopen")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("id=\"form-error\""));
    assert!(
        refused
            .body
            .contains("Possible now: Assign, Start, Resolve."),
        "{}",
        refused.body
    );
    // The page shown is the ticket's, with the forms of what is allowed.
    assert!(refused.body.contains("id=\"assign-form\""));
    let pend = act(
        &world,
        &agent,
        &csrf,
        ticket,
        &[("action", "pend"), ("reason", "customer")],
    )
    .await;
    assert_eq!(pend.status, StatusCode::CONFLICT);
    let unknown = act(&world, &agent, &csrf, ticket, &[("action", "explode")]).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(world.audit_count().await, before);

    // In French.
    let (fr, fr_csrf) = world.web_session(world.alpha.admin.id).await;
    let lang = world
        .form(
            &fr,
            "/lang",
            &[("lang", "fr"), ("csrf", &fr_csrf), ("back", "/tickets")],
        )
        .await;
    lang.location();
    let refused = act(&world, &fr, &fr_csrf, ticket, &[("action", "close")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused
            .body
            .contains("Possible maintenant : Attribuer, Démarrer, Résoudre."),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Prendre en charge"));

    // Someone who may only read the ticket may not work it.
    let (requester, requester_csrf) = world.web_session(world.alpha.requester_nord.id).await;
    let own = ticket_for(
        &world,
        world.alpha.nord,
        world.alpha.requester_nord.id,
        "Le mien",
        "",
    )
    .await;
    let forbidden = act(
        &world,
        &requester,
        &requester_csrf,
        own,
        &[("action", "start")],
    )
    .await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.body
    );
    assert!(forbidden.body.contains("id=\"form-error\""));
}

#[tokio::test]
async fn internal_notes_are_not_shown_to_the_requester() {
    let world = World::sqlite().await;
    let requester_id = world.alpha.requester_nord.id;
    let ticket = ticket_for(
        &world,
        world.alpha.nord,
        requester_id,
        "Écran noir",
        "Rien.",
    )
    .await;
    let path = format!("/tickets/{ticket}");
    let (agent, csrf) = world.web_session(world.alpha.admin_nord.id).await;
    let (requester, requester_csrf) = world.web_session(requester_id).await;

    (reply(
        &world,
        &agent,
        &csrf,
        ticket,
        "Pouvez-vous redémarrer ?",
        "public",
    )
    .await)
        .location();
    (reply(
        &world,
        &agent,
        &csrf,
        ticket,
        "SECRET-NOTE: utilisateur pénible",
        "internal",
    )
    .await)
        .location();
    (reply(
        &world,
        &requester,
        &requester_csrf,
        ticket,
        "Redémarrage fait.",
        "public",
    )
    .await)
        .location();
    // He may not write notes, even by hand.
    let sneaky = reply(
        &world,
        &requester,
        &requester_csrf,
        ticket,
        "note?",
        "internal",
    )
    .await;
    assert_eq!(sneaky.status, StatusCode::FORBIDDEN, "{}", sneaky.body);

    let seen = world.page(&requester, &path).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains("Pouvez-vous redémarrer ?"));
    assert!(seen.body.contains("Redémarrage fait."), "{}", seen.body);
    assert!(
        !seen.body.contains("SECRET-NOTE"),
        "an internal note leaked"
    );
    assert!(!seen.body.contains("tl-note"));
    let agents_view = world.page(&agent, &path).await;
    assert!(agents_view.body.contains("SECRET-NOTE"));

    // Resolved: the requester may close his own ticket, nothing else.
    (act(
        &world,
        &agent,
        &csrf,
        ticket,
        &[
            ("action", "resolve"),
            ("solution", "Redémarré."),
            ("code", "fixed"),
        ],
    )
    .await)
        .location();
    let seen = world.page(&requester, &path).await;
    assert!(
        seen.body.contains("id=\"action-close\"") && seen.body.contains("id=\"action-reopen\"")
    );
    assert!(!seen.body.contains("id=\"assign-form\""));
    (act(
        &world,
        &requester,
        &requester_csrf,
        ticket,
        &[("action", "close")],
    )
    .await)
        .location();
    let seen = world.page(&requester, &path).await;
    assert!(
        seen.body.contains("id=\"ticket-status\">Closed<"),
        "{}",
        seen.body
    );
    assert!(!seen.body.contains("id=\"reply-form\""));
    assert!(seen.body.contains("id=\"ticket-closed-notice\""));
    let late = reply(
        &world,
        &requester,
        &requester_csrf,
        ticket,
        "encore",
        "public",
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT);

    // Someone else's resolved ticket is not his to close.
    let (other, other_csrf) = world.web_session(world.alpha.worker_sud.id).await;
    let answer = act(&world, &other, &other_csrf, ticket, &[("action", "reopen")]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn markup_in_titles_descriptions_and_replies_renders_inert() {
    let world = World::sqlite().await;
    let (agent, csrf) = world.web_session(world.alpha.agent_sud.id).await;
    let payload = "<script>alert(1)</script><img src=x onerror=alert(1)>";
    let description = format!(
        "{payload}\n\n[clic](javascript:alert(1)) <a href=\"javascript:alert(2)\" onclick=\"alert(3)\">x</a>"
    );
    let sud = world.alpha.sud.0.to_string();
    let created = world
        .form(
            &agent,
            "/tickets/new",
            &[
                ("csrf", &csrf),
                ("type", "incident"),
                ("entity", &sud),
                ("title", payload),
                ("description", &description),
                ("impact", "moyen"),
                ("urgency", "moyen"),
                ("channel", "email"),
            ],
        )
        .await;
    let to = created.location();
    let id: i64 = to.trim_start_matches("/tickets/").parse().expect("id");
    (reply(&world, &agent, &csrf, TicketId(id), payload, "public").await).location();

    for path in [to.as_str(), "/tickets?queue=all", "/tickets?queue=open"] {
        let page = world.page(&agent, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let lower = page.body.to_lowercase();
        // The only script is the page's own file.
        assert_eq!(lower.matches("<script").count(), 1, "{path}: {}", page.body);
        assert!(lower.contains("<script src=\"/assets/tickets.js\" defer></script>"));
        for attr in ["onerror", "onclick", "javascript:"] {
            assert!(
                !inside_a_tag(&page.body, attr),
                "{path}: {attr} in a tag: {}",
                page.body
            );
        }
        assert!(!lower.contains("<img src=x"), "{path}");
        // The title shows as text, escaped by the template.
        assert!(
            page.body
                .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path}: {}",
            page.body
        );
    }
    // The description keeps what is harmless.
    let page = world.page(&agent, &to).await;
    assert!(page.body.contains("<img src=\"x\">"), "{}", page.body);
    assert!(page.body.contains(">clic<"), "{}", page.body);
}

#[tokio::test]
async fn the_shortcut_script_is_served_and_the_nav_has_tickets() {
    let world = World::sqlite().await;
    let script = world
        .send(
            axum::http::Request::get("/assets/tickets.js")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/javascript"))
    );
    assert!(script.body.contains("reply-body") && script.body.contains("assign-group"));

    let (requester, _) = world.web_session(world.alpha.requester_nord.id).await;
    let home = world.page(&requester, "/").await;
    let nav_start = home.body.find("<nav class=\"side\"").expect("nav");
    let nav = &home.body[nav_start..];
    let home_at = nav.find("href=\"/\"").expect("home");
    let tickets_at = nav.find("href=\"/tickets\"").expect("tickets");
    assert!(home_at < tickets_at, "Tickets comes right after Home");
    assert!(
        home.headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("default-src 'self'"))
    );
}

#[tokio::test]
async fn a_contact_point_sees_his_entitys_tickets_in_the_portal() {
    let world = World::sqlite().await;
    let requester = world.alpha.requester_nord.id;
    world
        .store
        .create_grant(
            &Actor::system(),
            &vigie_core::tenancy::Scope::Platform,
            t0(),
            requester,
            &vigie_store::NewGrant {
                entity_id: world.alpha.nord,
                role: vigie_core::role::Role::ContactPoint,
                recursive: true,
            },
        )
        .await
        .expect("grant");
    let (cookie, _) = world.web_session(requester).await;
    let portal = world.page(&cookie, "/tickets?queue=all").await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(portal.body.contains("My tickets"), "still the portal");
    assert!(portal.body.contains("alpha-ticket-nord"), "{}", portal.body);
    assert!(!portal.body.contains("alpha-ticket-sud"));
    // He reads it, replies to it, but does not work it.
    let page = world
        .page(&cookie, &format!("/tickets/{}", world.alpha.ticket_nord))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"reply-form\""));
    assert!(!page.body.contains("id=\"ticket-actions\""));
    assert!(!page.body.contains("id=\"reply-internal\""));
}
