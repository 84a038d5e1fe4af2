//! Markdown typed by users (ticket descriptions, replies, solutions) turned
//! into HTML that is safe to insert in a page.
//!
//! The Markdown is rendered by pulldown-cmark, which lets raw HTML through;
//! the result is then cleaned by ammonia, which keeps only harmless tags and
//! attributes (no scripts, no event handlers, no `javascript:` links, no
//! styles). [`SafeHtml`] can only be made by [`render_markdown`], so a
//! template marking a value `|safe` can only receive cleaned HTML.

use pulldown_cmark::{Event, Options, Parser, html};
use std::fmt;
use std::sync::LazyLock;

/// HTML cleaned by ammonia; the only value templates render with `|safe`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SafeHtml(String);

impl fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The cleaner: ammonia's defaults (a conservative allow-list of tags and
/// attributes, URLs limited to safe schemes), links marked so that they
/// neither pass the referrer nor get a handle on the page.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"));
    b
});

/// Renders Markdown to HTML and sanitizes it. Single line breaks are kept
/// (people type descriptions in a text box, not in Markdown files).
pub(crate) fn render_markdown(source: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(source, options).map(|e| match e {
        Event::SoftBreak => Event::HardBreak,
        e => e,
    });
    let mut raw = String::with_capacity(source.len() + source.len() / 2);
    html::push_html(&mut raw, events);
    CLEANER.clean(&raw).to_string()
}

/// HTML from elsewhere (the HTML part of a mail) cleaned by the same
/// cleaner as rendered Markdown.
pub(crate) fn clean_html(raw: &str) -> String {
    CLEANER.clean(raw).to_string()
}

/// The HTML of a received mail (cleaned at intake) cleaned again, as a value
/// templates may render unescaped.
pub(crate) fn safe_mail_html(cleaned: &str) -> SafeHtml {
    SafeHtml(clean_html(cleaned))
}

/// [`render_markdown`] as a value templates may render unescaped.
pub(crate) fn safe_markdown(source: &str) -> SafeHtml {
    SafeHtml(render_markdown(source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders() {
        let html =
            render_markdown("# Panne\n\nLe **serveur** ne répond plus.\nDepuis 8 h.\n\n- a\n- b");
        assert!(html.contains("<h1>Panne</h1>"), "{html}");
        assert!(html.contains("<strong>serveur</strong>"), "{html}");
        assert!(html.contains("<br>"), "{html}");
        assert!(html.contains("<li>a</li>"), "{html}");
    }

    #[test]
    fn scripts_are_removed() {
        for source in [
            "<script>alert(1)</script>",
            "Hello <script src=\"/x.js\"></script> world",
            "<SCRIPT>alert(1)</SCRIPT>",
            "<scr<script>ipt>alert(1)</script>",
            "<svg><script>alert(1)</script></svg>",
        ] {
            let html = render_markdown(source);
            assert!(
                !html.to_lowercase().contains("<script"),
                "{source} → {html}"
            );
        }
    }

    #[test]
    fn event_handlers_are_removed() {
        for source in [
            "<img src=x onerror=alert(1)>",
            "<img src=\"x\" onerror=\"alert(1)\">",
            "<a href=\"/\" onclick=\"alert(1)\">x</a>",
            "<p onmouseover='alert(1)'>x</p>",
            "<svg onload=alert(1)></svg>",
            "<details open ontoggle=alert(1)>x</details>",
        ] {
            let html = render_markdown(source);
            let lower = html.to_lowercase();
            for handler in ["onerror", "onclick", "onmouseover", "onload", "ontoggle"] {
                assert!(!lower.contains(handler), "{source} → {html}");
            }
        }
        // What is harmless stays.
        assert!(render_markdown("<img src=x onerror=alert(1)>").contains("<img src=\"x\">"));
    }

    #[test]
    fn javascript_links_are_removed() {
        for source in [
            "[click](javascript:alert(1))",
            "[click](JavaScript:alert(1))",
            "<a href=\"javascript:alert(1)\">click</a>",
            "<a href=\"  javascript:alert(1)\">click</a>",
            "[click](vbscript:msgbox(1))",
            "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<iframe src=\"javascript:alert(1)\"></iframe>",
            "![x](javascript:alert(1))",
        ] {
            let html = render_markdown(source).to_lowercase();
            assert!(!html.contains("javascript:"), "{source} → {html}");
            assert!(!html.contains("vbscript:"), "{source} → {html}");
            assert!(!html.contains("data:"), "{source} → {html}");
            assert!(!html.contains("<iframe"), "{source} → {html}");
        }
        let html = render_markdown("[docs](https://example.org/doc)");
        assert!(
            html.contains("href=\"https://example.org/doc\"") && html.contains("noopener"),
            "{html}"
        );
    }

    #[test]
    fn styles_and_forms_are_removed() {
        let html = render_markdown(
            "<style>body{display:none}</style><form action=/logout method=post><button>x</button></form><p style=\"position:fixed\">y</p>",
        )
        .to_lowercase();
        for bad in ["<style", "<form", "<button", "style="] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }

    #[test]
    fn code_shows_markup_as_text() {
        let html = render_markdown("Run `<script>alert(1)</script>`");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
