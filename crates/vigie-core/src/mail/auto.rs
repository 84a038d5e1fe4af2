//! Mail that no human wrote: auto-replies, out-of-office answers, bounces
//! (delivery status notifications) and bulk mail. Such mail never opens a
//! ticket and is never answered, or two robots would answer each other
//! for ever (RFC 3834).

use super::AutoHeaders;

/// Why a mail counts as automatic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Automatic {
    /// An auto-reply or out-of-office answer (`Auto-Submitted`,
    /// `X-Autoreply`, `X-Autorespond`, or such a subject).
    AutoReply,
    /// A delivery status notification (`multipart/report;
    /// report-type=delivery-status`, or a null `Return-Path`).
    Bounce,
    /// Bulk or list mail (`Precedence: bulk`, `junk` or `list`).
    Bulk,
}

impl Automatic {
    /// The stable name, for the reason stored with an ignored mail.
    pub fn as_str(self) -> &'static str {
        match self {
            Automatic::AutoReply => "auto_reply",
            Automatic::Bounce => "bounce",
            Automatic::Bulk => "bulk",
        }
    }
}

/// Subjects out-of-office answers carry when their software sets no header.
const AWAY_SUBJECTS: [&str; 6] = [
    "out of office",
    "automatic reply",
    "auto-reply",
    "autoreply",
    "absence du bureau",
    "réponse automatique",
];

/// Whether the mail is automatic, and why; `None` for a mail a person wrote.
pub fn automatic(headers: &AutoHeaders, subject: &str) -> Option<Automatic> {
    if headers.delivery_report || headers.null_return_path {
        return Some(Automatic::Bounce);
    }
    let submitted = headers
        .auto_submitted
        .as_deref()
        .map(|v| v.trim().to_ascii_lowercase());
    if submitted
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "no")
    {
        return Some(Automatic::AutoReply);
    }
    if headers.x_autoreply || headers.x_autorespond {
        return Some(Automatic::AutoReply);
    }
    let precedence = headers
        .precedence
        .as_deref()
        .map(|v| v.trim().to_ascii_lowercase());
    if let Some(p) = precedence.as_deref() {
        if p == "auto_reply" {
            return Some(Automatic::AutoReply);
        }
        if matches!(p, "bulk" | "junk" | "list") {
            return Some(Automatic::Bulk);
        }
    }
    let subject = subject.trim().to_lowercase();
    if AWAY_SUBJECTS.iter().any(|s| subject.starts_with(s)) {
        return Some(Automatic::AutoReply);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(headers: AutoHeaders, subject: &str, expected: Option<Automatic>) {
        assert_eq!(
            automatic(&headers, subject),
            expected,
            "{headers:?} {subject}"
        );
    }

    #[test]
    fn a_plain_mail_is_not_automatic() {
        check(AutoHeaders::default(), "Imprimante en panne", None);
    }

    #[test]
    fn auto_submitted_other_than_no_is_an_auto_reply() {
        for value in ["auto-replied", "auto-generated", "Auto-Notified"] {
            let h = AutoHeaders {
                auto_submitted: Some(value.into()),
                ..AutoHeaders::default()
            };
            check(h, "x", Some(Automatic::AutoReply));
        }
        let no = AutoHeaders {
            auto_submitted: Some(" No ".into()),
            ..AutoHeaders::default()
        };
        check(no, "x", None);
    }

    #[test]
    fn x_autoreply_and_x_autorespond_are_auto_replies() {
        let a = AutoHeaders {
            x_autoreply: true,
            ..AutoHeaders::default()
        };
        check(a, "x", Some(Automatic::AutoReply));
        let b = AutoHeaders {
            x_autorespond: true,
            ..AutoHeaders::default()
        };
        check(b, "x", Some(Automatic::AutoReply));
    }

    #[test]
    fn precedence_names_bulk_and_auto_replies() {
        for (value, expected) in [
            ("bulk", Some(Automatic::Bulk)),
            ("JUNK", Some(Automatic::Bulk)),
            ("list", Some(Automatic::Bulk)),
            ("auto_reply", Some(Automatic::AutoReply)),
            ("first-class", None),
        ] {
            let h = AutoHeaders {
                precedence: Some(value.into()),
                ..AutoHeaders::default()
            };
            check(h, "x", expected);
        }
    }

    #[test]
    fn delivery_reports_and_null_senders_are_bounces() {
        let dsn = AutoHeaders {
            delivery_report: true,
            ..AutoHeaders::default()
        };
        check(dsn, "Undelivered Mail", Some(Automatic::Bounce));
        let null = AutoHeaders {
            null_return_path: true,
            auto_submitted: Some("auto-replied".into()),
            ..AutoHeaders::default()
        };
        check(null, "x", Some(Automatic::Bounce));
    }

    #[test]
    fn away_subjects_without_headers_are_auto_replies() {
        check(
            AutoHeaders::default(),
            "Réponse automatique : absent",
            Some(Automatic::AutoReply),
        );
        check(
            AutoHeaders::default(),
            "Out of Office: back Monday",
            Some(Automatic::AutoReply),
        );
        check(AutoHeaders::default(), "Re: out of office plans", None);
    }
}
