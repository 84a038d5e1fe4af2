//! A real Dovecot on 127.0.0.1: mails delivered over LMTP are read by
//! Vigie over IMAP, become tickets and replies, and are moved (or flagged)
//! only once stored; a second run reads nothing new. The mails Vigie
//! sends go through msmtpd, or through Dovecot's submission service over
//! TLS, and are read back.
//!
//! Runs when `VIGIE_TEST_IMAP` names the `dovecot` binary (`.ci/run`
//! installs Debian's `dovecot-imapd` and `dovecot-lmtpd`); fails instead of
//! skipping when `VIGIE_REQUIRE_ALL_SUITES` is set.

use crate::mail_support::{corpus, input, mailbox};
use crate::support::World;
use futures_util::StreamExt;
use vigie_core::mail::{AfterAction, Security};
use vigie_server::mail::imap;
use vigie_server::mail::testing::{Dovecot, binary};

async fn dovecot() -> Option<Dovecot> {
    let binary = binary().expect("suite required")?;
    Some(
        Dovecot::start(&binary, &[("support", "secret-imap")])
            .await
            .expect("dovecot starts"),
    )
}

/// How many messages a folder holds, and how many of them are unseen.
async fn folder(port: u16, name: &str) -> (u32, usize) {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.expect("greeting");
    let mut session = client
        .login("support", "secret-imap")
        .await
        .map_err(|(e, _)| e)
        .expect("login");
    let mailbox = session.select(name).await.expect("select");
    let unseen = session.uid_search("UNSEEN").await.expect("search").len();
    let _ = session.logout().await;
    (mailbox.exists, unseen)
}

fn settings(world: &World, d: &Dovecot, after: AfterAction) -> vigie_store::MailboxInput {
    let mut i = input(&world.alpha, "imap", "[]");
    i.host = "127.0.0.1".into();
    i.port = d.imap_port;
    i.security = Security::None;
    i.after_action = after;
    i
}

/// The world's requester of Nord, by his address.
const REQUESTER: &str = "alpha.requester-nord@example.org";

/// Dovecot with the support mailbox and the requester's own.
async fn dovecot_with_requester() -> Option<Dovecot> {
    let binary = binary().expect("suite required")?;
    Some(
        Dovecot::start(
            &binary,
            &[("support", "secret-imap"), (REQUESTER, "secret-req")],
        )
        .await
        .expect("dovecot starts"),
    )
}

#[tokio::test]
async fn mail_imap_mails_are_read_stored_once_then_moved() {
    let Some(d) = dovecot().await else {
        return;
    };
    let world = World::sqlite().await;
    for file in [
        "new_utf8.eml",
        "attachments.eml",
        "auto_reply.eml",
        "latin1.eml",
    ] {
        d.deliver("support", &corpus(file)).await.expect(file);
    }
    let (_, ctx) = mailbox(&world, &settings(&world, &d, AfterAction::Move), None).await;
    let report = imap::run(&world.state, &ctx, "secret-imap")
        .await
        .expect("run");
    assert_eq!(report.read, 4, "{report:?}");
    assert_eq!((report.tickets, report.others), (3, 1), "{report:?}");
    assert_eq!(folder(d.imap_port, "INBOX").await, (0, 0));
    assert_eq!(folder(d.imap_port, "Traites").await.0, 4);

    // A reply to the acknowledgement, delivered and read: the same ticket.
    let outbox = world
        .store
        .list_outbox(world.alpha.tenant.id, 10)
        .await
        .expect("outbox");
    let ack = outbox
        .iter()
        .find(|o| o.mail.in_reply_to == "new-utf8-1@client.example")
        .expect("acknowledgement");
    let reply = String::from_utf8(corpus("reply_headers.eml"))
        .expect("utf-8")
        .replace("ticket-notification@vigie.example", &ack.mail.message_id);
    d.deliver("support", reply.as_bytes()).await.expect("reply");
    let report = imap::run(&world.state, &ctx, "secret-imap")
        .await
        .expect("run");
    assert_eq!((report.read, report.tickets), (1, 1), "{report:?}");
    let ticket = ack.mail.ticket_id.expect("ticket");
    let t = world
        .store
        .get_ticket(
            &vigie_core::ticket::TicketAccess::of(&vigie_core::tenancy::Actor::system()),
            ticket,
        )
        .await
        .expect("ticket");
    let comments = world
        .store
        .list_comments(
            &vigie_core::ticket::TicketAccess::of(&vigie_core::tenancy::Actor::system()),
            &t,
        )
        .await
        .expect("comments");
    assert_eq!(comments.len(), 1);
    let again = imap::run(&world.state, &ctx, "secret-imap")
        .await
        .expect("run");
    assert_eq!(again.read, 0);
}

/// A mail larger than Vigie reads (25 MiB) is not downloaded: it is
/// recorded as failed from its header alone (its Message-ID, sender and
/// subject, where a download would have known only a hash of its bytes)
/// and moved, and the rest of the folder is read.
#[tokio::test]
async fn mail_imap_a_mail_too_large_is_recorded_from_its_header_and_moved() {
    let Some(d) = dovecot().await else {
        return;
    };
    let world = World::sqlite().await;
    let mut large = format!(
        "From: Client <{REQUESTER}>\r\nTo: support@example.org\r\nSubject: Archive trop lourde\r\n\
         Message-ID: <too-large-1@client.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: application/zip; name=\"archive.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    )
    .into_bytes();
    while large.len() <= 26 * 1024 * 1024 {
        large.extend_from_slice(&[b'A'; 76]);
        large.extend_from_slice(b"\r\n");
    }
    d.deliver("support", &large).await.expect("large mail");
    d.deliver("support", &corpus("new_utf8.eml"))
        .await
        .expect("small mail");
    let (record, ctx) = mailbox(&world, &settings(&world, &d, AfterAction::Move), None).await;
    let report = imap::run(&world.state, &ctx, "secret-imap")
        .await
        .expect("run");
    assert_eq!(report.read, 2, "{report:?}");
    assert_eq!((report.tickets, report.others), (1, 1), "{report:?}");
    assert_eq!(folder(d.imap_port, "INBOX").await, (0, 0));
    assert_eq!(folder(d.imap_port, "Traites").await.0, 2);
    let received = world
        .store
        .list_received_mails(world.alpha.tenant.id, Some(record.id), 10)
        .await
        .expect("received");
    let refused = received
        .iter()
        .find(|r| r.message_id == "too-large-1@client.example")
        .expect("recorded by its header's Message-ID");
    assert_eq!(refused.outcome, "failed");
    assert!(refused.reason.contains("more than"), "{}", refused.reason);
    assert_eq!(refused.from, REQUESTER);
    assert_eq!(refused.subject, "Archive trop lourde");
    assert_eq!(refused.ticket_id, None);
}

#[tokio::test]
async fn mail_imap_flagged_mails_stay_and_are_not_read_twice() {
    let Some(d) = dovecot().await else {
        return;
    };
    let world = World::sqlite().await;
    d.deliver("support", &corpus("new_utf8.eml"))
        .await
        .expect("mail");
    d.deliver("support", &corpus("cp1252.eml"))
        .await
        .expect("mail");
    let (_, ctx) = mailbox(&world, &settings(&world, &d, AfterAction::Flag), None).await;
    let report = imap::run(&world.state, &ctx, "secret-imap")
        .await
        .expect("run");
    assert_eq!((report.read, report.tickets), (2, 2), "{report:?}");
    assert_eq!(folder(d.imap_port, "INBOX").await, (2, 0), "kept, seen");
    assert_eq!(
        imap::run(&world.state, &ctx, "secret-imap")
            .await
            .expect("run")
            .read,
        0
    );

    // A wrong password is an error, and nothing is marked.
    d.deliver("support", &corpus("latin9.eml"))
        .await
        .expect("mail");
    assert!(imap::run(&world.state, &ctx, "wrong").await.is_err());
    assert_eq!(folder(d.imap_port, "INBOX").await, (3, 1));
    let mut fetched = 0;
    {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", d.imap_port))
            .await
            .expect("connect");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting");
        let mut s = client
            .login("support", "secret-imap")
            .await
            .map_err(|(e, _)| e)
            .expect("login");
        s.select("INBOX").await.expect("select");
        let mut items = s.fetch("1:*", "FLAGS").await.expect("fetch");
        while let Some(i) = items.next().await {
            i.expect("item");
            fetched += 1;
        }
    }
    assert_eq!(fetched, 3);
}

/// Every message of a user's inbox, read over IMAP.
async fn inbox_of(port: u16, user: &str, password: &str) -> Vec<Vec<u8>> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.expect("greeting");
    let mut s = client
        .login(user, password)
        .await
        .map_err(|(e, _)| e)
        .expect("login");
    let exists = s.select("INBOX").await.expect("select").exists;
    let mut mails = Vec::new();
    if exists > 0 {
        let mut items = s.fetch("1:*", "RFC822").await.expect("fetch");
        while let Some(i) = items.next().await {
            mails.push(i.expect("item").body().expect("body").to_vec());
        }
    }
    mails
}

#[tokio::test]
async fn mail_notifications_are_delivered_by_smtp_read_back_and_answered() {
    let Some(d) = dovecot_with_requester().await else {
        return;
    };
    let Some(smtpd) = vigie_server::mail::testing::smtpd_binary().expect("suite required") else {
        return;
    };
    let relay = vigie_server::mail::testing::SmtpRelay::start(&smtpd, &d)
        .await
        .expect("msmtpd starts");
    let world = World::sqlite().await;
    let config = vigie_server::ServerConfig {
        smtp_url: Some(relay.url()),
        ..vigie_server::ServerConfig::default()
    };
    let state = vigie_server::AppState::new(world.store.clone(), config, world.clock.clone());
    let requester = REQUESTER;
    let first = format!(
        "From: Requester <{requester}>\r\nTo: support@vigie.example\r\n\
         Subject: Imprimante en panne\r\nMessage-ID: <first@client.example>\r\n\
         Date: Wed, 31 Dec 2025 09:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         L'imprimante du 2e étage ne répond plus.\r\n"
    );
    d.deliver("support", first.as_bytes()).await.expect("mail");
    let (_, ctx) = mailbox(&world, &settings(&world, &d, AfterAction::Move), None).await;
    let report = imap::run(&state, &ctx, "secret-imap").await.expect("run");
    assert_eq!(report.tickets, 1, "{report:?}");
    let ack = world
        .store
        .list_outbox(world.alpha.tenant.id, 10)
        .await
        .expect("outbox");
    let ticket = ack[0].mail.ticket_id.expect("ticket");

    // An agent answers publicly; the notifier and the sender run.
    let res = world
        .api(
            axum::http::Method::POST,
            &format!("/api/v1/tickets/{}/comments", ticket.0),
            Some(&world.alpha.admin.token),
            Some(serde_json::json!({"body": "Avez-vous vérifié le bac papier ?", "public": true})),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    vigie_server::mail::notifier::write_pending(&state)
        .await
        .expect("notifier");
    let sent = vigie_server::mail::send::send_due(&state, "sender")
        .await
        .expect("send");
    assert_eq!((sent.sent, sent.failed), (2, 0), "{sent:?}");

    // Both arrived in the requester's real mailbox, threaded and tagged.
    let mut got = Vec::new();
    for _ in 0..100 {
        got = inbox_of(d.imap_port, requester, "secret-req").await;
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 2);
    let parsed: Vec<mail_parser::Message<'_>> = got
        .iter()
        .map(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw)
                .expect("mail")
        })
        .collect();
    let reply = parsed
        .iter()
        .find(|m| m.body_text(0).is_some_and(|b| b.contains("bac papier")))
        .expect("the public reply");
    let subject = reply.subject().unwrap_or_default();
    assert!(subject.contains("[VIGIE#"), "{subject}");
    assert_eq!(
        reply.in_reply_to().as_text(),
        Some("first@client.example"),
        "threaded under the first mail"
    );
    assert_eq!(
        reply.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    let their_id = reply.message_id().expect("Message-ID").to_owned();

    // The requester answers that mail: it comes back onto the ticket.
    let answer = format!(
        "From: Requester <{requester}>\r\nTo: support@vigie.example\r\n\
         Subject: Re: {subject}\r\nMessage-ID: <second@client.example>\r\n\
         In-Reply-To: <{their_id}>\r\nReferences: <first@client.example> <{their_id}>\r\n\
         Date: Wed, 31 Dec 2025 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Oui, le bac est plein.\r\n\r\n> Avez-vous vérifié le bac papier ?\r\n"
    );
    d.deliver("support", answer.as_bytes()).await.expect("mail");
    let report = imap::run(&state, &ctx, "secret-imap").await.expect("run");
    assert_eq!(report.tickets, 1, "{report:?}");
    let access = vigie_core::ticket::TicketAccess::of(&vigie_core::tenancy::Actor::system());
    let t = world
        .store
        .get_ticket(&access, ticket)
        .await
        .expect("ticket");
    let comments = world
        .store
        .list_comments(&access, &t)
        .await
        .expect("comments");
    assert!(
        comments.iter().any(|c| c.public
            && c.body.contains("le bac est plein")
            && !c.body.contains("vérifié")),
        "{comments:?}"
    );
}

/// A mail for the requester, put in the outbox.
fn mail_to_requester(tenant: vigie_core::ids::TenantId, id: &str) -> vigie_store::OutgoingMail {
    vigie_store::OutgoingMail {
        tenant_id: tenant,
        ticket_id: None,
        kind: "ticket_created".into(),
        sender: "support@vigie.example".into(),
        recipient: REQUESTER.into(),
        subject: format!("[VIGIE#7] Sent over TLS ({id})"),
        body_text: format!("Body of {id}"),
        body_html: format!("<p>Body of {id}</p>"),
        message_id: format!("{id}@vigie.example"),
        in_reply_to: String::new(),
        references: String::new(),
    }
}

#[tokio::test]
async fn mail_smtp_over_starttls_and_tls_verifies_the_server() {
    let Some(d) = dovecot_with_requester().await else {
        return;
    };
    let Some(smtpd) = vigie_server::mail::testing::smtpd_binary().expect("suite required") else {
        return;
    };
    let binary = binary().expect("suite required").expect("dovecot");
    let relay = vigie_server::mail::testing::SmtpRelay::start(&smtpd, &d)
        .await
        .expect("msmtpd starts");
    // Dovecot's submission service, with a certificate of the test
    // authority, relaying to msmtpd, which delivers to the first Dovecot.
    let (ca_pem, files) = authority_and_server();
    let submission =
        Dovecot::start_submission(&binary, &[("vigie", "secret-smtp")], &files, relay.port)
            .await
            .expect("submission starts");
    let world = World::sqlite().await;
    let tenant = world.alpha.tenant.id;
    let starttls = format!(
        "smtp://vigie:secret-smtp@127.0.0.1:{}?tls=required",
        submission.submission_port
    );
    let wrapped = format!(
        "smtps://vigie:secret-smtp@127.0.0.1:{}",
        submission.submissions_port
    );
    let state_of = |url: &str, ca: bool| {
        let config = vigie_server::ServerConfig {
            smtp_url: Some(url.to_owned()),
            mail_ca: if ca {
                vigie_server::mail::imap::parse_ca_pem(ca_pem.as_bytes()).expect("bundle")
            } else {
                Vec::new()
            },
            ..vigie_server::ServerConfig::default()
        };
        vigie_server::AppState::new(world.store.clone(), config, world.clock.clone())
    };

    // Without the organisation's authority, neither way sends: the
    // certificate is refused and the mail waits for another attempt.
    let now = world.clock.now();
    world
        .store
        .enqueue_mail(now, &mail_to_requester(tenant, "first"))
        .await
        .expect("enqueue");
    for url in [&starttls, &wrapped] {
        world.clock.advance(jiff::SignedDuration::from_hours(7));
        let refused = vigie_server::mail::send::send_due(&state_of(url, false), "sender")
            .await
            .expect("run");
        assert_eq!((refused.sent, refused.failed), (0, 1), "{url}");
    }
    let row = &world.store.list_outbox(tenant, 1).await.expect("outbox")[0];
    assert!(row.sent_at.is_none() && row.last_error.is_some(), "{row:?}");

    // Trusted: after STARTTLS, then over TLS from the first byte.
    world.clock.advance(jiff::SignedDuration::from_hours(7));
    let sent = vigie_server::mail::send::send_due(&state_of(&starttls, true), "sender")
        .await
        .expect("run");
    assert_eq!((sent.sent, sent.failed), (1, 0), "{sent:?}");
    world
        .store
        .enqueue_mail(world.clock.now(), &mail_to_requester(tenant, "second"))
        .await
        .expect("enqueue");
    let sent = vigie_server::mail::send::send_due(&state_of(&wrapped, true), "sender")
        .await
        .expect("run");
    assert_eq!((sent.sent, sent.failed), (1, 0), "{sent:?}");

    // Both were relayed and delivered: read back over IMAP.
    let mut got = Vec::new();
    for _ in 0..100 {
        got = inbox_of(d.imap_port, REQUESTER, "secret-req").await;
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 2);
    let mut ids: Vec<String> = got
        .iter()
        .map(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw)
                .expect("mail")
                .message_id()
                .expect("Message-ID")
                .to_owned()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["first@vigie.example", "second@vigie.example"]);
}

/// A certificate authority and a certificate for 127.0.0.1 it signed.
fn authority_and_server() -> (String, vigie_server::mail::testing::TlsFiles) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Vigie test authority");
    let ca_cert = ca.self_signed(&ca_key).expect("authority");
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("certificate");
    (
        ca_cert.pem(),
        vigie_server::mail::testing::TlsFiles {
            cert_pem: server.pem(),
            key_pem: key.serialize_pem(),
        },
    )
}

#[tokio::test]
async fn mail_imap_over_tls_and_starttls_verifies_the_server() {
    let Some(binary) = binary().expect("suite required") else {
        return;
    };
    let (ca_pem, files) = authority_and_server();
    let d = Dovecot::start_with(&binary, &[("support", "secret-imap")], Some(&files))
        .await
        .expect("dovecot starts");
    let world = World::sqlite().await;
    for file in ["new_utf8.eml", "latin1.eml"] {
        d.deliver("support", &corpus(file)).await.expect(file);
    }
    let trusting = vigie_server::AppState::new(
        world.store.clone(),
        vigie_server::ServerConfig {
            mail_ca: vigie_server::mail::imap::parse_ca_pem(ca_pem.as_bytes()).expect("bundle"),
            ..vigie_server::ServerConfig::default()
        },
        world.clock.clone(),
    );
    let mut tls = settings(&world, &d, AfterAction::Flag);
    tls.security = Security::Tls;
    tls.port = d.imaps_port;
    let (_, tls_ctx) = mailbox(&world, &tls, None).await;

    // Without the organisation's authority, the certificate is refused and
    // nothing is read.
    let refused = imap::run(&world.state, &tls_ctx, "secret-imap").await;
    assert!(
        matches!(refused, Err(imap::ImapError::Io(_))),
        "{refused:?}"
    );
    assert_eq!(folder(d.imap_port, "INBOX").await, (2, 2));

    // Trusted: over TLS from the first byte.
    let report = imap::run(&trusting, &tls_ctx, "secret-imap")
        .await
        .expect("tls run");
    assert_eq!((report.read, report.tickets), (2, 2), "{report:?}");

    // And after STARTTLS on the plain port.
    d.deliver("support", &corpus("cp1252.eml"))
        .await
        .expect("mail");
    let mut starttls = settings(&world, &d, AfterAction::Flag);
    starttls.name = "imap-starttls".into();
    starttls.security = Security::StartTls;
    let (_, starttls_ctx) = mailbox(&world, &starttls, None).await;
    assert!(
        imap::run(&world.state, &starttls_ctx, "secret-imap")
            .await
            .is_err()
    );
    let report = imap::run(&trusting, &starttls_ctx, "secret-imap")
        .await
        .expect("starttls run");
    assert_eq!((report.read, report.tickets), (1, 1), "{report:?}");

    // A bundle without a certificate is refused.
    assert!(vigie_server::mail::imap::parse_ca_pem(b"not a certificate").is_err());
}

#[tokio::test]
async fn mail_imap_idle_reads_a_mail_as_soon_as_it_arrives() {
    let Some(d) = dovecot().await else {
        return;
    };
    let world = World::sqlite().await;
    d.deliver("support", &corpus("new_utf8.eml"))
        .await
        .expect("mail");
    let (record, ctx) = mailbox(&world, &settings(&world, &d, AfterAction::Move), None).await;
    let tickets = async |world: &World| {
        world
            .store
            .list_received_mails(world.alpha.tenant.id, Some(record.id), 100)
            .await
            .expect("received")
            .len()
    };
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let state = world.state.clone();
    let watching = tokio::spawn(async move {
        imap::watch(
            &state,
            &ctx,
            "secret-imap",
            std::time::Duration::from_secs(120),
            &mut stopped,
        )
        .await
    });
    // The first read, then the wait; a mail delivered during the wait is
    // read long before the two minutes are over.
    for _ in 0..200 {
        if tickets(&world).await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!watching.is_finished(), "still watching");
    assert_eq!(tickets(&world).await, 1);
    d.deliver("support", &corpus("latin1.eml"))
        .await
        .expect("mail");
    for _ in 0..400 {
        if tickets(&world).await == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(tickets(&world).await, 2, "read while waiting");
    stop.send(true).expect("stop");
    let report = watching.await.expect("task").expect("watch");
    assert_eq!(report.read, 2, "{report:?}");
    assert!(report.woken >= 1, "{report:?}");
    assert_eq!(folder(d.imap_port, "Traites").await.0, 2);
}
