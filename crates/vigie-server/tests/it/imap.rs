//! A real Dovecot on 127.0.0.1: mails delivered over LMTP are read by
//! Vigie over IMAP, become tickets and replies, and are moved (or flagged)
//! only once stored; a second run reads nothing new.
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
