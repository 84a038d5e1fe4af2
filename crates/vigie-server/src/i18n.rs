//! French and English: choosing the language and looking up messages.
//!
//! Messages live in `i18n/<lang>/main.ftl` (Fluent) and are compiled into
//! the binary. The language is the user's preference, else the `vigie_lang`
//! cookie, else the browser's `Accept-Language`, else English.

use fluent_templates::{Loader, static_loader};
use unic_langid::LanguageIdentifier;

static_loader! {
    static LOCALES = {
        locales: "./i18n",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language of the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Français.
    Fr,
    /// English.
    En,
}

/// The cookie remembering the language chosen before logging in.
pub const LANG_COOKIE: &str = "vigie_lang";

impl Lang {
    /// Every language, in the order of the switcher.
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The code (`fr`, `en`), as in `lang` attributes and preferences.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language's own name.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    /// Parses a code; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the language from the user's preference, the cookie and the
    /// `Accept-Language` header, in that order.
    pub fn negotiate(
        preference: Option<&str>,
        cookie: Option<&str>,
        accept_language: Option<&str>,
    ) -> Lang {
        preference
            .and_then(Lang::from_code)
            .or_else(|| cookie.and_then(Lang::from_code))
            .or_else(|| accept_language.and_then(from_accept_language))
            .unwrap_or(Lang::En)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Fr => unic_langid::langid!("fr"),
            Lang::En => unic_langid::langid!("en"),
        }
    }

    /// The message `key` in this language (the key itself if missing, so a
    /// forgotten message shows up instead of vanishing).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with one argument.
    pub fn t1(self, key: &str, name: &'static str, value: impl Into<String>) -> String {
        self.tn(key, [(name, value.into())])
    }

    /// The message `key` with two arguments.
    pub fn t2(self, key: &str, a: (&'static str, String), b: (&'static str, String)) -> String {
        self.tn(key, [a, b])
    }

    pub(crate) fn tn<const N: usize>(
        self,
        key: &str,
        values: [(&'static str, String); N],
    ) -> String {
        let args = values
            .into_iter()
            .map(|(name, value)| {
                (
                    std::borrow::Cow::Borrowed(name),
                    fluent_templates::fluent_bundle::FluentValue::from(value),
                )
            })
            .collect::<std::collections::HashMap<_, _>>();
        LOCALES
            .try_lookup_with_args(&self.id(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }
}

/// The supported language the browser prefers most, by `q` weight.
fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',').take(20) {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(lang) = Lang::from_code(primary)
            && q > 0.0
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_order() {
        assert_eq!(
            Lang::negotiate(Some("en"), Some("fr"), Some("fr")),
            Lang::En
        );
        assert_eq!(Lang::negotiate(None, Some("fr"), Some("en")), Lang::Fr);
        assert_eq!(
            Lang::negotiate(None, None, Some("de-DE,fr-FR;q=0.8,en;q=0.5")),
            Lang::Fr
        );
        assert_eq!(
            Lang::negotiate(None, None, Some("fr;q=0.3, en-GB;q=0.9")),
            Lang::En
        );
        assert_eq!(Lang::negotiate(None, None, Some("fr;q=0")), Lang::En);
        assert_eq!(
            Lang::negotiate(None, Some("xx"), Some("garbage;;;q=zz")),
            Lang::En
        );
    }

    #[test]
    fn every_key_exists_in_both_languages() {
        let read = |lang: &str| -> Vec<String> {
            let text = match lang {
                "fr" => include_str!("../i18n/fr/main.ftl"),
                _ => include_str!("../i18n/en/main.ftl"),
            };
            let mut keys: Vec<String> = text
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" ="))
                .filter_map(|l| l.split(" =").next().map(str::to_owned))
                .collect();
            keys.sort();
            keys
        };
        assert_eq!(read("fr"), read("en"));
        // Messages with arguments do not format without them; the key sets
        // above cover those.
        let plain = include_str!("../i18n/fr/main.ftl")
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains(" =") && !l.contains("{ $"))
            .filter_map(|l| l.split(" =").next().map(str::to_owned))
            .collect::<Vec<_>>();
        assert!(plain.len() > 20);
        for key in plain {
            assert_ne!(Lang::Fr.t(&key), key, "French message {key} does not load");
        }
    }
}
