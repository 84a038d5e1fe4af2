//! Tests of the parser on the hand-written corpus in `tests/mails/`: one
//! mail per case, and the bad inputs built here.

use super::*;

fn corpus(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/mails")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(name: &str) -> ParsedMail {
    parse(&corpus(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_plain_utf8_mail_is_read_whole() {
    let m = read("new_utf8.eml");
    assert_eq!(m.message_id, "new-utf8-1@client.example");
    assert_eq!(
        m.from, "jeanne.martin@client.example",
        "addresses are lowercase"
    );
    assert_eq!(m.from_name, "Jeanne Martin");
    assert_eq!(m.to, vec!["support@vigie.example".to_owned()]);
    assert_eq!(m.subject, "Imprimante du 2e étage en panne");
    assert!(
        m.text.contains("2e étage affiche « bourrage »"),
        "{}",
        m.text
    );
    assert_eq!(
        m.date,
        Some("2025-03-03T08:15:00Z".parse().expect("date")),
        "the zone is applied"
    );
    assert!(m.attachments.is_empty() && m.warnings.is_empty());
    assert_eq!(m.html, None);
    assert_eq!(m.auto, AutoHeaders::default());
}

#[test]
fn each_charset_french_mail_uses_is_decoded() {
    let m = read("latin1.eml");
    assert_eq!(m.subject, "Accès réseau coupé");
    assert_eq!(m.from_name, "André Lévy");
    assert!(
        m.text.contains("Le réseau du bâtiment A est coupé"),
        "{}",
        m.text
    );
    let m = read("latin9.eml");
    assert_eq!(m.subject, "Facture de 120 €");
    assert!(
        m.text.contains("120 € au lieu de 100 €, œuvre"),
        "{}",
        m.text
    );
    let m = read("cp1252.eml");
    assert_eq!(m.subject, "L’écran clignote – 50 €");
    assert!(
        m.text
            .contains("L’écran du poste 12 clignote — c’est gênant."),
        "{}",
        m.text
    );
}

#[test]
fn an_unknown_charset_is_read_as_well_as_possible() {
    let m = read("unknown_charset.eml");
    assert_eq!(m.message_id, "unknown-charset-1@client.example");
    assert!(m.text.contains("Le caf"), "{}", m.text);
    assert!(!m.subject.is_empty());
}

#[test]
fn html_is_cleaned_and_gives_the_text() {
    let m = read("html_only.eml");
    let html = m.html.expect("html");
    assert!(
        !html.contains("<script") && !html.contains("alert("),
        "{html}"
    );
    assert!(
        !html.contains("onclick") && !html.contains("javascript:"),
        "{html}"
    );
    assert!(!html.contains("onerror"), "{html}");
    assert!(html.contains("<b>très lente</b>"), "{html}");
    assert!(
        m.text
            .contains("La messagerie est très lente depuis lundi."),
        "{}",
        m.text
    );
    assert!(!m.text.contains("color:red"), "{}", m.text);
}

#[test]
fn attachments_and_inline_images_are_kept_and_programs_dropped() {
    let m = read("attachments.eml");
    assert_eq!(m.text.trim(), "Voici la capture et le rapport.");
    let names: Vec<(&str, &str, bool)> = m
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), a.content_type.as_str(), a.inline))
        .collect();
    assert_eq!(
        names,
        vec![
            ("capture.png", "image/png", true),
            ("rapport détaillé.pdf", "application/pdf", false),
        ]
    );
    assert!(m.attachments[1].content.starts_with(b"%PDF-1.4"));
    assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
    assert!(m.warnings[0].contains("outil.exe"), "{:?}", m.warnings);
}

#[test]
fn threading_headers_are_read_in_order() {
    let m = read("reply_headers.eml");
    assert_eq!(
        m.in_reply_to,
        vec!["ticket-notification@vigie.example".to_owned()]
    );
    assert_eq!(
        m.references,
        vec![
            "new-utf8-1@client.example".to_owned(),
            "ticket-notification@vigie.example".to_owned()
        ]
    );
    assert_eq!(
        m.thread_ids(),
        vec![
            "ticket-notification@vigie.example".to_owned(),
            "new-utf8-1@client.example".to_owned()
        ],
        "In-Reply-To first, then the latest reference, each once"
    );
}

#[test]
fn automatic_headers_are_read() {
    let m = read("auto_reply.eml");
    assert_eq!(m.auto.auto_submitted.as_deref(), Some("auto-replied"));
    let m = read("out_of_office.eml");
    assert!(m.auto.x_autoreply);
    assert_eq!(m.auto.precedence.as_deref(), Some("auto_reply"));
    let m = read("bounce.eml");
    assert!(m.auto.delivery_report, "{:?}", m.auto);
    assert!(m.auto.null_return_path, "{:?}", m.auto);
    assert!(!read("new_utf8.eml").auto.null_return_path);
}

#[test]
fn a_mail_without_body_has_empty_text() {
    let m = read("no_body.eml");
    assert_eq!(m.subject, "Appelez-moi");
    assert_eq!(m.text.trim(), "");
    assert!(m.attachments.is_empty());
}

#[test]
fn a_broken_mime_structure_keeps_what_it_can() {
    let m = read("broken_mime.eml");
    assert_eq!(m.message_id, "broken-1@client.example");
    assert_eq!(m.subject, "Pièce jointe cassée");
}

#[test]
fn a_mail_without_message_id_gets_a_stable_one() {
    let a = read("no_message_id.eml");
    let b = read("no_message_id.eml");
    assert!(a.message_id.starts_with("sha256-") && a.message_id.ends_with("@vigie.invalid"));
    assert_eq!(a.message_id, b.message_id);
}

#[test]
fn a_mail_over_the_size_limit_is_refused() {
    let limits = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    let raw = corpus("new_utf8.eml");
    assert_eq!(
        parse(&raw, &limits),
        Err(ParseError::TooLarge {
            size: raw.len(),
            max: 100
        })
    );
}

#[test]
fn a_big_attachment_is_dropped_and_the_mail_kept() {
    let limits = Limits {
        max_attachment_bytes: 20,
        ..Limits::default()
    };
    let m = parse(&corpus("attachments.eml"), &limits).expect("mail");
    assert!(m.attachments.is_empty());
    assert!(
        m.warnings.iter().any(|w| w.contains("more than 20")),
        "{:?}",
        m.warnings
    );
    let few = Limits {
        max_attachments: 1,
        ..Limits::default()
    };
    let m = parse(&corpus("attachments.eml"), &few).expect("mail");
    assert_eq!(m.attachments.len(), 1);
}

#[test]
fn bytes_that_are_no_mail_are_refused() {
    assert_eq!(parse(b"", &Limits::default()), Err(ParseError::NotAMail));
    assert!(parse(&[0xff, 0xfe, 0x00, 0x01], &Limits::default()).is_err());
}

/// A mail wrapping another `depth` times in `message/rfc822` parts.
fn nested(depth: usize) -> Vec<u8> {
    let mut inner = String::from(
        "From: a@client.example\r\nSubject: fond\r\nMessage-ID: <n0@x>\r\n\r\nLe plus profond.\r\n",
    );
    for i in 1..=depth {
        inner = format!(
            "From: a@client.example\r\nSubject: niveau {i}\r\nMessage-ID: <n{i}@x>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\nContent-Type: text/plain\r\n\r\n\
             niveau {i}\r\n--b{i}\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--b{i}--\r\n"
        );
    }
    inner.into_bytes()
}

#[test]
fn nested_messages_ten_deep_become_one_attachment() {
    let m = parse(&nested(10), &Limits::default()).expect("mail");
    assert_eq!(m.subject, "niveau 10");
    assert_eq!(m.text.trim(), "niveau 10");
    assert_eq!(m.attachments.len(), 1, "{:?}", m.warnings);
    assert_eq!(m.attachments[0].name, "message.eml");
    assert_eq!(m.attachments[0].content_type, "message/rfc822");
    let deep = parse(&nested(200), &Limits::default()).expect("mail");
    assert_eq!(deep.subject, "niveau 200");
}

#[test]
fn facts_carry_what_the_decision_reads() {
    let m = read("provider_alert.eml");
    let f = m.facts();
    assert_eq!(f.from, "noc@hebergeur.example");
    assert_eq!(f.subject, m.subject);
    assert!(f.text.contains("Prise : PDU-A3"));
}

#[test]
fn an_mbox_is_split_into_its_mails() {
    let mut mbox = Vec::new();
    for name in ["new_utf8.eml", "latin1.eml", "no_body.eml"] {
        mbox.extend_from_slice(b"From someone@client.example Mon Mar  3 09:15:00 2025\n");
        mbox.extend_from_slice(&corpus(name));
        mbox.extend_from_slice(b"\n");
    }
    let mails: Vec<Vec<u8>> = mbox_mails(std::io::Cursor::new(&mbox))
        .collect::<std::io::Result<_>>()
        .expect("mbox");
    assert_eq!(mails.len(), 3);
    let ids: Vec<String> = mails
        .iter()
        .map(|m| parse(m, &Limits::default()).expect("mail").message_id)
        .collect();
    assert_eq!(
        ids,
        vec![
            "new-utf8-1@client.example",
            "latin1-1@client.example",
            "nobody-1@client.example"
        ]
    );
}

#[test]
fn a_header_alone_gives_the_id_sender_and_subject() {
    let header = b"From: =?ISO-8859-1?Q?Ren=E9_Caron?= <Rene.Caron@Client.example>\r\n\
        Subject: =?UTF-8?B?UGnDqGNlIGpvaW50ZSB0cm9wIGxvdXJkZQ==?=\r\n\
        Message-ID: <big-1@client.example>\r\n\r\n";
    assert_eq!(
        header_facts(header),
        HeaderFacts {
            message_id: Some("big-1@client.example".into()),
            from: "rene.caron@client.example".into(),
            subject: "Pièce jointe trop lourde".into(),
        }
    );
    // Cut in the middle of a line, as a partial fetch leaves it, and
    // without an id: what can be read is.
    let cut = b"Subject: Sauvegarde\r\nFrom: client@example.org\r\nX-Long: aaaa";
    let facts = header_facts(cut);
    assert_eq!(facts.message_id, None);
    assert_eq!(facts.subject, "Sauvegarde");
    assert_eq!(facts.from, "client@example.org");
    assert_eq!(header_facts(b""), HeaderFacts::default());
}
