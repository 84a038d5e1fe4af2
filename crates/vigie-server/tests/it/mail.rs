//! The mail channel end to end on the store, without a mail server: the
//! corpus read into tickets, replies, events and recorded refusals, each
//! Message-ID stored once, and the acknowledgements in the outbox.

use crate::mail_support::{PROVIDER_RULES, corpus, input, mailbox};
use crate::support::World;
use vigie_core::tenancy::Actor;
use vigie_core::ticket::priority::Priority;
use vigie_core::ticket::{Channel, TicketAccess};
use vigie_server::mail::intake::{Outcome, ingest, ingest_batch};

fn access() -> TicketAccess {
    TicketAccess::of(&Actor::system())
}

async fn ticket_of(world: &World, outcome: &Outcome) -> vigie_store::TicketRecord {
    let id = match outcome {
        Outcome::Ticket(t) | Outcome::Reply(t) => *t,
        other => panic!("no ticket: {other:?}"),
    };
    world.store.get_ticket(&access(), id).await.expect("ticket")
}

#[tokio::test]
async fn mail_threading_a_new_mail_its_replies_and_its_duplicate() {
    let world = World::sqlite().await;
    let (_, ctx) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    let opened = ingest(&world.state, &ctx, &corpus("new_utf8.eml"))
        .await
        .expect("mail");
    let ticket = ticket_of(&world, &opened).await;
    assert_eq!(ticket.title, "Imprimante du 2e étage en panne");
    assert_eq!(ticket.channel, Channel::Email);
    assert!(
        ticket.description.contains("« bourrage »"),
        "{}",
        ticket.description
    );
    let requester = world
        .store
        .get_user(&vigie_core::tenancy::Scope::Platform, ticket.requester_id)
        .await
        .expect("contact");
    assert_eq!(
        requester.email.as_deref(),
        Some("jeanne.martin@client.example")
    );
    assert_eq!(requester.display_name, "Jeanne Martin");

    // Read again (a crash before the mail was moved): stored once.
    let again = ingest(&world.state, &ctx, &corpus("new_utf8.eml"))
        .await
        .expect("mail");
    assert_eq!(again, Outcome::Duplicate);

    // The acknowledgement waits in the outbox with the tag and threading.
    let outbox = world
        .store
        .list_outbox(world.alpha.tenant.id, 10)
        .await
        .expect("outbox");
    assert_eq!(outbox.len(), 1);
    let ack = &outbox[0].mail;
    assert_eq!(ack.kind, "ticket_created");
    assert_eq!(ack.recipient, "jeanne.martin@client.example");
    assert!(
        ack.subject
            .starts_with(&format!("[VIGIE#{}] ", ticket.number)),
        "{}",
        ack.subject
    );
    assert_eq!(ack.in_reply_to, "new-utf8-1@client.example");
    assert!(
        ack.body_text.contains("Bonjour"),
        "French by default: {}",
        ack.body_text
    );

    // A reply to the acknowledgement: by its headers.
    let reply = String::from_utf8(corpus("reply_headers.eml"))
        .expect("utf-8")
        .replace("ticket-notification@vigie.example", &ack.message_id);
    let replied = ingest(&world.state, &ctx, reply.as_bytes())
        .await
        .expect("mail");
    assert_eq!(replied, Outcome::Reply(ticket.id));
    // A reply by the subject tag only.
    let tagged = String::from_utf8(corpus("reply_tag.eml"))
        .expect("utf-8")
        .replace("[VIGIE#1]", &format!("[VIGIE#{}]", ticket.number));
    let replied = ingest(&world.state, &ctx, tagged.as_bytes())
        .await
        .expect("mail");
    assert_eq!(replied, Outcome::Reply(ticket.id));
    let comments = world
        .store
        .list_comments(&access(), &ticket)
        .await
        .expect("comments");
    let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(
        bodies,
        vec![
            "Elle fonctionne à nouveau, merci.",
            "Encore un bourrage cet après-midi."
        ],
        "quoted parts trimmed"
    );
    assert!(
        comments
            .iter()
            .all(|c| c.public && c.author_id == Some(ticket.requester_id))
    );
}

#[tokio::test]
async fn mail_charsets_html_and_attachments_reach_the_ticket() {
    let world = World::sqlite().await;
    let (_, ctx) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    for (file, title, text) in [
        ("latin1.eml", "Accès réseau coupé", "bâtiment A est coupé"),
        ("latin9.eml", "Facture de 120 €", "œuvre"),
        ("cp1252.eml", "L’écran clignote – 50 €", "c’est gênant"),
        ("html_only.eml", "Messagerie lente", "très lente"),
        ("no_body.eml", "Appelez-moi", "sans texte"),
        ("unknown_charset.eml", "", "Le caf"),
        ("broken_mime.eml", "Pièce jointe cassée", ""),
        ("no_message_id.eml", "Sans identifiant", "pas de Message-ID"),
    ] {
        let outcome = ingest(&world.state, &ctx, &corpus(file)).await.expect(file);
        let t = ticket_of(&world, &outcome).await;
        assert!(t.title.contains(title), "{file}: {}", t.title);
        assert!(t.description.contains(text), "{file}: {}", t.description);
    }
    let outcome = ingest(&world.state, &ctx, &corpus("attachments.eml"))
        .await
        .expect("mail");
    let t = ticket_of(&world, &outcome).await;
    let files = world
        .store
        .list_attachments(&access(), &t)
        .await
        .expect("files");
    let mut names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["capture.png", "rapport détaillé.pdf"]);
    assert!(
        t.description.contains("outil.exe"),
        "the dropped program is named: {}",
        t.description
    );
}

#[tokio::test]
async fn mail_automatic_mail_is_recorded_and_never_answered() {
    let world = World::sqlite().await;
    let (record, ctx) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    for (file, reason) in [
        ("auto_reply.eml", "auto_reply"),
        ("out_of_office.eml", "auto_reply"),
        ("bounce.eml", "bounce"),
    ] {
        let outcome = ingest(&world.state, &ctx, &corpus(file)).await.expect(file);
        assert_eq!(outcome, Outcome::Ignored(reason.into()), "{file}");
    }
    assert!(
        world
            .store
            .list_outbox(world.alpha.tenant.id, 10)
            .await
            .expect("outbox")
            .is_empty()
    );
    let received = world
        .store
        .list_received_mails(world.alpha.tenant.id, Some(record.id), 10)
        .await
        .expect("received");
    assert_eq!(received.len(), 3);
    assert!(
        received
            .iter()
            .all(|r| r.outcome == "ignored" && r.ticket_id.is_none())
    );
}

#[tokio::test]
async fn mail_provider_alerts_become_events_and_rules_place_tickets() {
    let world = World::sqlite().await;
    let key = crate::events_support::key(
        &world.store,
        world.alpha.root,
        "hebergeur-mail",
        world.clock.now(),
    )
    .await;
    let (_, ctx) = mailbox(
        &world,
        &input(&world.alpha, "alertes", PROVIDER_RULES),
        Some(key.id),
    )
    .await;
    let fired = ingest(&world.state, &ctx, &corpus("provider_alert.eml"))
        .await
        .expect("mail");
    assert_eq!(fired, Outcome::Event);
    let cleared = ingest(&world.state, &ctx, &corpus("provider_alert_cleared.eml"))
        .await
        .expect("mail");
    assert_eq!(cleared, Outcome::Event);
    assert_eq!(
        ingest(&world.state, &ctx, &corpus("provider_alert.eml"))
            .await
            .expect("mail"),
        Outcome::Duplicate
    );
    let done = vigie_server::events::process_all(&world.state, "test-instance")
        .await
        .expect("processing");
    assert_eq!(done.events, 2, "{done:?}");
    assert_eq!(
        done.incidents_opened, 1,
        "a critical alert opens an incident: {done:?}"
    );
    assert_eq!(
        done.incidents_resolved, 1,
        "its clearing mail resolves it: {done:?}"
    );

    let vpn = b"From: paul@client.example\r\nTo: support@vigie.example\r\nSubject: Le VPN refuse mon mot de passe\r\nMessage-ID: <vpn-1@client.example>\r\n\r\nDepuis ce matin.\r\n";
    let placed = ingest(&world.state, &ctx, vpn).await.expect("mail");
    assert_eq!(ticket_of(&world, &placed).await.priority, Priority::Haut);
}

#[tokio::test]
async fn mail_an_event_rule_without_key_is_recorded_as_failed() {
    let world = World::sqlite().await;
    let (_, ctx) = mailbox(
        &world,
        &input(&world.alpha, "alertes", PROVIDER_RULES),
        None,
    )
    .await;
    let outcome = ingest(&world.state, &ctx, &corpus("provider_alert.eml"))
        .await
        .expect("mail");
    assert!(
        matches!(outcome, Outcome::Failed(ref r) if r.contains("integration key")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn mail_unknown_senders_may_be_refused_with_a_notice() {
    let world = World::sqlite().await;
    let mut refusing = input(&world.alpha, "strict", "[]");
    refusing.unknown_senders = vigie_core::mail::UnknownSenders::Refuse;
    let (_, ctx) = mailbox(&world, &refusing, None).await;
    let outcome = ingest(&world.state, &ctx, &corpus("new_utf8.eml"))
        .await
        .expect("mail");
    assert_eq!(outcome, Outcome::Refused("unknown_sender".into()));
    let outbox = world
        .store
        .list_outbox(world.alpha.tenant.id, 10)
        .await
        .expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].mail.kind, "notice");
    assert_eq!(outbox[0].mail.recipient, "jeanne.martin@client.example");
    assert_eq!(outbox[0].mail.in_reply_to, "new-utf8-1@client.example");

    // A known user of the tenant is the requester.
    let known = format!(
        "From: {login}@example.org\r\nTo: support@vigie.example\r\nSubject: Souris\r\nMessage-ID: <known-1@x>\r\n\r\nLa souris ne marche plus.\r\n",
        login = world.alpha.requester_nord.login
    );
    let outcome = ingest(&world.state, &ctx, known.as_bytes())
        .await
        .expect("mail");
    let t = match outcome {
        Outcome::Ticket(t) => world.store.get_ticket(&access(), t).await.expect("ticket"),
        other => panic!("{other:?}"),
    };
    assert_eq!(t.requester_id, world.alpha.requester_nord.id);
}

#[tokio::test]
async fn mail_a_looping_sender_is_stopped_by_the_rate_limit() {
    let world = World::sqlite().await;
    let mut limited = input(&world.alpha, "support", "[]");
    limited.rate_max = 3;
    let (_, ctx) = mailbox(&world, &limited, None).await;
    let mut outcomes = Vec::new();
    for i in 0..5 {
        let raw = format!(
            "From: robot@client.example\r\nSubject: Boucle {i}\r\nMessage-ID: <loop-{i}@x>\r\n\r\ntexte\r\n"
        );
        outcomes.push(
            ingest(&world.state, &ctx, raw.as_bytes())
                .await
                .expect("mail"),
        );
    }
    assert!(
        outcomes[..3]
            .iter()
            .all(|o| matches!(o, Outcome::Ticket(_))),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[3], Outcome::Ignored("rate_limited".into()));
    world.clock.advance(jiff::SignedDuration::from_mins(11));
    let raw = b"From: robot@client.example\r\nSubject: Plus tard\r\nMessage-ID: <loop-late@x>\r\n\r\ntexte\r\n";
    let later = ingest(&world.state, &ctx, raw).await.expect("mail");
    assert!(
        matches!(later, Outcome::Ticket(_)),
        "the window has passed: {later:?}"
    );
}

#[tokio::test]
async fn mail_bad_input_is_recorded_and_the_next_mail_goes_through() {
    let world = World::sqlite().await;
    let (record, mut ctx) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    ctx.limits.max_bytes = 64 * 1024;
    let mut big = corpus("new_utf8.eml");
    big.extend(std::iter::repeat_n(b'x', 70 * 1024));
    let outcome = ingest(&world.state, &ctx, &big).await.expect("mail");
    assert!(
        matches!(outcome, Outcome::Failed(ref r) if r.contains("more than")),
        "{outcome:?}"
    );
    assert_eq!(
        ingest(&world.state, &ctx, &big).await.expect("mail"),
        Outcome::Duplicate
    );
    let outcome = ingest(&world.state, &ctx, b"\xff\xfe garbage")
        .await
        .expect("mail");
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
    let ok = ingest(&world.state, &ctx, &corpus("new_utf8.eml"))
        .await
        .expect("mail");
    assert!(matches!(ok, Outcome::Ticket(_)));
    let received = world
        .store
        .list_received_mails(world.alpha.tenant.id, Some(record.id), 10)
        .await
        .expect("received");
    assert_eq!(received.len(), 3);
}

#[tokio::test]
async fn mail_the_story_holds_on_postgres() {
    let Some(store) = vigie_store::testing::postgres().await.expect("postgres") else {
        return;
    };
    let world = World::on(store).await;
    let (_, ctx) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    let opened = ingest(&world.state, &ctx, &corpus("attachments.eml"))
        .await
        .expect("mail");
    let t = ticket_of(&world, &opened).await;
    assert_eq!(
        world
            .store
            .list_attachments(&access(), &t)
            .await
            .expect("files")
            .len(),
        2
    );
    assert_eq!(
        ingest(&world.state, &ctx, &corpus("attachments.eml"))
            .await
            .expect("mail"),
        Outcome::Duplicate
    );
    let ack = &world
        .store
        .list_outbox(world.alpha.tenant.id, 1)
        .await
        .expect("outbox")[0]
        .mail;
    let reply = format!(
        "From: jeanne.martin@client.example\r\nSubject: Re: x\r\nMessage-ID: <pg-reply@x>\r\nIn-Reply-To: <{}>\r\n\r\nMerci.\r\n",
        ack.message_id
    );
    assert_eq!(
        ingest(&world.state, &ctx, reply.as_bytes())
            .await
            .expect("mail"),
        Outcome::Reply(t.id)
    );
    // Two senders claiming at once: the mail goes to one of them.
    let now = world.clock.now();
    let until = now + jiff::SignedDuration::from_mins(2);
    let (a, b) = tokio::join!(
        world.store.claim_outgoing_mail("a", now, until, 10),
        world.store.claim_outgoing_mail("b", now, until, 10)
    );
    assert_eq!(a.expect("a").len() + b.expect("b").len(), 1);
}

#[tokio::test]
async fn mail_the_outbox_is_claimed_once_and_retried_with_backoff() {
    let world = World::sqlite().await;
    let (_, ctx) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    ingest(&world.state, &ctx, &corpus("new_utf8.eml"))
        .await
        .expect("mail");
    let now = world.clock.now();
    let until = now + jiff::SignedDuration::from_mins(2);
    let first = world
        .store
        .claim_outgoing_mail("a", now, until, 10)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    let second = world
        .store
        .claim_outgoing_mail("b", now, until, 10)
        .await
        .expect("claim");
    assert!(second.is_empty(), "a claimed mail is nobody else's");
    world.clock.advance(jiff::SignedDuration::from_mins(3));
    let now = world.clock.now();
    let taken_over = world
        .store
        .claim_outgoing_mail("b", now, now + jiff::SignedDuration::from_mins(2), 10)
        .await
        .expect("claim");
    assert_eq!(taken_over.len(), 1, "an expired claim is free");
    assert!(
        !world
            .store
            .mark_mail_sent(first[0].id, "a", now)
            .await
            .expect("mark"),
        "not a's any more"
    );
    world
        .store
        .mark_mail_failed(first[0].id, "b", "refused", now)
        .await
        .expect("failed");

    // A sender whose SMTP server does not answer: the attempt is counted
    // and the next one waits.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let config = vigie_server::ServerConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        ..vigie_server::ServerConfig::default()
    };
    let state = vigie_server::AppState::new(world.store.clone(), config, world.clock.clone());
    let report = vigie_server::mail::send::send_due(&state, "sender")
        .await
        .expect("run");
    assert_eq!((report.sent, report.failed), (0, 1));
    let row = &world
        .store
        .list_outbox(world.alpha.tenant.id, 1)
        .await
        .expect("outbox")[0];
    assert_eq!(row.attempts, 2);
    assert!(row.last_error.is_some() && row.sent_at.is_none());
    let again = vigie_server::mail::send::send_due(&state, "sender")
        .await
        .expect("run");
    assert_eq!(again, Default::default(), "the next attempt is not due yet");
    let msg = vigie_server::mail::send::message(row).expect("message");
    let text = String::from_utf8(msg.formatted()).expect("utf-8");
    assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
    assert!(
        text.contains("In-Reply-To: <new-utf8-1@client.example>"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Message-ID: <{}>", row.mail.message_id)),
        "{text}"
    );
}

#[tokio::test]
async fn mail_the_html_as_received_is_shown_cleaned_on_the_ticket_page() {
    let world = World::sqlite().await;
    let (_, ctx) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    let outcome = ingest(&world.state, &ctx, &corpus("html_only.eml"))
        .await
        .expect("mail");
    let t = ticket_of(&world, &outcome).await;
    let (cookie, _) = world.web_session(world.alpha.admin.id).await;
    let page = world
        .page_in(&cookie, &format!("/tickets/{}", t.id.0), "fr")
        .await;
    assert_eq!(page.status, axum::http::StatusCode::OK);
    let start = page.body.find("id=\"ticket-mail-html\"").expect("the mail");
    let part = &page.body[start..];
    let part = &part[..part.find("</details>").expect("end")];
    assert!(part.contains("Le mail tel que reçu"), "{part}");
    assert!(part.contains("<b>très lente</b>"), "{part}");
    for hostile in [
        "<script",
        "alert(",
        "onclick",
        "onerror",
        "javascript:",
        "<style",
    ] {
        assert!(!part.contains(hostile), "{hostile} in {part}");
    }
    // A ticket not made from a mail has none.
    let other = world
        .page_in(
            &cookie,
            &format!("/tickets/{}", world.alpha.ticket_sud.0),
            "fr",
        )
        .await;
    assert!(!other.body.contains("ticket-mail-html"));
}

#[tokio::test]
async fn mail_only_a_tickets_people_reply_by_mail_others_open_their_own() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (_, ctx) = mailbox(&world, &input(a, "support", "[]"), None).await;
    let nord = world
        .store
        .get_ticket(&access(), a.ticket_nord)
        .await
        .expect("ticket");
    let reply = |from: &str, id: &str| {
        format!(
            "From: <{from}>\r\nTo: support@vigie.example\r\nSubject: Re: [VIGIE#{}] {}\r\n\
             Message-ID: <{id}@client.example>\r\nDate: Mon, 03 Mar 2025 09:00:00 +0100\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nJ'ajoute un mot.\r\n",
            nord.number, nord.title
        )
        .into_bytes()
    };
    // A colleague of the same establishment adds to it.
    let colleague = ingest(
        &world.state,
        &ctx,
        &reply("alpha.requester-nord@example.org", "colleague"),
    )
    .await
    .expect("mail");
    assert!(
        matches!(colleague, Outcome::Reply(t) if t == nord.id),
        "{colleague:?}"
    );
    // Someone of Sud, who works only Sud's tickets, and an unknown address
    // open tickets of their own that name the one they answered.
    for (from, id) in [
        ("alpha.worker-sud@example.org", "sud"),
        ("stranger@elsewhere.example", "stranger"),
    ] {
        let outcome = ingest(&world.state, &ctx, &reply(from, id))
            .await
            .expect("mail");
        let t = ticket_of(&world, &outcome).await;
        assert_ne!(t.id, nord.id, "{from}");
        assert!(
            t.description
                .contains(&format!("répond au ticket {}", nord.number)),
            "{from}: {}",
            t.description
        );
    }
    let comments = world
        .store
        .list_comments(&access(), &nord)
        .await
        .expect("comments");
    assert_eq!(comments.len(), 1, "only the colleague's");
}

/// A mail of the batch tests: `reply_to` threads it by `In-Reply-To`.
fn batch_mail(from: &str, id: &str, subject: &str, reply_to: Option<&str>) -> Vec<u8> {
    let thread = reply_to
        .map(|r| format!("In-Reply-To: <{r}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: <{from}>\r\nTo: support@vigie.example\r\nSubject: {subject}\r\n\
         Message-ID: <{id}>\r\n{thread}Date: Mon, 03 Mar 2025 09:00:00 +0100\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, {subject}.\r\n"
    )
    .into_bytes()
}

/// Mails read together: a reply threads to a mail of the same batch, the
/// same Message-ID twice is stored once, the sender who became a contact
/// on his first mail is found by his second, and a mail the store refuses
/// is recorded as failed without losing the others of its batch.
async fn batches_hold(world: &World) {
    let rules = r#"[{"name": "poison", "conditions": [{"field": "subject", "pattern": "poison"}],
        "action": {"kind": "place", "category_id": 999999}}]"#;
    let (record, ctx) = mailbox(world, &input(&world.alpha, "support", rules), None).await;
    let first = vec![
        batch_mail(
            "alice@client.example",
            "b-1@client.example",
            "Écran noir",
            None,
        ),
        batch_mail(
            "alice@client.example",
            "b-2@client.example",
            "Re: Écran noir",
            Some("b-1@client.example"),
        ),
        batch_mail(
            "alice@client.example",
            "b-1@client.example",
            "Écran noir",
            None,
        ),
        batch_mail("carol@client.example", "b-3@client.example", "Badge", None),
    ];
    let outcomes = ingest_batch(&world.state, &ctx, &first)
        .await
        .expect("batch");
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    let Outcome::Ticket(opened) = outcomes[0] else {
        panic!("a ticket: {outcomes:?}");
    };
    assert_eq!(outcomes[1], Outcome::Reply(opened), "{outcomes:?}");
    assert_eq!(outcomes[2], Outcome::Duplicate, "{outcomes:?}");
    assert!(
        matches!(outcomes[3], Outcome::Ticket(t) if t != opened),
        "{outcomes:?}"
    );
    let ticket = world
        .store
        .get_ticket(&access(), opened)
        .await
        .expect("ticket");
    let alice = world
        .store
        .get_user(&vigie_core::tenancy::Scope::Platform, ticket.requester_id)
        .await
        .expect("contact");
    assert_eq!(alice.email.as_deref(), Some("alice@client.example"));
    let comments = world
        .store
        .list_comments(&access(), &ticket)
        .await
        .expect("comments");
    assert_eq!(comments.len(), 1, "the reply, once");

    // A batch with a mail the store refuses (its rule names a category that
    // does not exist): recorded as failed, the others stored, in order.
    let second = vec![
        batch_mail("dan@client.example", "b-4@client.example", "VPN", None),
        batch_mail("erin@client.example", "b-5@client.example", "poison", None),
        batch_mail(
            "dan@client.example",
            "b-6@client.example",
            "Re: VPN",
            Some("b-4@client.example"),
        ),
        batch_mail(
            "alice@client.example",
            "b-1@client.example",
            "Écran noir",
            None,
        ),
    ];
    let outcomes = ingest_batch(&world.state, &ctx, &second)
        .await
        .expect("batch");
    let Outcome::Ticket(vpn) = outcomes[0] else {
        panic!("a ticket: {outcomes:?}");
    };
    assert!(matches!(outcomes[1], Outcome::Failed(_)), "{outcomes:?}");
    assert_eq!(outcomes[2], Outcome::Reply(vpn), "{outcomes:?}");
    assert_eq!(outcomes[3], Outcome::Duplicate, "{outcomes:?}");
    let received = world
        .store
        .list_received_mails(world.alpha.tenant.id, Some(record.id), 100)
        .await
        .expect("received");
    assert_eq!(received.len(), 6, "each Message-ID once");
    let failed: Vec<_> = received.iter().filter(|m| m.outcome == "failed").collect();
    assert_eq!(failed.len(), 1, "{received:?}");
    assert_eq!(failed[0].message_id, "b-5@client.example");
    assert_eq!(
        received
            .iter()
            .filter(|m| m.message_id == "b-2@client.example")
            .map(|m| m.ticket_id)
            .collect::<Vec<_>>(),
        vec![Some(opened)],
        "the reply's row names its ticket"
    );
}

#[tokio::test]
async fn mail_batches_thread_dedupe_and_isolate_a_failure() {
    let world = World::sqlite().await;
    batches_hold(&world).await;
}

#[tokio::test]
async fn mail_batches_hold_on_postgres() {
    let Some(store) = vigie_store::testing::postgres().await.expect("postgres") else {
        return;
    };
    let world = World::on(store).await;
    batches_hold(&world).await;
}

/// One batch decided mail by mail: each sees what those before it made (a
/// reply threads to a ticket of the batch, a sender's mails count towards
/// his rate), each ticket is audited under its own sender, and a reply from
/// someone outside a ticket made by the same batch starts the next batch,
/// so that the ticket he opens names the other's number.
#[tokio::test]
async fn mail_a_batch_decides_each_mail_with_those_before_it() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let mut limited = input(a, "support", "[]");
    limited.rate_max = 3;
    let (_, ctx) = mailbox(&world, &limited, None).await;
    let mut mails = vec![
        batch_mail("alice@client.example", "d-1@client.example", "Écran", None),
        batch_mail(
            "alpha.worker-sud@example.org",
            "d-2@client.example",
            "Re: Écran",
            Some("d-1@client.example"),
        ),
    ];
    for i in 0..4 {
        mails.push(batch_mail(
            "robot@client.example",
            &format!("d-robot-{i}@client.example"),
            &format!("Boucle {i}"),
            None,
        ));
    }
    mails.push(batch_mail(
        "alice@client.example",
        "d-3@client.example",
        "Re: Écran",
        Some("d-1@client.example"),
    ));
    let outcomes = ingest_batch(&world.state, &ctx, &mails)
        .await
        .expect("batch");
    assert_eq!(outcomes.len(), 7, "{outcomes:?}");
    let Outcome::Ticket(screen) = outcomes[0] else {
        panic!("a ticket: {outcomes:?}");
    };
    let screen = world
        .store
        .get_ticket(&access(), screen)
        .await
        .expect("ticket");
    let sud = ticket_of(&world, &outcomes[1]).await;
    assert_ne!(sud.id, screen.id);
    assert!(
        sud.description
            .contains(&format!("répond au ticket {}", screen.number)),
        "{}",
        sud.description
    );
    assert_eq!(sud.requester_id, a.worker_sud.id);
    assert!(
        outcomes[2..5]
            .iter()
            .all(|o| matches!(o, Outcome::Ticket(_))),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[5], Outcome::Ignored("rate_limited".into()));
    assert_eq!(outcomes[6], Outcome::Reply(screen.id), "{outcomes:?}");
    // Each ticket's creation is audited under the one who wrote.
    for t in [&screen, &sud] {
        let lines = ticket_audit(&world, t.id).await;
        let created = lines
            .iter()
            .find(|l| l.action == "create")
            .expect("the creation's line");
        assert_eq!(created.actor_user_id, Some(t.requester_id), "{created:?}");
    }
    let robots: Vec<_> = [&outcomes[2], &outcomes[3], &outcomes[4]]
        .into_iter()
        .map(|o| match o {
            Outcome::Ticket(t) => *t,
            other => panic!("{other:?}"),
        })
        .collect();
    let mut requesters = Vec::new();
    for id in robots {
        let t = world.store.get_ticket(&access(), id).await.expect("ticket");
        requesters.push(t.requester_id);
    }
    requesters.dedup();
    assert_eq!(
        requesters.len(),
        1,
        "one contact for the robot: {requesters:?}"
    );
    assert_ne!(requesters[0], screen.requester_id);
}

/// The audit lines of a ticket, oldest first.
async fn ticket_audit(
    world: &World,
    ticket: vigie_core::ids::TicketId,
) -> Vec<vigie_store::AuditRecord> {
    world
        .store
        .list_audit(
            &vigie_core::tenancy::Scope::Platform,
            &vigie_store::AuditFilter {
                record_type: Some("ticket".into()),
                record_id: Some(ticket.0),
                ..Default::default()
            },
            vigie_store::PageRequest {
                after: None,
                limit: 20,
            },
        )
        .await
        .expect("audit")
        .items
}

/// A mail of `from` carrying `file` (the same bytes whatever the mail).
fn mail_with_file(from: &str, id: &str, reply_to: Option<&str>, file: &str) -> Vec<u8> {
    let thread = reply_to
        .map(|r| format!("In-Reply-To: <{r}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: <{from}>\r\nTo: support@vigie.example\r\nSubject: Rapport\r\n\
         Message-ID: <{id}>\r\n{thread}Date: Mon, 03 Mar 2025 09:00:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLe rapport ci-joint.\r\n\
         --b\r\nContent-Type: application/pdf; name=\"{file}\"\r\n\
         Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{file}\"\r\n\r\n\
         JVBERi0xLjQKJSBWaWdpZQolJUVPRgo=\r\n--b--\r\n"
    )
    .into_bytes()
}

/// The files and replies of a batch are written together: each reaches its
/// ticket, the same content twice is one blob (its size checked), and each
/// file gets its audit line under the one who sent it.
#[tokio::test]
async fn mail_a_batch_attaches_each_file_to_its_ticket() {
    let world = World::sqlite().await;
    let (_, ctx) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    let mails = vec![
        mail_with_file("alice@client.example", "f-1@client.example", None, "a.pdf"),
        mail_with_file("bob@client.example", "f-2@client.example", None, "b.pdf"),
        mail_with_file(
            "alice@client.example",
            "f-3@client.example",
            Some("f-1@client.example"),
            "a.pdf",
        ),
    ];
    let outcomes = ingest_batch(&world.state, &ctx, &mails)
        .await
        .expect("batch");
    let first = ticket_of(&world, &outcomes[0]).await;
    let second = ticket_of(&world, &outcomes[1]).await;
    assert_eq!(outcomes[2], Outcome::Reply(first.id), "{outcomes:?}");
    let replies = world
        .store
        .list_comments(&access(), &first)
        .await
        .expect("comments");
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].public && replies[0].body.contains("rapport"),
        "{replies:?}"
    );
    assert_eq!(replies[0].author_id, Some(first.requester_id));
    let names = |files: Vec<vigie_store::AttachmentRecord>| {
        let mut n: Vec<String> = files.into_iter().map(|f| f.file_name).collect();
        n.sort();
        n
    };
    let on_first = world
        .store
        .list_attachments(&access(), &first)
        .await
        .expect("files");
    assert_eq!(on_first.len(), 2, "{on_first:?}");
    assert_eq!(on_first[0].sha256, on_first[1].sha256);
    assert_eq!(names(on_first), vec!["a.pdf", "a.pdf"]);
    let on_second = world
        .store
        .list_attachments(&access(), &second)
        .await
        .expect("files");
    assert_eq!(names(on_second), vec!["b.pdf"]);
    let lines = ticket_audit(&world, first.id).await;
    let attached: Vec<_> = lines
        .iter()
        .filter(|l| l.changes.iter().any(|c| c.field == "attachment"))
        .collect();
    assert_eq!(attached.len(), 2, "{lines:?}");
    assert!(
        attached
            .iter()
            .all(|l| l.actor_user_id == Some(first.requester_id)),
        "{attached:?}"
    );
}

/// The tickets of `world` whose words hold `q`.
async fn found(world: &World, q: &str) -> Vec<vigie_core::ids::TicketId> {
    let filter = vigie_store::TicketFilter {
        q: Some(q.into()),
        ..Default::default()
    };
    world
        .store
        .list_tickets(&access(), &filter, vigie_store::PageRequest::first(10))
        .await
        .expect("search")
        .items
        .into_iter()
        .map(|t| t.id)
        .collect()
}

/// A batch's tickets and replies are found by their words, a ticket by the
/// words of its description and of its replies together, when the reply
/// came with its ticket in one batch or in a later one.
#[tokio::test]
async fn mail_a_batch_is_found_by_its_words() {
    let world = World::sqlite().await;
    let (_, ctx) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    let (alice, bob) = ("alice@client.example", "bob@client.example");
    let first = vec![
        batch_mail(
            alice,
            "w-1@client.example",
            "écran noir au bureau douze",
            None,
        ),
        batch_mail(bob, "w-2@client.example", "imprimante bloquée", None),
        batch_mail(
            alice,
            "w-3@client.example",
            "clavier muet",
            Some("w-1@client.example"),
        ),
    ];
    let outcomes = ingest_batch(&world.state, &ctx, &first)
        .await
        .expect("batch");
    let screen = ticket_of(&world, &outcomes[0]).await;
    let printer = ticket_of(&world, &outcomes[1]).await;
    assert_eq!(outcomes[2], Outcome::Reply(screen.id), "{outcomes:?}");
    let second = vec![batch_mail(
        bob,
        "w-4@client.example",
        "toner vide",
        Some("w-2@client.example"),
    )];
    let again = ingest_batch(&world.state, &ctx, &second)
        .await
        .expect("batch");
    assert_eq!(again[0], Outcome::Reply(printer.id), "{again:?}");
    assert_eq!(found(&world, "bureau douze").await, vec![screen.id]);
    assert_eq!(found(&world, "ecran clavier").await, vec![screen.id]);
    assert_eq!(found(&world, "imprimante toner").await, vec![printer.id]);
    assert!(found(&world, "clavier toner").await.is_empty());
}
