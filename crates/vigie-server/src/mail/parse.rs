//! Raw mail bytes turned into a plain [`ParsedMail`], with mail-parser.
//!
//! Everything real mail does is expected: no body, a broken MIME
//! structure, an unknown charset (decoded as well as the parser can), RFC
//! 2047 encoded headers, HTML only, nested `message/rfc822` parts. The
//! result is always "stored as well as possible" or a refusal with a
//! reason ([`ParseError`]), never a panic. Limits: the mail's size
//! ([`Limits::max_bytes`], 25 MiB by default), the number and size of the
//! attachments kept; a nested message is kept as one `.eml` attachment
//! and not opened further, so nesting depth costs nothing (its text is not
//! searched). Attachments the upload rules refuse (programs, markup) are
//! dropped and named in [`ParsedMail::warnings`].

use crate::api::attachments::rules as upload;
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};
use vigie_core::Timestamp;
use vigie_core::mail::{AutoHeaders, MailFacts};

/// Bounds on what one mail may carry.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest mail read, in bytes; bigger ones are refused.
    pub max_bytes: usize,
    /// The most attachments kept from one mail.
    pub max_attachments: usize,
    /// The largest attachment kept, in bytes (the upload limit).
    pub max_attachment_bytes: usize,
    /// The longest text body kept, in bytes.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 25 * 1024 * 1024,
            max_attachments: 50,
            max_attachment_bytes: upload::MAX_ATTACHMENT_BYTES,
            max_text_bytes: 256 * 1024,
        }
    }
}

/// Why a mail was refused whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Bigger than [`Limits::max_bytes`].
    #[error("the mail is {size} bytes, more than the {max} allowed")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// None of From, Subject, Message-ID and Date could be read: not a mail.
    #[error("no mail header (From, Subject, Message-ID, Date) could be read")]
    NotAMail,
}

/// A file carried by a mail, checked by the upload rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailAttachment {
    /// Its sanitised file name.
    pub name: String,
    /// The media type the upload rules decided.
    pub content_type: String,
    /// Whether it was an inline part (an image in the HTML).
    pub inline: bool,
    /// The bytes.
    pub content: Vec<u8>,
}

/// A mail, read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedMail {
    /// Its Message-ID without angle brackets; a mail without one gets
    /// `sha256-<hex of the bytes>@vigie.invalid`, so reading it twice still
    /// finds it stored.
    pub message_id: String,
    /// `In-Reply-To` ids.
    pub in_reply_to: Vec<String>,
    /// `References` ids.
    pub references: Vec<String>,
    /// The sender's address, lowercase (empty when none).
    pub from: String,
    /// The sender's display name.
    pub from_name: String,
    /// `To` addresses, lowercase.
    pub to: Vec<String>,
    /// `Cc` addresses, lowercase.
    pub cc: Vec<String>,
    /// The subject, decoded.
    pub subject: String,
    /// The `Date` header.
    pub date: Option<Timestamp>,
    /// The automatic-mail headers.
    pub auto: AutoHeaders,
    /// The text body: the text/plain part, or the HTML part turned to text.
    pub text: String,
    /// The HTML body, cleaned, if the mail has one.
    pub html: Option<String>,
    /// Attachments and inline images kept.
    pub attachments: Vec<MailAttachment>,
    /// What was dropped or cut, for the logs and the ticket.
    pub warnings: Vec<String>,
    /// The size of the raw mail, in bytes.
    pub size: usize,
}

impl ParsedMail {
    /// What the core's decision reads.
    pub fn facts(&self) -> MailFacts {
        MailFacts {
            message_id: self.message_id.clone(),
            from: self.from.clone(),
            from_name: self.from_name.clone(),
            to: self.to.clone(),
            cc: self.cc.clone(),
            subject: self.subject.clone(),
            text: self.text.clone(),
            date: self.date,
            auto: self.auto.clone(),
        }
    }

    /// Every id the mail answers, `In-Reply-To` first.
    pub fn thread_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for id in self.in_reply_to.iter().chain(self.references.iter().rev()) {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids.truncate(50);
        ids
    }
}

/// The mails of an mbox read from `reader` one at a time (`From ` lines
/// between them), so that a file of several gigabytes is never held
/// whole; a read error is the last item.
pub fn mbox_mails<R: std::io::BufRead>(
    reader: R,
) -> impl Iterator<Item = std::io::Result<Vec<u8>>> {
    mail_parser::mailbox::mbox::MessageIterator::new(reader).map(|m| m.map(|m| m.unwrap_contents()))
}

/// What a mail's header alone says of it, for a mail not read further.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderFacts {
    /// Its Message-ID without angle brackets, if it has one.
    pub message_id: Option<String>,
    /// The sender's address, lowercase (empty when none).
    pub from: String,
    /// The subject, decoded.
    pub subject: String,
}

/// Reads a mail's header alone (a body after it is not read).
pub fn header_facts(header: &[u8]) -> HeaderFacts {
    let Some(message) = MessageParser::default().parse_headers(header) else {
        return HeaderFacts::default();
    };
    HeaderFacts {
        message_id: message
            .message_id()
            .map(clean_id)
            .filter(|id| !id.is_empty()),
        from: message
            .from()
            .and_then(Address::first)
            .and_then(|a| a.address())
            .map(|a| a.trim().to_lowercase())
            .unwrap_or_default(),
        subject: clean_subject(message.subject().unwrap_or_default()),
    }
}

/// A subject without control characters (tabs kept), at most 998
/// characters (a header line's limit).
fn clean_subject(subject: &str) -> String {
    subject
        .chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .take(998)
        .collect()
}

/// The longest Message-ID kept, in characters.
const MAX_ID_CHARS: usize = 250;

/// Reads a mail.
pub fn parse(raw: &[u8], limits: &Limits) -> Result<ParsedMail, ParseError> {
    if raw.len() > limits.max_bytes {
        return Err(ParseError::TooLarge {
            size: raw.len(),
            max: limits.max_bytes,
        });
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NotAMail)?;
    // A mail names at least its sender, its subject, its id or its date.
    if message.from().is_none()
        && message.subject().is_none()
        && message.message_id().is_none()
        && message.date().is_none()
    {
        return Err(ParseError::NotAMail);
    }
    let mut mail = ParsedMail {
        size: raw.len(),
        ..ParsedMail::default()
    };
    mail.message_id = message
        .message_id()
        .map(clean_id)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| {
            use sha2::Digest;
            let hash = sha2::Sha256::digest(raw);
            format!(
                "sha256-{}@vigie.invalid",
                crate::api::attachments::hex(&hash)
            )
        });
    mail.in_reply_to = ids(message.in_reply_to());
    mail.references = ids(message.references());
    if let Some(from) = message.from().and_then(Address::first) {
        mail.from = from
            .address()
            .map(|a| a.trim().to_lowercase())
            .unwrap_or_default();
        mail.from_name = from.name().unwrap_or_default().trim().to_owned();
    }
    mail.to = addresses(message.to());
    mail.cc = addresses(message.cc());
    mail.subject = clean_subject(message.subject().unwrap_or_default());
    mail.date = message
        .date()
        .and_then(|d| Timestamp::from_second(d.to_timestamp()).ok());
    mail.auto = auto_headers(&message);
    let text = message.body_text(0).unwrap_or_default();
    mail.text = cut(
        &text.replace("\r\n", "\n"),
        limits.max_text_bytes,
        &mut mail.warnings,
    );
    if let Some(html) = message.html_bodies().next().and_then(|p| match &p.body {
        PartType::Html(h) => Some(h.as_ref()),
        _ => None,
    }) {
        mail.html = Some(crate::web::markdown::clean_html(html));
    }
    for part in message.attachments() {
        if mail.attachments.len() >= limits.max_attachments {
            mail.warnings.push(format!(
                "only the first {} attachments were kept",
                limits.max_attachments
            ));
            break;
        }
        let nested = matches!(part.body, PartType::Message(_));
        let content = part.contents();
        let raw_name = match part.attachment_name() {
            Some(n) => n.to_owned(),
            None if nested => "message.eml".to_owned(),
            None => default_name(part.content_type()),
        };
        let shown: String = raw_name.chars().take(100).collect();
        if content.is_empty() {
            continue;
        }
        if content.len() > limits.max_attachment_bytes {
            mail.warnings.push(format!(
                "attachment `{shown}` dropped: {} bytes, more than {}",
                content.len(),
                limits.max_attachment_bytes
            ));
            continue;
        }
        let name = match upload::sanitize_name(&raw_name) {
            Ok(n) => n,
            Err(e) => {
                mail.warnings
                    .push(format!("attachment `{shown}` dropped: {e}"));
                continue;
            }
        };
        match upload::decide(&name, upload::head(content)) {
            Ok(content_type) => mail.attachments.push(MailAttachment {
                name,
                content_type,
                inline: part.content_disposition().is_some_and(|d| d.is_inline())
                    || part.content_id().is_some(),
                content: content.to_vec(),
            }),
            Err(e) => mail
                .warnings
                .push(format!("attachment `{shown}` dropped: {e}")),
        }
    }
    Ok(mail)
}

/// An id without its angle brackets and blanks, bounded.
fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(MAX_ID_CHARS)
        .collect()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<String> = match value {
        HeaderValue::Text(t) => t.split_whitespace().map(clean_id).collect(),
        HeaderValue::TextList(l) => l.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .filter(|i| !i.is_empty())
        .take(100)
        .collect()
}

fn addresses(value: Option<&Address<'_>>) -> Vec<String> {
    value
        .map(|a| {
            a.iter()
                .filter_map(|x| x.address())
                .map(|x| x.trim().to_lowercase())
                .filter(|x| !x.is_empty())
                .take(100)
                .collect()
        })
        .unwrap_or_default()
}

fn auto_headers(message: &mail_parser::Message<'_>) -> AutoHeaders {
    let text = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().chars().take(100).collect::<String>())
    };
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    });
    let null_return_path = message.header_raw("Return-Path").is_some_and(|v| {
        v.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim()
            .is_empty()
    });
    AutoHeaders {
        auto_submitted: text("Auto-Submitted"),
        x_autoreply: message.header_raw("X-Autoreply").is_some(),
        x_autorespond: message.header_raw("X-Autorespond").is_some(),
        precedence: text("Precedence"),
        delivery_report: report,
        null_return_path,
    }
}

/// A name for a part that has none, from its type.
fn default_name(ct: Option<&mail_parser::ContentType<'_>>) -> String {
    let ext = match ct.map(|c| {
        (
            c.ctype().to_ascii_lowercase(),
            c.subtype().unwrap_or_default().to_ascii_lowercase(),
        )
    }) {
        Some((t, s)) if t == "image" && (s == "jpeg" || s == "jpg") => "jpg",
        Some((t, s)) if t == "image" && s == "png" => "png",
        Some((t, s)) if t == "image" && s == "gif" => "gif",
        Some((t, s)) if t == "application" && s == "pdf" => "pdf",
        Some((t, _)) if t == "text" => "txt",
        _ => "bin",
    };
    format!("piece-jointe.{ext}")
}

/// At most `max` bytes of text, cut on a character boundary, with a
/// warning when cut.
fn cut(text: &str, max: usize, warnings: &mut Vec<String>) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    warnings.push(format!("the text was cut at {max} bytes"));
    text[..end].to_owned()
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
