//! The service desk settings page (categories, priority matrix, assignment
//! rules) and, on the ticket page, escalation and major incidents: what
//! each role sees, CSRF and permission refusals that write nothing, and the
//! core's rules applied to the forms as to the API.

use crate::support::{Answer, World, t0};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use vigie_core::ids::{GroupId, TicketId, UserId};
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::priority::{Level, Priority, PriorityMatrix};
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_store::{NewGroup, NewTicket, TicketRecord};

/// The matrix's fields as the form sends them, from a matrix.
fn matrix_fields(m: &PriorityMatrix) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, impact) in Level::ALL.iter().enumerate() {
        for (u, urgency) in Level::ALL.iter().enumerate() {
            out.push((
                format!("m-{impact}-{urgency}"),
                m.cells[i][u].as_str().to_owned(),
            ));
        }
    }
    out
}

/// Posts the settings form.
async fn save_settings(
    world: &World,
    cookie: &str,
    csrf: &str,
    m: &PriorityMatrix,
    reopen: &str,
) -> Answer {
    let cells = matrix_fields(m);
    let mut fields: Vec<(&str, &str)> = vec![("csrf", csrf), ("reopen_hours", reopen)];
    fields.extend(cells.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    world.form(cookie, "/admin/desk/settings", &fields).await
}

/// Fetches a page in French.
async fn page_fr(world: &World, cookie: &str, path: &str) -> Answer {
    let req = Request::get(path)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT_LANGUAGE, "fr")
        .body(Body::empty())
        .expect("request");
    world.send(req).await
}

/// Reads a ticket as the system.
async fn ticket(world: &World, id: TicketId) -> TicketRecord {
    let system = Actor::system();
    world
        .store
        .get_ticket(&TicketAccess::of(&system), id)
        .await
        .expect("ticket")
}

/// Opens an incident of Sud in the store.
async fn incident(world: &World, title: &str, impact: Level, urgency: Level) -> TicketId {
    let system = Actor::system();
    let settings = world
        .store
        .ticket_settings(world.alpha.tenant.id)
        .await
        .expect("settings");
    world
        .store
        .create_ticket(
            &system,
            &TicketAccess::of(&system),
            t0(),
            &NewTicket {
                ticket_type: TicketType::Incident,
                entity_id: world.alpha.sud,
                title: title.to_owned(),
                description: "Plus rien ne répond.".to_owned(),
                requester_id: world.alpha.worker_sud.id,
                channel: Channel::Phone,
                category_id: None,
                service_ref: None,
                ci_refs: String::new(),
                impact,
                urgency,
                priority: settings.matrix.priority(impact, urgency),
            },
        )
        .await
        .expect("ticket")
        .id
}

/// Creates a support group of alpha at its root.
async fn group(world: &World, name: &str, level: i64, manager: Option<UserId>) -> GroupId {
    world
        .store
        .create_group(
            &Actor::system(),
            &Scope::Platform,
            t0(),
            &NewGroup {
                entity_id: world.alpha.root,
                name: name.to_owned(),
                level,
                manager_id: manager,
                email: None,
                description: String::new(),
            },
        )
        .await
        .expect("group")
        .id
}

#[tokio::test]
async fn the_settings_page_shows_categories_matrix_and_rules_to_those_who_may_read_it() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (admin, _) = world.web_session(a.admin.id).await;
    let page = world.page(&admin, "/admin/desk").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("<a href=\"/admin/desk\" aria-current=\"page\">Service desk</a>"));
    assert!(body.contains(&format!("id=\"category-{}\"", a.category)));
    assert!(body.contains("alpha-category"));
    assert!(body.contains("id=\"category-create\""));
    // The default matrix: critical × critical is P1, low × low is P4.
    assert!(body.contains("id=\"m-critique-critique\""));
    assert!(body.contains("<option value=\"critique\" selected>P1"));
    assert!(body.contains("id=\"reopen-hours\" name=\"reopen_hours\" type=\"number\" min=\"1\" max=\"8760\" required value=\"168\""));
    // The fixture's rule: requests of Sud go to Sud's group.
    let rule = format!("id=\"rule-{}\"", a.rule);
    assert!(body.contains(&rule), "{body}");
    assert!(body.contains("alpha-sud") && body.contains("alpha-group-sud"));
    assert!(body.contains("id=\"rule-create\""));
    assert!(!body.contains("beta-"), "only the user's tenant");

    // The administrator of Nord reads it, without forms.
    let (nord, _) = world.web_session(a.admin_nord.id).await;
    let page = world.page(&nord, "/admin/desk").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"desk-read-only\""));
    assert!(page.body.contains("alpha-category") && page.body.contains(&rule));
    for form in [
        "category-create",
        "settings-form",
        "rule-create",
        "rule-delete-",
    ] {
        assert!(!page.body.contains(&format!("id=\"{form}")), "{form}");
    }

    // A requester neither sees it in the navigation nor reads it.
    let (requester, _) = world.web_session(a.requester_nord.id).await;
    let home = world.page(&requester, "/").await;
    assert!(!home.body.contains("/admin/desk"));
    let refused = world.page(&requester, "/admin/desk").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // In French.
    let fr = page_fr(&world, &admin, "/admin/desk").await;
    for words in [
        "Centre de services",
        "Catégories",
        "Matrice des priorités",
        "Délai de réouverture (heures)",
        "Règles d&#39;attribution",
        "Urgence",
        "Toutes",
    ] {
        assert!(fr.body.contains(words), "{words}");
    }
}

#[tokio::test]
async fn forms_need_the_permission_on_the_root_and_the_csrf_token() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let before = world.audit_count().await;
    let (nord, nord_csrf) = world.web_session(a.admin_nord.id).await;
    let category = [
        ("csrf", nord_csrf.as_str()),
        ("name", "Réseau"),
        ("applies_to", "both"),
    ];
    let refused = world.form(&nord, "/admin/desk/categories", &category).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let refused = save_settings(&world, &nord, &nord_csrf, &PriorityMatrix::default(), "24").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let delete = format!("/admin/desk/rules/{}/delete", a.rule);
    let refused = world
        .form(&nord, &delete, &[("csrf", nord_csrf.as_str())])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let edit = format!("/admin/desk/categories/{}", a.category);
    let refused = world
        .form(
            &nord,
            &edit,
            &[("csrf", &nord_csrf), ("name", "x"), ("applies_to", "both")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The tenant's administrator with a forged token.
    let (admin, _) = world.web_session(a.admin.id).await;
    let forged = [
        ("csrf", "forged"),
        ("name", "Réseau"),
        ("applies_to", "both"),
    ];
    let refused = world.form(&admin, "/admin/desk/categories", &forged).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = world.form(&admin, &delete, &[("csrf", "")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = save_settings(&world, &admin, "forged", &PriorityMatrix::default(), "1").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    assert_eq!(world.audit_count().await, before, "nothing written");
    let categories = world
        .store
        .list_categories(a.tenant.id)
        .await
        .expect("categories");
    assert_eq!(categories.len(), 1);
    assert_eq!(
        world
            .store
            .list_assignment_rules(a.tenant.id)
            .await
            .expect("rules")
            .len(),
        1
    );
}

#[tokio::test]
async fn administrators_edit_categories_and_the_matrix_within_the_cores_rules() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (admin, csrf) = world.web_session(a.admin.id).await;

    // A category under the fixture's, for incidents.
    let parent = a.category.to_string();
    let created = world
        .form(
            &admin,
            "/admin/desk/categories",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Réseau"),
                ("parent", &parent),
                ("applies_to", "incident"),
            ],
        )
        .await;
    assert_eq!(created.location(), "/admin/desk#categories-title");
    let list = world
        .store
        .list_categories(a.tenant.id)
        .await
        .expect("categories");
    let network = list.iter().find(|c| c.name == "Réseau").expect("created");
    assert_eq!(
        (
            network.parent_id,
            network.applies_to.as_str(),
            network.active
        ),
        (Some(a.category), "incident", true)
    );
    let page = world.page(&admin, "/admin/desk").await;
    assert!(
        page.body
            .contains(&format!("id=\"category-{}\"", network.id))
    );

    // Renamed and deactivated from its line; it stays under its parent.
    let edited = world
        .form(
            &admin,
            &format!("/admin/desk/categories/{}", network.id),
            &[
                ("csrf", csrf.as_str()),
                ("name", "Réseau local"),
                ("applies_to", "both"),
            ],
        )
        .await;
    edited.location();
    let after = world
        .store
        .get_category(a.tenant.id, network.id)
        .await
        .expect("category");
    assert_eq!(
        (
            after.name.as_str(),
            after.applies_to.as_str(),
            after.active,
            after.parent_id
        ),
        ("Réseau local", "both", false, Some(a.category))
    );
    // A bad value is named, the form kept.
    let bad = world
        .form(
            &admin,
            "/admin/desk/categories",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Postes"),
                ("applies_to", "everything"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"form-error\""));
    assert!(bad.body.contains("value=\"Postes\""));

    // A valid matrix and delay are saved.
    let mut matrix = PriorityMatrix::default();
    matrix.cells[3][0] = Priority::Haut;
    let saved = save_settings(&world, &admin, &csrf, &matrix, "48").await;
    assert_eq!(saved.location(), "/admin/desk#matrix-title");
    let settings = world
        .store
        .ticket_settings(a.tenant.id)
        .await
        .expect("settings");
    assert_eq!(
        (settings.matrix.clone(), settings.reopen_hours),
        (matrix, 48)
    );

    // A matrix lowering the priority when the impact rises is refused with
    // the core's message; nothing is saved and the choices are kept.
    let before = world.audit_count().await;
    let mut wrong = settings.matrix.clone();
    wrong.cells[1][1] = Priority::Bas;
    let refused = save_settings(&world, &admin, &csrf, &wrong, "72").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"form-error\""));
    assert!(
        refused
            .body
            .contains("the matrix must not lower the priority when impact or urgency rises"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("id=\"reopen-hours\"") && refused.body.contains("value=\"72\""),
        "the draft is shown again"
    );
    let unchanged = world
        .store
        .ticket_settings(a.tenant.id)
        .await
        .expect("settings");
    assert_eq!(unchanged, settings);
    // A delay out of range, and an unknown priority, are refused too.
    for (m, hours) in [(&settings.matrix, "0"), (&settings.matrix, "9000")] {
        let r = save_settings(&world, &admin, &csrf, m, hours).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{hours}");
    }
    let cells = matrix_fields(&settings.matrix);
    let mut fields: Vec<(&str, &str)> = vec![("csrf", csrf.as_str()), ("reopen_hours", "24")];
    fields.extend(
        cells
            .iter()
            .map(|(k, v)| (k.as_str(), if k == "m-bas-bas" { "urgent" } else { v })),
    );
    let r = world.form(&admin, "/admin/desk/settings", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(world.audit_count().await, before, "nothing written");
}

#[tokio::test]
async fn administrators_create_and_delete_assignment_rules() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (admin, csrf) = world.web_session(a.admin.id).await;
    let category = a.category.to_string();
    let nord = a.nord.to_string();
    let group_nord = a.group_nord.to_string();
    let created = world
        .form(
            &admin,
            "/admin/desk/rules",
            &[
                ("csrf", csrf.as_str()),
                ("position", "5"),
                ("category", &category),
                ("service", ""),
                ("entity", &nord),
                ("channel", "email"),
                ("type", "incident"),
                ("group", &group_nord),
            ],
        )
        .await;
    assert_eq!(created.location(), "/admin/desk#rules-title");
    let rules = world
        .store
        .list_assignment_rules(a.tenant.id)
        .await
        .expect("rules");
    assert_eq!(rules.len(), 2);
    let new = &rules[0];
    assert_eq!(
        (
            new.position,
            new.category,
            new.channel,
            new.ticket_type,
            new.group
        ),
        (
            5,
            Some(a.category),
            Some(Channel::Email),
            Some(TicketType::Incident),
            a.group_nord
        )
    );
    // Shown first, with its conditions in words.
    let page = world.page(&admin, "/admin/desk").await;
    let first = page.body.find(&format!("id=\"rule-{}\"", new.id));
    let second = page.body.find(&format!("id=\"rule-{}\"", a.rule));
    assert!(first.is_some() && first < second, "{}", page.body);
    assert!(page.body.contains("E-mail") || page.body.contains("Email"));

    // Another tenant's group is refused, named.
    let beta_group = world.beta.group_sud.to_string();
    let bad = world
        .form(
            &admin,
            "/admin/desk/rules",
            &[
                ("csrf", csrf.as_str()),
                ("position", "7"),
                ("group", &beta_group),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains(&format!("there is no group {beta_group}"))
    );
    assert!(bad.body.contains("value=\"7\""), "the form is kept");
    let bad = world
        .form(
            &admin,
            "/admin/desk/rules",
            &[
                ("csrf", csrf.as_str()),
                ("position", "x"),
                ("group", &group_nord),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let deleted = world
        .form(
            &admin,
            &format!("/admin/desk/rules/{}/delete", new.id),
            &[("csrf", csrf.as_str())],
        )
        .await;
    deleted.location();
    let rules = world
        .store
        .list_assignment_rules(a.tenant.id)
        .await
        .expect("rules");
    assert_eq!(rules.iter().map(|r| r.id).collect::<Vec<_>>(), [a.rule]);
    // Gone: deleting it again is a 404.
    let again = world
        .form(
            &admin,
            &format!("/admin/desk/rules/{}/delete", new.id),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_agent_escalates_a_ticket_through_the_form() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let experts = group(&world, "alpha-experts-n3", 3, None).await;
    let id = a.ticket_sud;
    let path = format!("/tickets/{id}");
    let escalate = format!("/tickets/{id}/escalate");
    let (agent, csrf) = world.web_session(a.agent_sud.id).await;

    // The ticket has no group (level 1): every group above is offered.
    let page = world.page(&agent, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"escalate-form\""));
    assert!(page.body.contains(&format!("<option value=\"{experts}\"")));
    assert!(
        page.body
            .contains(&format!("<option value=\"{}\"", a.group_sud))
    );
    let fr = page_fr(&world, &agent, &path).await;
    for words in [
        "Escalader",
        "Escalade fonctionnelle",
        "Escalade hiérarchique",
        "Motif",
    ] {
        assert!(fr.body.contains(words), "{words}");
    }

    // A reason is needed.
    let experts_id = experts.to_string();
    let refused = world
        .form(
            &agent,
            &escalate,
            &[
                ("csrf", csrf.as_str()),
                ("kind", "functional"),
                ("group", &experts_id),
                ("reason", "  "),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("an escalation needs a `reason`"));

    let done = world
        .form(
            &agent,
            &escalate,
            &[
                ("csrf", csrf.as_str()),
                ("kind", "functional"),
                ("group", &experts_id),
                ("reason", "Corruption de base suspectée"),
            ],
        )
        .await;
    assert_eq!(done.location(), path);
    let t = ticket(&world, id).await;
    assert_eq!((t.group_id, t.assignee_id), (Some(experts), None));
    let page = world.page(&agent, &path).await;
    assert!(
        page.body
            .contains("Escalated to alpha-experts-n3 (level 3): Corruption de base suspectée"),
        "{}",
        page.body
    );
    assert!(page.body.contains("alpha-experts-n3</dd>"));

    // At level 3, the level-2 group is not above: refused by the core.
    let sideways = a.group_nord.to_string();
    let refused = world
        .form(
            &agent,
            &escalate,
            &[
                ("csrf", csrf.as_str()),
                ("kind", "functional"),
                ("group", &sideways),
                ("reason", "DBA"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("goes to a higher support level"));
    // Nobody manages the experts: no one to alert.
    let refused = world
        .form(
            &agent,
            &escalate,
            &[
                ("csrf", csrf.as_str()),
                ("kind", "hierarchical"),
                ("reason", "SLA en danger"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("no manager to alert"));
    assert_eq!(ticket(&world, id).await.group_id, Some(experts));

    // A forged token, or a reader who does not work the ticket, writes
    // nothing.
    let before = world.audit_count().await;
    let forged = world
        .form(
            &agent,
            &escalate,
            &[
                ("csrf", "forged"),
                ("kind", "hierarchical"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (requester, requester_csrf) = world.web_session(a.requester_nord.id).await;
    let outsider = world
        .form(
            &requester,
            &escalate,
            &[
                ("csrf", requester_csrf.as_str()),
                ("kind", "functional"),
                ("group", &experts_id),
                ("reason", "x"),
            ],
        )
        .await;
    assert!(
        matches!(
            outsider.status,
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
        ),
        "{}",
        outsider.status
    );
    assert_eq!(world.audit_count().await, before);
}

#[tokio::test]
async fn an_agent_runs_a_major_incident_from_the_ticket_page() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (agent, csrf) = world.web_session(a.agent_sud.id).await;
    let p1 = incident(
        &world,
        "Coupure électrique salle B",
        Level::Critique,
        Level::Critique,
    )
    .await;
    let p1_path = format!("/tickets/{p1}");

    // A P2 incident offers no declaration, and a forged one is refused.
    let p2_path = format!("/tickets/{}", a.ticket_sud);
    let page = world.page(&agent, &p2_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("major-declare"));
    let before = world.audit_count().await;
    let refused = world
        .form(
            &agent,
            &format!("{p2_path}/major"),
            &[("csrf", csrf.as_str()), ("major", "true")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused
            .body
            .contains("only an open incident of priority critique")
    );
    assert!(!ticket(&world, a.ticket_sud).await.major);
    assert_eq!(world.audit_count().await, before);

    // The P1 is declared major.
    let page = page_fr(&world, &agent, &p1_path).await;
    assert!(
        page.body
            .contains("id=\"major-declare-submit\">Déclarer incident majeur</button>")
    );
    let declared = world
        .form(
            &agent,
            &format!("{p1_path}/major"),
            &[("csrf", csrf.as_str()), ("major", "true")],
        )
        .await;
    assert_eq!(declared.location(), p1_path);
    assert!(ticket(&world, p1).await.major);
    let page = world.page(&agent, &p1_path).await;
    assert!(page.body.contains("id=\"ticket-major\""));
    assert!(page.body.contains("id=\"major-end-submit\""));
    assert!(page.body.contains("id=\"children-empty\""));
    assert!(
        page.body
            .contains(&format!("<option value=\"{}\"", a.ticket_sud)),
        "the P2 of Sud may be linked"
    );

    // Link the P2 as a child.
    let child = a.ticket_sud.to_string();
    let linked = world
        .form(
            &agent,
            &format!("{p1_path}/children"),
            &[("csrf", csrf.as_str()), ("child", &child)],
        )
        .await;
    assert_eq!(linked.location(), p1_path);
    assert_eq!(ticket(&world, a.ticket_sud).await.parent_id, Some(p1));
    let page = world.page(&agent, &p1_path).await;
    assert!(
        page.body
            .contains(&format!("id=\"child-{}\"", a.ticket_sud))
    );
    let fr = page_fr(&world, &agent, &p1_path).await;
    for words in [
        "Incident majeur",
        "Clore l&#39;incident majeur",
        "Incidents liés",
        "Lier un incident",
        "Délier",
        "Communications",
        "Destinataires",
        "Message",
    ] {
        assert!(fr.body.contains(words), "{words}");
    }
    // The child names its parent, in its header and in the queues.
    let number = ticket(&world, p1).await.number;
    let page = world.page(&agent, &p2_path).await;
    assert!(
        page.body.contains(&format!(
            "<a class=\"tag child-tag\" href=\"/tickets/{p1}\">Child of #{number}</a>"
        )),
        "{}",
        page.body
    );
    let queue = world.page(&agent, "/tickets?queue=all").await;
    assert!(
        queue
            .body
            .contains("class=\"tag major-tag\">Major incident</span>")
    );
    assert!(queue.body.contains(&format!("Child of #{number}")));
    // A ticket of another tenant, or the major incident itself, is not linked.
    let beta = world.beta.ticket_sud.to_string();
    let refused = world
        .form(
            &agent,
            &format!("{p1_path}/children"),
            &[("csrf", csrf.as_str()), ("child", &beta)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let itself = p1.to_string();
    let refused = world
        .form(
            &agent,
            &format!("{p1_path}/children"),
            &[("csrf", csrf.as_str()), ("child", &itself)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);

    // Record a communication; one without an audience is refused.
    let said = world
        .form(
            &agent,
            &format!("{p1_path}/communications"),
            &[
                ("csrf", csrf.as_str()),
                ("audience", "Direction"),
                ("body", "Rétablissement prévu à 15 h."),
            ],
        )
        .await;
    assert_eq!(said.location(), p1_path);
    let page = world.page(&agent, &p1_path).await;
    assert!(page.body.contains("id=\"communications\""));
    assert!(page.body.contains("Direction</span>"));
    assert!(page.body.contains("Rétablissement prévu à 15 h."));
    let refused = world
        .form(
            &agent,
            &format!("{p1_path}/communications"),
            &[("csrf", csrf.as_str()), ("audience", " "), ("body", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("a communication needs a `audience`"));
    let logged = world
        .store
        .list_communications(&ticket(&world, p1).await)
        .await
        .expect("communications");
    assert_eq!(logged.len(), 1);

    // Unlink the child, then end the major incident.
    let unlinked = world
        .form(
            &agent,
            &format!("{p1_path}/children/{}/unlink", a.ticket_sud),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(unlinked.location(), p1_path);
    assert_eq!(ticket(&world, a.ticket_sud).await.parent_id, None);
    let ended = world
        .form(
            &agent,
            &format!("{p1_path}/major"),
            &[("csrf", csrf.as_str()), ("major", "false")],
        )
        .await;
    assert_eq!(ended.location(), p1_path);
    assert!(!ticket(&world, p1).await.major);

    // Someone who does not work the ticket cannot post the forms.
    let (nord, nord_csrf) = world.web_session(a.requester_nord.id).await;
    let before = world.audit_count().await;
    let outsider = world
        .form(
            &nord,
            &format!("{p1_path}/major"),
            &[("csrf", nord_csrf.as_str()), ("major", "true")],
        )
        .await;
    assert_ne!(outsider.status, StatusCode::SEE_OTHER);
    assert!(!ticket(&world, p1).await.major);
    assert_eq!(world.audit_count().await, before);
}
