//! Quoted replies trimmed: a reply keeps what its author wrote, not the
//! history his mail program copied below it. The cut is made at the first
//! line that starts the quoted part: an attribution line ("Le … a écrit :",
//! "On … wrote:"), Outlook's "-----Original Message-----" or "-----Message
//! d'origine-----", a header block ("De :"/"From:" followed by "Envoyé :"/
//! "Sent:" or "À :"/"To:"), or a run of lines starting with `>`.

/// The text before the quoted part, trailing blank lines removed; the
/// whole text if cutting would leave nothing.
pub fn trim_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let cut = (0..lines.len())
        .find(|&i| starts_quote(&lines, i))
        .unwrap_or(lines.len());
    let kept = lines[..cut].join("\n");
    let kept = kept.trim_end();
    if kept.trim().is_empty() {
        text.trim_end().to_owned()
    } else {
        kept.to_owned()
    }
}

fn starts_quote(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    if line.starts_with('>') {
        return true;
    }
    // Every mark is found at the start of a line: only the start of each
    // line is lowercased, and a whole line only when it may be an
    // attribution (a long mail is read line by line).
    let head = lower_head(line, 40);
    if head.starts_with("-----original message-----")
        || head.starts_with("-----message d'origine-----")
        || head.starts_with("-------- message original --------")
        || head.starts_with("-------- original message --------")
    {
        return true;
    }
    if (head.starts_with("le ") || head.starts_with("on ")) && attribution(&line.to_lowercase()) {
        return true;
    }
    if attribution_over_two_lines(lines, i) {
        return true;
    }
    header_block(lines, i)
}

/// The first `chars` characters of `text`, lowercased.
fn lower_head(text: &str, chars: usize) -> String {
    text.chars()
        .take(chars)
        .flat_map(char::to_lowercase)
        .collect()
}

/// "Le lun. 3 mars 2025 à 10:00, Jeanne <j@x> a écrit :" and
/// "On Mon, Mar 3, 2025 at 10:00 AM Jane <j@x> wrote:".
fn attribution(lower: &str) -> bool {
    (lower.starts_with("le ") && (lower.ends_with("a écrit :") || lower.ends_with("a écrit:")))
        || (lower.starts_with("on ") && lower.ends_with("wrote:"))
}

/// Some programs wrap the attribution: "On Mon … Jane" / "<j@x> wrote:".
fn attribution_over_two_lines(lines: &[&str], i: usize) -> bool {
    let Some(next) = lines.get(i + 1) else {
        return false;
    };
    // The two lines joined by a space start with "le " or "on " only if
    // the first does, or is that word alone.
    let first = lines[i].trim();
    let head = lower_head(first, 3);
    if !matches!(head.as_str(), "le " | "on " | "le" | "on") {
        return false;
    }
    let joined = format!("{first} {}", next.trim()).to_lowercase();
    (joined.starts_with("le ") || joined.starts_with("on ")) && attribution(&joined)
}

/// "De : …" or "From: …", with "Envoyé :", "Sent:", "À :", "To:" or "Date:"
/// on one of the next two lines.
fn header_block(lines: &[&str], i: usize) -> bool {
    let is = |line: &str, names: &[&str]| {
        let lower = lower_head(line.trim(), 12);
        names.iter().any(|n| lower.starts_with(n))
    };
    if !is(lines[i], &["de :", "de:", "from:", "from :"]) {
        return false;
    }
    lines[i + 1..].iter().take(2).any(|l| {
        is(
            l,
            &[
                "envoyé :",
                "envoyé:",
                "sent:",
                "à :",
                "à:",
                "to:",
                "date:",
                "date :",
            ],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &str) {
        assert_eq!(trim_quoted(text), expected, "{text}");
    }

    #[test]
    fn angle_quotes_are_cut() {
        check(
            "Merci, c'est réparé.\n\n> Bonjour\n> ça ne marche pas",
            "Merci, c'est réparé.",
        );
    }

    #[test]
    fn french_and_english_attributions_are_cut() {
        check(
            "Toujours en panne.\n\nLe lun. 3 mars 2025 à 10:00, Support <s@x> a écrit :\n> texte",
            "Toujours en panne.",
        );
        check(
            "Still broken.\nOn Mon, Mar 3, 2025 at 10:00 AM Support <s@x> wrote:\n> text",
            "Still broken.",
        );
        check(
            "Still broken.\nOn Mon, Mar 3, 2025 at 10:00 AM Support\n<s@x> wrote:\ntext",
            "Still broken.",
        );
        check(
            "Still broken.\nOn\nMon, Mar 3, 2025, Support <s@x> wrote:\n> text",
            "Still broken.",
        );
        check(
            "Toujours en panne.\nLE 3 MARS 2025, SUPPORT <S@X> A ÉCRIT :\n> texte",
            "Toujours en panne.",
        );
    }

    #[test]
    fn outlook_blocks_are_cut() {
        check(
            "Voir ci-dessous.\n-----Original Message-----\nFrom: a\nx",
            "Voir ci-dessous.",
        );
        check(
            "Voir ci-dessous.\n\nDe : Support Vigie\nEnvoyé : lundi 3 mars\nÀ : moi\nObjet : x",
            "Voir ci-dessous.",
        );
        check(
            "See below.\nFrom: Vigie\nSent: Monday\nTo: me",
            "See below.",
        );
    }

    #[test]
    fn a_lone_from_line_is_kept() {
        check(
            "From: my desk, nothing works.\nThanks",
            "From: my desk, nothing works.\nThanks",
        );
    }

    #[test]
    fn a_text_that_is_all_quote_is_kept_whole() {
        check("> only\n> quote\n", "> only\n> quote");
        check("", "");
    }

    #[test]
    fn text_without_quote_is_unchanged() {
        check(
            "Bonjour,\n\nl'imprimante du 2e étage est en panne.\n",
            "Bonjour,\n\nl'imprimante du 2e étage est en panne.",
        );
    }
}
