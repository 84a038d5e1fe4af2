//! Attachments through the API: upload, list, download served inert, the
//! same bytes stored once, limits (413) and refused types (422), sanitised
//! names, tenancy (404) and closed tickets (409). The story runs on SQLite
//! and on PostgreSQL when `VIGIE_TEST_POSTGRES_URL` is set.

use crate::support::{Answer, World, t0};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use vigie_core::ids::TenantId;

const BOUNDARY: &str = "vigie-test-7d1f0c";
const MIB: usize = 1024 * 1024;
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// One part of a `multipart/form-data` body.
struct Part<'a> {
    name: &'a str,
    file_name: Option<&'a str>,
    bytes: &'a [u8],
}

fn file<'a>(file_name: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part {
        name: "file",
        file_name: Some(file_name),
        bytes,
    }
}

fn field<'a>(name: &'a str, value: &'a str) -> Part<'a> {
    Part {
        name,
        file_name: None,
        bytes: value.as_bytes(),
    }
}

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p.file_name {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n",
                    p.name
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                    p.name
                )
                .as_bytes(),
            ),
        }
        body.extend_from_slice(p.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn path(ticket: i64) -> String {
    format!("/api/v1/tickets/{ticket}/attachments")
}

async fn post(world: &World, token: &str, ticket: i64, parts: &[Part<'_>]) -> Answer {
    let req = Request::post(path(ticket))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart(parts)))
        .expect("request");
    world.send(req).await
}

async fn upload(world: &World, token: &str, ticket: i64, parts: &[Part<'_>]) -> Value {
    let res = post(world, token, ticket, parts).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}

async fn list(world: &World, token: &str, ticket: i64) -> Answer {
    world
        .api(Method::GET, &path(ticket), Some(token), None)
        .await
}

fn names(list: &Answer) -> Vec<String> {
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    list.json()
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["file_name"].as_str().expect("name").to_owned())
        .collect()
}

/// Downloads, keeping the bytes as they are.
async fn download(world: &World, token: &str, url: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::get(url)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let res = world.app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (status, headers, bytes.to_vec())
}

fn header_of(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

async fn storage(world: &World, tenant: TenantId) -> (i64, i64) {
    world
        .store
        .attachment_storage(tenant)
        .await
        .expect("storage")
}

async fn open_ticket(world: &World, token: &str, entity: i64, title: &str) -> i64 {
    let res = world
        .api(
            Method::POST,
            "/api/v1/tickets",
            Some(token),
            Some(json!({"type": "incident", "entity_id": entity, "title": title})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_i64().expect("id")
}

async fn story(world: World) {
    let a = &world.alpha;
    let requester = &a.requester_nord.token;
    let agent = &a.admin_nord.token;
    let ticket = open_ticket(&world, requester, a.nord.0, "Écran noir").await;
    let before = storage(&world, a.tenant.id).await;

    // The requester attaches a screenshot to his ticket.
    let shot = upload(&world, requester, ticket, &[file("capture.png", PNG)]).await;
    assert_eq!(shot["file_name"], "capture.png");
    assert_eq!(shot["content_type"], "image/png");
    assert_eq!(shot["size"], PNG.len());
    assert_eq!(shot["public"], true);
    assert_eq!(shot["uploaded_by"], a.requester_nord.id.0);
    assert_eq!(shot["sha256"], hex(&Sha256::digest(PNG)));
    let url = shot["download_url"].as_str().expect("url").to_owned();
    assert_eq!(
        url,
        format!("/api/v1/tickets/{ticket}/attachments/{}", shot["id"])
    );

    // Internal files are the agents'.
    post(
        &world,
        requester,
        ticket,
        &[file("notes.txt", b"x"), field("public", "false")],
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let log = b"2026-01-01 12:00:00 ERROR disque plein\n";
    let internal = upload(
        &world,
        agent,
        ticket,
        &[field("public", "false"), file("diagnostic.log", log)],
    )
    .await;
    assert_eq!(internal["public"], false);
    assert_eq!(internal["content_type"], "text/plain; charset=utf-8");

    // The same bytes again: a second attachment, one stored content.
    let copy = upload(&world, agent, ticket, &[file("copie.png", PNG)]).await;
    assert_ne!(copy["id"], shot["id"]);
    assert_eq!(copy["sha256"], shot["sha256"]);
    let after = storage(&world, a.tenant.id).await;
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (2, (PNG.len() + log.len()) as i64),
        "three uploads, two contents"
    );

    // Lists: internal files for the agents only.
    assert_eq!(
        names(&list(&world, agent, ticket).await),
        vec!["capture.png", "diagnostic.log", "copie.png"]
    );
    assert_eq!(
        names(&list(&world, requester, ticket).await),
        vec!["capture.png", "copie.png"]
    );

    // Downloads: the same bytes, served inert.
    let (status, headers, bytes) = download(&world, requester, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PNG);
    assert_eq!(header_of(&headers, header::CONTENT_TYPE), "image/png");
    assert_eq!(
        header_of(&headers, header::CONTENT_DISPOSITION),
        "attachment; filename=\"capture.png\"; filename*=UTF-8''capture.png"
    );
    assert_eq!(
        header_of(&headers, header::X_CONTENT_TYPE_OPTIONS),
        "nosniff"
    );
    assert_eq!(
        header_of(&headers, header::CONTENT_SECURITY_POLICY),
        "sandbox"
    );
    assert_eq!(
        header_of(&headers, header::CACHE_CONTROL),
        "private, no-store"
    );
    let internal_url = internal["download_url"].as_str().expect("url");
    let (status, _, bytes) = download(&world, agent, internal_url).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, &log[..]));
    let (status, _, bytes) = download(&world, requester, internal_url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&bytes).contains("diagnostic"));

    // Each upload is in the ticket's history; the internal one unnamed.
    let history = world
        .api(
            Method::GET,
            &format!("/api/v1/tickets/{ticket}/history"),
            Some(requester),
            None,
        )
        .await;
    assert_eq!(history.status, StatusCode::OK);
    assert!(history.body.contains("capture.png"), "{}", history.body);
    assert!(history.body.contains("\"attachment\""), "{}", history.body);
    assert!(!history.body.contains("diagnostic"), "{}", history.body);

    // A hostile name is stored sanitised and served inert; a name in
    // French comes back whole.
    let hostile = upload(
        &world,
        requester,
        ticket,
        &[file("../../<script>alert(1)</script>.txt", b"bonjour\n")],
    )
    .await;
    let stored = hostile["file_name"].as_str().expect("name");
    assert_eq!(stored, "_..__script_alert(1)__script_.txt");
    let (status, headers, bytes) = download(
        &world,
        requester,
        hostile["download_url"].as_str().expect("url"),
    )
    .await;
    assert_eq!(
        (status, bytes.as_slice()),
        (StatusCode::OK, &b"bonjour\n"[..])
    );
    assert_eq!(
        header_of(&headers, header::CONTENT_DISPOSITION),
        "attachment; filename=\"_..__script_alert(1)__script_.txt\"; \
         filename*=UTF-8''_..__script_alert%281%29__script_.txt"
    );
    assert_eq!(
        header_of(&headers, header::CONTENT_TYPE),
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        header_of(&headers, header::CONTENT_SECURITY_POLICY),
        "sandbox"
    );
    let french = upload(
        &world,
        requester,
        ticket,
        &[file(
            "Été — compte rendu.pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        )],
    )
    .await;
    assert_eq!(french["file_name"], "Été — compte rendu.pdf");
    let (_, headers, _) = download(
        &world,
        requester,
        french["download_url"].as_str().expect("url"),
    )
    .await;
    assert_eq!(
        header_of(&headers, header::CONTENT_DISPOSITION),
        "attachment; filename=\"_t_ _ compte rendu.pdf\"; \
         filename*=UTF-8''%C3%89t%C3%A9%20%E2%80%94%20compte%20rendu.pdf"
    );
    assert_eq!(header_of(&headers, header::CONTENT_TYPE), "application/pdf");

    // Refused files write nothing.
    let audit = world.audit_count().await;
    let refused = |res: Answer, words: &str| {
        let p = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], "file", "{p}");
        assert!(p["detail"].as_str().expect("detail").contains(words), "{p}");
    };
    refused(
        post(
            &world,
            agent,
            ticket,
            &[file("setup.exe", b"MZ\x90\0\x03\0\0\0\x04\0")],
        )
        .await,
        "executables are refused",
    );
    refused(
        post(
            &world,
            agent,
            ticket,
            &[file("setup.exe", b"innocent text")],
        )
        .await,
        "executables are refused",
    );
    refused(
        post(
            &world,
            agent,
            ticket,
            &[file(
                "photo.png",
                b"<html><body><script>alert(document.cookie)</script></body></html>",
            )],
        )
        .await,
        "HTML",
    );
    refused(
        post(
            &world,
            agent,
            ticket,
            &[file("logo.svg", b"<svg onload=\"alert(1)\"/>")],
        )
        .await,
        "HTML, SVG or XML",
    );
    refused(
        post(&world, agent, ticket, &[file("photo.png", b"GIF89a\x01\0")]).await,
        "expected a PNG image",
    );
    refused(
        post(&world, agent, ticket, &[file("vide.txt", b"")]).await,
        "empty",
    );
    refused(
        post(&world, agent, ticket, &[file("archive.zip", b"PK\x03\x04")]).await,
        "allowed: pdf",
    );
    post(&world, agent, ticket, &[field("public", "true")])
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let p = post(
        &world,
        agent,
        ticket,
        &[file("a.txt", b"x"), field("public", "peut-etre")],
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "public");
    world
        .api(
            Method::POST,
            &path(ticket),
            Some(agent),
            Some(json!({"file": "x"})),
        )
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    assert_eq!(world.audit_count().await, audit);

    // Tenancy: another tenant reaches neither the ticket nor its files; an
    // attachment is found only under its own ticket.
    let outsider = &world.beta.admin.token;
    list(&world, outsider, ticket)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    post(&world, outsider, ticket, &[file("x.txt", b"x")])
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let (status, _, _) = download(&world, outsider, &url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, bytes) = download(
        &world,
        outsider,
        &format!(
            "/api/v1/tickets/{}/attachments/{}",
            world.beta.ticket_sud.0, shot["id"]
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&bytes).contains("PNG"));
    let other = open_ticket(&world, requester, a.nord.0, "Autre").await;
    let (status, _, _) = download(
        &world,
        requester,
        &format!("/api/v1/tickets/{other}/attachments/{}", shot["id"]),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A requester does not list another's ticket.
    list(&world, requester, a.ticket_sud.0)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    // A closed ticket takes no more files.
    for body in [
        json!({"action": "resolve", "solution": "Câble changé", "code": "fixed"}),
        json!({"action": "close"}),
    ] {
        let res = world
            .api(
                Method::POST,
                &format!("/api/v1/tickets/{ticket}/actions"),
                Some(agent),
                Some(body),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    post(&world, agent, ticket, &[file("tard.txt", b"trop tard")])
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    // Its files can still be read.
    let (status, _, _) = download(&world, requester, &url).await;
    assert_eq!(status, StatusCode::OK);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn attachments_story_on_sqlite() {
    story(World::sqlite().await).await;
}

#[tokio::test]
async fn attachments_story_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        story(World::on(store).await).await;
    }
}

/// 10 MiB pass, above is 413 with a problem document: within the route's
/// body limit (the file is counted while it is read) and beyond it.
#[tokio::test]
async fn files_above_ten_mebibytes_are_refused_with_413() {
    let world = World::sqlite().await;
    let agent = &world.alpha.worker_sud.token;
    let ticket = world.alpha.ticket_sud.0;
    let mut big = PNG.to_vec();
    big.resize(10 * MIB, 0);
    let ok = upload(&world, agent, ticket, &[file("grand.png", &big)]).await;
    assert_eq!(ok["size"], 10 * MIB);
    let (_, _, bytes) = download(&world, agent, ok["download_url"].as_str().expect("url")).await;
    assert!(bytes == big, "10 MiB come back whole");

    let audit = world.audit_count().await;
    big.push(0);
    let p = post(&world, agent, ticket, &[file("trop.png", &big)])
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    assert!(
        p["detail"].as_str().expect("detail").contains("10 MiB"),
        "{p}"
    );
    big.resize(12 * MIB, 0);
    post(&world, agent, ticket, &[file("trop.png", &big)])
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    // A declared length above the limit is refused before the body is read.
    let body = multipart(&[file("trop.png", &big)]);
    let req = Request::post(path(ticket))
        .header(header::AUTHORIZATION, format!("Bearer {agent}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .expect("request");
    world
        .send(req)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    assert_eq!(world.audit_count().await, audit);
    // The rest of the API keeps its 1 MiB limit.
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{ticket}/comments"),
            Some(agent),
            Some(json!({"body": "x".repeat(2 * MIB)})),
        )
        .await;
    res.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
}

/// Over a real socket, an oversized upload is answered at once with a 413
/// problem, while the client is still sending: no hang.
#[tokio::test]
async fn an_oversized_upload_over_a_socket_gets_413_at_once() {
    let world = World::sqlite().await;
    let state = vigie_server::AppState::new(
        world.store.clone(),
        vigie_server::ServerConfig::default(),
        vigie_server::Clock::manual(t0()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(vigie_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    for declared in [true, false] {
        let body = multipart(&[file("trop.png", &vec![0u8; 16 * MIB])]);
        let length = if declared {
            format!("Content-Length: {}\r\n", body.len())
        } else {
            "Transfer-Encoding: chunked\r\n".to_owned()
        };
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{length}\r\n",
            path(world.alpha.ticket_sud.0),
            world.alpha.worker_sud.token
        );
        // A plain blocking client: one thread sends, this one reads.
        let answer = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(addr).expect("connect");
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(30)))
                .expect("timeout");
            let mut writer = stream.try_clone().expect("clone");
            let sender = std::thread::spawn(move || -> std::io::Result<()> {
                writer.write_all(head.as_bytes())?;
                for chunk in body.chunks(64 * 1024) {
                    if !declared {
                        writer.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
                    }
                    writer.write_all(chunk)?;
                    if !declared {
                        writer.write_all(b"\r\n")?;
                    }
                }
                if !declared {
                    writer.write_all(b"0\r\n\r\n")?;
                }
                Ok(())
            });
            let mut answer = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                    Err(e) => panic!("no answer ({e}): {}", String::from_utf8_lossy(&answer)),
                }
                if String::from_utf8_lossy(&answer).contains("payload-too-large\"") {
                    break;
                }
            }
            let _ = stream.shutdown(std::net::Shutdown::Both);
            let _ = sender.join();
            String::from_utf8_lossy(&answer).into_owned()
        })
        .await
        .expect("client");
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "declared length {declared}: {answer}"
        );
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(answer.contains("/problems/payload-too-large"), "{answer}");
    }
    let _ = stop.send(());
    server.await.expect("server").expect("served");
}
