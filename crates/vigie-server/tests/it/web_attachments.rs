//! Attachments and absences in the web UI over HTTP: the upload form
//! (`multipart/form-data`, its CSRF part checked before the file), the list
//! and the download with the API's inert headers, refused types shown on the
//! page, internal files kept from requesters; absences on the profile page.

use crate::support::{Answer, World, t0};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use vigie_core::ids::TicketId;
use vigie_core::tenancy::Actor;
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_store::{NewAttachment, NewTicket};

const BOUNDARY: &str = "vigie-web-test-42a9";

/// A `multipart/form-data` body: text fields, then a file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts the upload form of a ticket.
async fn upload(
    world: &World,
    cookie: &str,
    ticket: TicketId,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Answer {
    let req = Request::post(format!("/tickets/{ticket}/attachments"))
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart(fields, file)))
        .expect("request");
    world.send(req).await
}

/// The download links of a ticket page.
fn download_links(html: &str, ticket: TicketId) -> Vec<String> {
    let prefix = format!("href=\"/tickets/{ticket}/attachments/");
    html.match_indices(&prefix)
        .map(|(i, _)| {
            let rest = &html[i + 6..];
            rest[..rest.find('"').expect("end of link")].to_owned()
        })
        .collect()
}

const SAFE_HEADERS: [header::HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::CONTENT_DISPOSITION,
    header::X_CONTENT_TYPE_OPTIONS,
    header::CONTENT_SECURITY_POLICY,
    header::CACHE_CONTROL,
];

#[tokio::test]
async fn files_are_uploaded_listed_and_downloaded_through_the_ticket_page() {
    let world = World::sqlite().await;
    let alpha = world.alpha.clone();
    let ticket = alpha.ticket_sud;
    let (cookie, csrf) = world.web_session(alpha.worker_sud.id).await;

    // The page offers the form, with the internal checkbox for an agent,
    // and lists the seeded internal file with its badge.
    let page = world.page(&cookie, &format!("/tickets/{ticket}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("id=\"attach-internal\""));
    assert!(page.body.contains("ticket-sud-notes.txt"), "{}", page.body);
    assert!(page.body.contains("class=\"note-tag\""));

    // A forged token: 403, nothing stored.
    let before = world.audit_count().await;
    let forged = upload(
        &world,
        &cookie,
        ticket,
        &[("csrf", "forged")],
        Some(("rapport.txt", b"Bonjour.\n")),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let missing = upload(
        &world,
        &cookie,
        ticket,
        &[],
        Some(("rapport.txt", b"Bonjour.\n")),
    )
    .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert_eq!(world.audit_count().await, before);

    // The real token: stored, back to the ticket.
    let ok = upload(
        &world,
        &cookie,
        ticket,
        &[("csrf", &csrf)],
        Some(("rapport.txt", b"Bonjour.\n")),
    )
    .await;
    assert_eq!(ok.location(), format!("/tickets/{ticket}"));
    assert_eq!(world.audit_count().await, before + 1);
    let page = world.page(&cookie, &format!("/tickets/{ticket}")).await;
    assert!(page.body.contains("rapport.txt"), "{}", page.body);
    let links = download_links(&page.body, ticket);
    assert_eq!(links.len(), 2, "{links:?}");

    // The download: the bytes, with exactly the API's headers.
    let web = world.page(&cookie, &links[1]).await;
    assert_eq!(web.status, StatusCode::OK);
    assert_eq!(web.body, "Bonjour.\n");
    let api_path = format!("/api/v1{}", links[1]);
    let api = world
        .api(Method::GET, &api_path, Some(&alpha.worker_sud.token), None)
        .await;
    assert_eq!(api.status, StatusCode::OK);
    for h in SAFE_HEADERS {
        assert!(web.headers.get(&h).is_some(), "{h} missing");
        assert_eq!(web.headers.get(&h), api.headers.get(&h), "{h}");
    }
    let disposition = web.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .expect("ascii");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(web.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(web.headers[header::CONTENT_SECURITY_POLICY], "sandbox");
    assert_eq!(web.headers[header::CACHE_CONTROL], "private, no-store");

    // A program is refused, with the reason on the page; nothing stored.
    let before = world.audit_count().await;
    let exe = upload(
        &world,
        &cookie,
        ticket,
        &[("csrf", &csrf)],
        Some(("setup.exe", b"MZ\x90\0\x03\0\0\0\x04\0\0\0")),
    )
    .await;
    assert_eq!(exe.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", exe.body);
    assert!(exe.body.contains("id=\"form-error\""), "{}", exe.body);
    assert!(
        exe.body.contains("executables") || exe.body.contains("exécutables"),
        "{}",
        exe.body
    );
    // An empty file too.
    let empty = upload(
        &world,
        &cookie,
        ticket,
        &[("csrf", &csrf)],
        Some(("vide.txt", b"")),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("id=\"form-error\""));
    // Over 10 MiB: 413, the limit on the page.
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let over = upload(
        &world,
        &cookie,
        ticket,
        &[("csrf", &csrf)],
        Some(("gros.txt", &big)),
    )
    .await;
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", over.body);
    assert!(over.body.contains("id=\"form-error\""));
    assert_eq!(world.audit_count().await, before);

    // An unknown attachment or a bad id: 404.
    let unknown = world
        .page(&cookie, &format!("/tickets/{ticket}/attachments/999999"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn internal_files_are_kept_from_the_requester() {
    let world = World::sqlite().await;
    let alpha = world.alpha.clone();
    let system = Actor::system();
    let access = TicketAccess::of(&system);
    let ticket = world
        .store
        .create_ticket(
            &system,
            &access,
            t0(),
            &NewTicket {
                ticket_type: TicketType::Incident,
                entity_id: alpha.nord,
                title: "Imprimante".to_owned(),
                description: "Elle ne répond plus.".to_owned(),
                requester_id: alpha.requester_nord.id,
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
        .expect("ticket");
    let internal = world
        .store
        .add_attachment(
            &system,
            &access,
            t0(),
            &ticket,
            &NewAttachment {
                file_name: "diagnostic-interne.txt".into(),
                content_type: "text/plain; charset=utf-8".into(),
                public: false,
                // printf 'Notes internes.\n' | sha256sum
                sha256: "d0bdb97ceffac2410ff982f6c7450b93f6369b6964f7a5c71d6fc0450951e8e0".into(),
                content: b"Notes internes.\n".to_vec(),
            },
        )
        .await
        .expect("attachment");
    let id = ticket.id;

    // The requester attaches a public file; he is offered no internal box.
    let (cookie, csrf) = world.web_session(alpha.requester_nord.id).await;
    let page = world.page(&cookie, &format!("/tickets/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"attach-form\""));
    assert!(!page.body.contains("id=\"attach-internal\""));
    assert!(
        !page.body.contains("diagnostic-interne.txt"),
        "{}",
        page.body
    );
    let ok = upload(
        &world,
        &cookie,
        id,
        &[("csrf", &csrf)],
        Some(("capture.txt", b"Erreur 42\n")),
    )
    .await;
    assert_eq!(ok.location(), format!("/tickets/{id}"));
    // Asking for an internal file is refused to him.
    let refused = upload(
        &world,
        &cookie,
        id,
        &[("csrf", &csrf), ("internal", "on")],
        Some(("autre.txt", b"Encore\n")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    let page = world.page(&cookie, &format!("/tickets/{id}")).await;
    assert!(page.body.contains("capture.txt"));
    assert!(!page.body.contains("diagnostic-interne.txt"));
    assert!(!page.body.contains("autre.txt"));
    assert_eq!(download_links(&page.body, id).len(), 1);
    let hidden = world
        .page(
            &cookie,
            &format!("/tickets/{id}/attachments/{}", internal.id),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_ne!(hidden.body, "Notes internes.\n");
}

#[tokio::test]
async fn absences_are_recorded_and_deleted_on_the_profile_page() {
    let world = World::sqlite().await;
    let alpha = world.alpha.clone();
    let me = alpha.worker_sud.id;
    let (cookie, csrf) = world.web_session(me).await;

    // The seeded absence of next year is listed, with the form.
    let page = world.page(&cookie, "/profile").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("id=\"absence-{}\"", alpha.absence))
    );
    assert!(page.body.contains("type=\"datetime-local\""));
    let before = world
        .store
        .list_absences(me, t0())
        .await
        .expect("list")
        .len();

    // A forged token changes nothing; a reversed period is refused.
    let fields = |csrf: &'static str| {
        vec![
            ("csrf", csrf),
            ("kind", "leave"),
            ("starts", "2026-07-27T09:00"),
            ("ends", "2026-07-31T18:00"),
            ("backup", ""),
        ]
    };
    let forged = world
        .form(&cookie, "/profile/absences", &fields("forged"))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let reversed = world
        .form(
            &cookie,
            "/profile/absences",
            &[
                ("csrf", &csrf),
                ("kind", "leave"),
                ("starts", "2026-07-31T18:00"),
                ("ends", "2026-07-27T09:00"),
            ],
        )
        .await;
    assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reversed.body.contains("id=\"absence-error\""),
        "{}",
        reversed.body
    );
    assert_eq!(
        world
            .store
            .list_absences(me, t0())
            .await
            .expect("list")
            .len(),
        before
    );

    // Recorded, the times read in Europe/Paris (UTC+2 in summer).
    let ok = world
        .form(
            &cookie,
            "/profile/absences",
            &[
                ("csrf", &csrf),
                ("kind", "leave"),
                ("starts", "2026-07-27T09:00"),
                ("ends", "2026-07-31T18:00"),
                ("backup", ""),
            ],
        )
        .await;
    assert_eq!(ok.location(), "/profile#absences");
    let list = world.store.list_absences(me, t0()).await.expect("list");
    assert_eq!(list.len(), before + 1);
    let new = list
        .iter()
        .find(|r| r.id != alpha.absence)
        .expect("new absence");
    assert_eq!(new.absence.starts_at.to_string(), "2026-07-27T07:00:00Z");
    assert_eq!(new.absence.ends_at.to_string(), "2026-07-31T16:00:00Z");
    let page = world.page(&cookie, "/profile").await;
    assert!(page.body.contains("2026-07-27 09:00"), "{}", page.body);

    // Deleted with its button.
    let path = format!("/profile/absences/{}/delete", new.id);
    let forged = world.form(&cookie, &path, &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let deleted = world.form(&cookie, &path, &[("csrf", &csrf)]).await;
    assert_eq!(deleted.location(), "/profile#absences");
    let list = world.store.list_absences(me, t0()).await.expect("list");
    assert_eq!(list.len(), before);
    assert!(list.iter().all(|r| r.id != new.id));

    // The administrator sees and manages them on the user page.
    let (admin, admin_csrf) = world.web_session(alpha.admin.id).await;
    let page = world.page(&admin, &format!("/admin/users/{me}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("action=\"/admin/users/{me}/absences\""))
    );
    let ok = world
        .form(
            &admin,
            &format!("/admin/users/{me}/absences"),
            &[
                ("csrf", &admin_csrf),
                ("kind", "training"),
                ("starts", "2026-03-02T08:00"),
                ("ends", "2026-03-03T08:00"),
                ("backup", &alpha.agent_sud.id.0.to_string()),
            ],
        )
        .await;
    assert_eq!(ok.location(), format!("/admin/users/{me}#absences"));
    assert_eq!(
        world
            .store
            .list_absences(me, t0())
            .await
            .expect("list")
            .len(),
        before + 1
    );
    let page = world.page(&admin, &format!("/admin/users/{me}")).await;
    assert!(page.body.contains("2026-03-02 08:00"), "{}", page.body);
}
