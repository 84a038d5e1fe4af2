//! Validation of the text users type: names, slugs, logins.
//!
//! Text is stored verbatim and escaped on output; validation only refuses
//! what can never be right (control characters, empty or huge values).

/// Why a value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    /// Empty after trimming.
    #[error("`{field}` must not be empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// Longer than allowed.
    #[error("`{field}` must have at most {max} characters")]
    TooLong {
        /// The field.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// Contains characters not allowed there.
    #[error("`{field}` {rule}")]
    Format {
        /// The field.
        field: &'static str,
        /// What the field must look like.
        rule: &'static str,
    },
}

impl InvalidValue {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            InvalidValue::Empty { field }
            | InvalidValue::TooLong { field, .. }
            | InvalidValue::Format { field, .. } => field,
        }
    }
}

/// A display name or title: trimmed, 1 to `max` characters, no control
/// characters. Returns the trimmed value.
pub fn name(field: &'static str, value: &str, max: usize) -> Result<String, InvalidValue> {
    let v = value.trim();
    if v.is_empty() {
        return Err(InvalidValue::Empty { field });
    }
    if v.chars().count() > max {
        return Err(InvalidValue::TooLong { field, max });
    }
    if v.chars().any(char::is_control) {
        return Err(InvalidValue::Format {
            field,
            rule: "must not contain control characters",
        });
    }
    Ok(v.to_owned())
}

/// A long text (description, reply, solution): at most `max` characters,
/// no control characters but line breaks and tabs. Kept as typed.
pub fn long_text(field: &'static str, value: &str, max: usize) -> Result<String, InvalidValue> {
    if value.chars().count() > max {
        return Err(InvalidValue::TooLong { field, max });
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(InvalidValue::Format {
            field,
            rule: "must not contain control characters",
        });
    }
    Ok(value.to_owned())
}

/// The longest description, reply or solution, in characters.
pub const MAX_LONG_TEXT: usize = 65_536;

/// A tenant slug: 2 to 32 of `a-z`, `0-9` and `-`, starting with a letter.
pub fn slug(value: &str) -> Result<String, InvalidValue> {
    let field = "slug";
    let ok = (2..=32).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(InvalidValue::Format {
            field,
            rule: "must be 2 to 32 characters among a-z, 0-9 and -, starting with a letter",
        })
    }
}

/// A login: 2 to 64 of `a-z`, `0-9`, `.`, `_`, `-` and `@`.
pub fn login(value: &str) -> Result<String, InvalidValue> {
    let field = "login";
    let v = value.trim().to_lowercase();
    let ok = (2..=64).contains(&v.len())
        && v.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'@')
        });
    if ok {
        Ok(v)
    } else {
        Err(InvalidValue::Format {
            field,
            rule: "must be 2 to 64 characters among a-z, 0-9, '.', '_', '-' and '@'",
        })
    }
}

/// An optional e-mail address: empty means none; otherwise one `@` with text
/// on both sides and no spaces.
pub fn email(value: &str) -> Result<Option<String>, InvalidValue> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let ok = v.len() <= 254
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        && v.split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.contains('@'));
    if ok {
        Ok(Some(v.to_owned()))
    } else {
        Err(InvalidValue::Format {
            field: "email",
            rule: "must be an e-mail address",
        })
    }
}

/// The name of a monitoring tool an integration key is for
/// (`alertmanager`, `zabbix-prod`): 1 to 64 of `a-z`, `0-9`, `-` and `_`.
pub fn source_name(value: &str) -> Result<String, InvalidValue> {
    let field = "source";
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(InvalidValue::Format {
            field,
            rule: "must be 1 to 64 characters among a-z, 0-9, - and _",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Nord ", 10), Ok("Nord".to_owned()));
        assert_eq!(
            name("name", "   ", 10),
            Err(InvalidValue::Empty { field: "name" })
        );
        assert!(name("name", "a\u{0}b", 10).is_err());
        // Markup and SQL are stored verbatim: escaping is the output's job.
        assert_eq!(
            name("name", "<b>'; DROP TABLE x;--", 100).as_deref(),
            Ok("<b>'; DROP TABLE x;--")
        );
    }

    #[test]
    fn slugs_and_logins() {
        assert!(slug("cachemire").is_ok());
        assert!(slug("c").is_err());
        assert!(slug("1abc").is_err());
        assert!(slug("Cachemire").is_err());
        assert_eq!(login(" Admin ").as_deref(), Ok("admin"));
        assert!(login("a b").is_err());
        assert!(login("é").is_err());
    }

    #[test]
    fn long_texts_keep_lines_and_refuse_control_characters() {
        assert_eq!(
            long_text("body", "ligne 1\r\nligne 2\tfin", 100).as_deref(),
            Ok("ligne 1\r\nligne 2\tfin")
        );
        assert!(long_text("body", "bell\u{7}", 100).is_err());
        assert_eq!(
            long_text("body", "xxx", 2),
            Err(InvalidValue::TooLong {
                field: "body",
                max: 2
            })
        );
    }

    #[test]
    fn emails() {
        assert_eq!(email(""), Ok(None));
        assert!(email("dsi@cachemire.example").is_ok());
        assert!(email("no-at").is_err());
        assert!(email("a@b@c.d").is_err());
    }

    #[test]
    fn source_names_are_short_lowercase_words() {
        assert_eq!(source_name("zabbix-prod_2").as_deref(), Ok("zabbix-prod_2"));
        let long = "a".repeat(65);
        for bad in ["", "Zabbix", "zab bix", "zabbix.prod", "é", long.as_str()] {
            assert_eq!(
                source_name(bad).map_err(|e| e.field()),
                Err("source"),
                "{bad:?}"
            );
        }
        assert!(source_name(&"a".repeat(64)).is_ok());
    }
}
