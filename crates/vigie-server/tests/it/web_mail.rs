//! The mailbox pages, `/admin/mail`: a tenant administrator creates,
//! changes (the password kept when left empty) and deletes a mailbox
//! through the forms, edits its rules as JSON, sees its last mails and
//! tries mails in the rule tester, which stores nothing. Bad values are
//! refused with 422 and change nothing; requesters get 403, another
//! tenant's administrator 404, forged forms 403.

use crate::mail_support::{PROVIDER_RULES, corpus, input, mailbox};
use crate::support::{Answer, World};
use axum::http::StatusCode;
use vigie_core::ids::MailboxId;
use vigie_core::mail::Security;
use vigie_core::tenancy::Scope;
use vigie_server::mail::intake;
use vigie_store::MailboxRecord;

/// The settings form of a mailbox, as a browser sends it.
fn settings_form(csrf: &str, entity: i64, name: &str, password: &str) -> Vec<(String, String)> {
    [
        ("csrf", csrf.to_owned()),
        ("entity", entity.to_string()),
        ("name", name.to_owned()),
        ("address", "support@vigie.example".to_owned()),
        ("host", "imap.example.org".to_owned()),
        ("port", "993".to_owned()),
        ("security", "tls".to_owned()),
        ("login", "support".to_owned()),
        ("password", password.to_owned()),
        ("folder", "INBOX".to_owned()),
        ("after_action", "move".to_owned()),
        ("move_to", "Traites".to_owned()),
        ("poll_seconds", "120".to_owned()),
        ("category", String::new()),
        ("unknown_senders", "create_contact".to_owned()),
        ("rate_max", "20".to_owned()),
        ("rate_window_seconds", "600".to_owned()),
        ("integration_key", String::new()),
        ("active", "on".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The form with one field changed.
fn with(mut form: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    for (k, v) in &mut form {
        if k == key {
            *v = value.to_owned();
        }
    }
    form
}

/// Posts a form given as owned pairs.
async fn post(world: &World, cookie: &str, path: &str, form: &[(String, String)]) -> Answer {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    world.form(cookie, path, &fields).await
}

/// Every mailbox of every tenant.
async fn all_mailboxes(world: &World) -> Vec<MailboxRecord> {
    world
        .store
        .list_mailboxes(&Scope::Platform)
        .await
        .expect("mailboxes")
}

/// How many mails a mailbox received.
async fn received(world: &World, id: MailboxId) -> usize {
    world
        .store
        .list_received_mails(world.alpha.tenant.id, Some(id), 1000)
        .await
        .expect("received")
        .len()
}

/// The raw mail of the corpus as the tester's textarea sends it.
fn raw(name: &str) -> String {
    String::from_utf8(corpus(name)).expect("utf-8 mail")
}

#[tokio::test]
async fn web_mail_admin_creates_changes_and_deletes_a_mailbox() {
    let world = World::sqlite().await;
    let (admin, csrf) = world.web_session(world.alpha.admin.id).await;
    let list = world.page(&admin, "/admin/mail").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body
            .contains("<a href=\"/admin/mail\" aria-current=\"page\">Mailboxes</a>"),
        "{}",
        list.body
    );
    assert!(list.body.contains("id=\"mailboxes-empty\""));
    assert!(list.body.contains("id=\"mailbox-create\""));

    let root = world.alpha.root.0;
    let form = settings_form(&csrf, root, "Support <N1>", "secret-imap");
    let created = post(&world, &admin, "/admin/mail", &form).await;
    let boxes = all_mailboxes(&world).await;
    assert_eq!(boxes.len(), 1);
    let m = &boxes[0];
    let page_path = format!("/admin/mail/{}", m.id);
    assert_eq!(created.location(), page_path);
    assert_eq!(m.name, "Support <N1>");
    assert_eq!((m.port, m.poll_seconds), (993, 120));
    assert_eq!(
        world.store.mailbox_password(m.id).await.expect("password"),
        "secret-imap"
    );

    let list = world.page(&admin, "/admin/mail").await;
    assert!(list.body.contains("Support &#60;N1&#62;"), "escaped");
    assert!(!list.body.contains("Support <N1>"));
    assert!(list.body.contains("imap.example.org:993"));
    let page = world.page(&admin, &page_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        !page.body.contains("secret-imap"),
        "the password is never shown"
    );
    assert!(page.body.contains("id=\"rules-empty\""));
    assert!(page.body.contains("id=\"received-empty\""));
    assert!(
        page.body
            .contains("Leave empty to keep the stored password")
    );

    // Left empty, the password stays; the other values change.
    let change = with(
        with(form.clone(), "password", ""),
        "security",
        Security::StartTls.as_str(),
    );
    let change = with(with(change, "name", "Support Nord"), "port", "143");
    let saved = post(&world, &admin, &page_path, &change).await;
    assert_eq!(saved.location(), page_path);
    let m = world
        .store
        .get_mailbox(&Scope::Platform, m.id)
        .await
        .expect("mailbox");
    assert_eq!(
        (m.name.as_str(), m.port, m.security),
        ("Support Nord", 143, Security::StartTls)
    );
    assert_eq!(
        world.store.mailbox_password(m.id).await.expect("password"),
        "secret-imap"
    );
    let change = with(change, "password", "nouveau-secret");
    let saved = post(&world, &admin, &page_path, &change).await;
    assert_eq!(saved.location(), page_path);
    assert_eq!(
        world.store.mailbox_password(m.id).await.expect("password"),
        "nouveau-secret"
    );

    // Deletion asks for its box to be ticked.
    let delete = format!("{page_path}/delete");
    let unconfirmed = world.form(&admin, &delete, &[("csrf", &csrf)]).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.body.contains("Tick the confirmation box"));
    assert_eq!(all_mailboxes(&world).await.len(), 1);
    let deleted = world
        .form(&admin, &delete, &[("csrf", &csrf), ("confirm", "on")])
        .await;
    assert_eq!(deleted.location(), "/admin/mail");
    assert!(all_mailboxes(&world).await.is_empty());
    assert_eq!(
        world.page(&admin, &page_path).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn web_mail_bad_values_are_refused_with_422_and_change_nothing() {
    let world = World::sqlite().await;
    let (admin, csrf) = world.web_session(world.alpha.admin.id).await;
    let root = world.alpha.root.0;
    let form = settings_form(&csrf, root, "Support", "secret-imap");
    let audit = world.audit_count().await;
    for (field, value, said) in [
        ("port", "0", "`port` must be 1 to 65535"),
        ("port", "imaps", "`port` must be a whole number"),
        ("security", "ssl3", "unknown mail security `ssl3`"),
        ("name", "  ", "`name` must not be empty"),
        ("poll_seconds", "0", "`poll_seconds` must be 1 to 86400"),
    ] {
        let bad = with(form.clone(), field, value);
        let res = post(&world, &admin, "/admin/mail", &bad).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(res.body.contains("id=\"form-error\""), "{field}");
        assert!(res.body.contains(said), "{field}: {}", res.body);
        // What was typed is shown again.
        assert!(res.body.contains("value=\"imap.example.org\""), "{field}");
    }
    let no_password = with(form.clone(), "password", "");
    let res = post(&world, &admin, "/admin/mail", &no_password).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("needs its password"), "{}", res.body);
    assert!(all_mailboxes(&world).await.is_empty());
    assert_eq!(world.audit_count().await, audit, "nothing written");

    let (m, _) = mailbox(
        &world,
        &input(&world.alpha, "alertes", PROVIDER_RULES),
        None,
    )
    .await;
    let page_path = format!("/admin/mail/{}", m.id);
    let audit = world.audit_count().await;
    let bad = with(
        settings_form(&csrf, root, "alertes", ""),
        "security",
        "ssl3",
    );
    let res = post(&world, &admin, &page_path, &bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("unknown mail security"), "{}", res.body);
    let bad = with(settings_form(&csrf, root, "alertes", ""), "port", "0");
    let res = post(&world, &admin, &page_path, &bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("`port` must be 1 to 65535"));

    let rules = format!("{page_path}/rules");
    let unreadable = "[{\"name\": \"coupé\"";
    let res = world
        .form(&admin, &rules, &[("csrf", &csrf), ("rules", unreadable)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("not valid rules"), "{}", res.body);
    assert!(
        res.body
            .contains("[{&#34;name&#34;: &#34;coupé&#34;</textarea>"),
        "the text typed stays in the textarea: {}",
        res.body
    );
    let unclosed = r#"[{"name": "vpn", "conditions": [{"field": "subject", "pattern": "vpn"}], "action": {"kind": "ignore"}},
        {"name": "pas fermée", "conditions": [{"field": "body", "pattern": "(unclosed"}], "action": {"kind": "ignore"}}]"#;
    let res = world
        .form(&admin, &rules, &[("csrf", &csrf), ("rules", unclosed)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("Rule 2 “pas fermée”"),
        "the rule is named: {}",
        res.body
    );
    assert!(res.body.contains("rules[1].conditions[0].pattern"));
    let bad_field = r#"[{"name": "a", "conditions": [{"field": "cc", "pattern": "x"}], "action": {"kind": "ignore"}}]"#;
    let res = world
        .form(&admin, &rules, &[("csrf", &csrf), ("rules", bad_field)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("rules[0].conditions[0].field"));

    let after = world
        .store
        .get_mailbox(&Scope::Platform, m.id)
        .await
        .expect("mailbox");
    assert_eq!(after, m, "the mailbox did not change");
    assert_eq!(world.audit_count().await, audit, "nothing written");

    // Good rules are saved, in order, and shown.
    let good = r#"[{"name": "pubs", "conditions": [{"field": "from", "pattern": "@pub\\.example$"}], "action": {"kind": "ignore"}}]"#;
    let res = world
        .form(&admin, &rules, &[("csrf", &csrf), ("rules", good)])
        .await;
    assert_eq!(res.location(), format!("{page_path}#rules-title"));
    let page = world.page(&admin, &page_path).await;
    assert!(page.body.contains("<td>pubs</td>"), "{}", page.body);
    assert!(page.body.contains("@pub\\.example$"));
}

#[tokio::test]
async fn web_mail_rule_tester_shows_what_a_mail_would_become_and_stores_nothing() {
    let world = World::sqlite().await;
    let (admin, csrf) = world.web_session(world.alpha.admin.id).await;
    let (m, ctx) = mailbox(
        &world,
        &input(&world.alpha, "alertes", PROVIDER_RULES),
        None,
    )
    .await;
    // One mail received for real, shown with its outcome.
    let outcome = intake::ingest(&world.state, &ctx, &corpus("new_utf8.eml"))
        .await
        .expect("ingest");
    assert!(matches!(outcome, intake::Outcome::Ticket(_)), "{outcome:?}");
    let page_path = format!("/admin/mail/{}", m.id);
    let page = world.page(&admin, &page_path).await;
    assert!(
        page.body
            .contains("<td data-outcome=\"ticket\">New ticket</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<td>alertes hébergeur</td>"),
        "rules listed"
    );

    let before = (received(&world, m.id).await, world.audit_count().await);
    assert_eq!(before.0, 1);
    let test = format!("{page_path}/test");
    let alert = raw("provider_alert.eml");
    let res = world
        .form(&admin, &test, &[("csrf", &csrf), ("raw", &alert)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.body
            .contains("data-outcome=\"event\"><strong>Event</strong>"),
        "{}",
        res.body
    );
    assert!(
        res.body
            .contains("<dd id=\"tester-rule\">alertes hébergeur</dd>")
    );
    for shown in [
        "<dd>srv-erp-01</dd>",
        "<dd>critical</dd>",
        "<dd>hebergeur-mail</dd>",
        "<dd>alimentation</dd>",
        "<td><code>rack</code></td><td>B12</td>",
        "<td><code>room</code></td><td>S2</td>",
        "Nothing was stored or sent.",
    ] {
        assert!(res.body.contains(shown), "{shown}: {}", res.body);
    }
    assert!(
        res.body.contains("Coupure alimentation prise PDU-A3"),
        "the mail stays in the textarea"
    );

    let auto = raw("auto_reply.eml");
    let res = world
        .form(&admin, &test, &[("csrf", &csrf), ("raw", &auto)])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body
            .contains("data-outcome=\"ignored\"><strong>Ignored</strong>"),
        "{}",
        res.body
    );
    assert!(res.body.contains("<code>auto_reply</code>"));

    let res = world
        .form(&admin, &test, &[("csrf", &csrf), ("raw", "pas un mail")])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body.contains("data-outcome=\"unreadable\""),
        "{}",
        res.body
    );

    let vpn = raw("new_utf8.eml").replace("Subject: ", "Subject: VPN ");
    let res = world
        .form(&admin, &test, &[("csrf", &csrf), ("raw", &vpn)])
        .await;
    assert!(
        res.body
            .contains("data-outcome=\"ticket\"><strong>New ticket</strong>"),
        "{}",
        res.body
    );
    assert!(res.body.contains("<dd id=\"tester-rule\">vpn</dd>"));

    assert_eq!(
        (received(&world, m.id).await, world.audit_count().await),
        before,
        "the tester stores nothing"
    );
}

#[tokio::test]
async fn web_mail_routes_refuse_requesters_other_tenants_and_forged_forms() {
    let world = World::sqlite().await;
    let (m, _) = mailbox(&world, &input(&world.alpha, "alpha-boite", "[]"), None).await;
    let id = m.id;
    let root = world.alpha.root.0.to_string();
    let alert = raw("provider_alert.eml");
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/mail".to_owned(),
            vec![("entity", root.as_str()), ("name", "x")],
        ),
        (format!("/admin/mail/{id}"), vec![("name", "x")]),
        (format!("/admin/mail/{id}/rules"), vec![("rules", "[]")]),
        (format!("/admin/mail/{id}/test"), vec![("raw", &alert)]),
        (format!("/admin/mail/{id}/delete"), vec![("confirm", "on")]),
    ];
    let gets = ["/admin/mail".to_owned(), format!("/admin/mail/{id}")];
    let audit = world.audit_count().await;

    // A requester: 403 everywhere, and no link.
    let (requester, csrf) = world.web_session(world.alpha.requester_nord.id).await;
    for path in &gets {
        let res = world.page(&requester, path).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    for (path, fields) in &posts {
        let mut fields = fields.clone();
        fields.push(("csrf", &csrf));
        let res = world.form(&requester, path, &fields).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    let home = world.page(&requester, "/").await;
    assert!(!home.body.contains("href=\"/admin/mail\""));

    // Another tenant's administrator: his own list, 404 on the mailbox.
    let (beta, csrf) = world.web_session(world.beta.admin.id).await;
    let list = world.page(&beta, "/admin/mail").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("alpha-boite"));
    let res = world.page(&beta, &gets[1]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(!res.body.contains("alpha-boite"));
    for (path, fields) in posts.iter().skip(1) {
        let mut fields = fields.clone();
        fields.push(("csrf", &csrf));
        let res = world.form(&beta, path, &fields).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!res.body.contains("alpha-boite"), "{path}");
    }
    // Nor may he create a mailbox on an entity of alpha.
    let form = settings_form(&csrf, world.alpha.root.0, "intrus", "secret");
    let res = post(&world, &beta, "/admin/mail", &form).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // The administrator himself, with a forged token: 403.
    let (admin, _) = world.web_session(world.alpha.admin.id).await;
    for (path, fields) in &posts {
        let mut fields = fields.clone();
        fields.push(("csrf", "forged"));
        let res = world.form(&admin, path, &fields).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
        let res = world.form(&admin, path, &fields[..fields.len() - 1]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path} without a token");
    }

    assert_eq!(world.audit_count().await, audit, "nothing written");
    assert_eq!(all_mailboxes(&world).await, vec![m]);
    assert_eq!(received(&world, id).await, 0);
}

#[tokio::test]
async fn web_mail_pages_speak_french_and_english() {
    let world = World::sqlite().await;
    let (m, _) = mailbox(&world, &input(&world.alpha, "support", "[]"), None).await;
    let (admin, _) = world.web_session(world.alpha.admin.id).await;
    let page_path = format!("/admin/mail/{}", m.id);
    let fr = world.page_in(&admin, "/admin/mail", "fr").await;
    assert_eq!(fr.status, StatusCode::OK);
    for said in [
        "<title>Boîtes aux lettres · Vigie</title>",
        "Ajouter une boîte aux lettres",
        "Expéditeurs inconnus",
        "Sans chiffrement (serveur local uniquement)",
        "toutes les 60 s",
    ] {
        assert!(fr.body.contains(said), "{said}: {}", fr.body);
    }
    let fr = world.page_in(&admin, &page_path, "fr").await;
    for said in [
        "Boîte aux lettres « support »",
        "Tester les règles",
        "Derniers courriels reçus",
        "Laissez vide pour garder le mot de passe enregistré",
        "Je confirme la suppression de « support »",
    ] {
        assert!(fr.body.contains(said), "{said}: {}", fr.body);
    }
    let en = world.page_in(&admin, &page_path, "en").await;
    for said in [
        "Mailbox “support”",
        "Test the rules",
        "Last mails received",
        "I confirm deleting “support”",
    ] {
        assert!(en.body.contains(said), "{said}: {}", en.body);
    }
    for page in [&fr, &en] {
        assert!(
            !page.body.contains(">mail-") && !page.body.contains("\"mail-"),
            "no message key left untranslated: {}",
            page.body
        );
    }
}
