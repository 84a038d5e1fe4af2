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
    let mut head = String::with_capacity(HEAD * 2);
    let cut = (0..lines.len())
        .find(|&i| starts_quote(&lines, i, &mut head))
        .unwrap_or(lines.len());
    let kept = lines[..cut].join("\n");
    let kept = kept.trim_end();
    if kept.trim().is_empty() {
        text.trim_end().to_owned()
    } else {
        kept.to_owned()
    }
}

/// How many characters of a line are lowercased to look for a mark.
const HEAD: usize = 40;

/// Whether line `i` starts the quoted part; `head` is a buffer reused from
/// line to line (a long mail is read line by line, and only the start of
/// each line is lowercased, a whole line only when it may be an
/// attribution).
fn starts_quote(lines: &[&str], i: usize, head: &mut String) -> bool {
    let line = lines[i].trim();
    if line.starts_with('>') {
        return true;
    }
    lower_head(line, HEAD, head);
    if head.starts_with("-----original message-----")
        || head.starts_with("-----message d'origine-----")
        || head.starts_with("-------- message original --------")
        || head.starts_with("-------- original message --------")
    {
        return true;
    }
    let opens = head.starts_with("le ") || head.starts_with("on ");
    if opens && attribution(&line.to_lowercase()) {
        return true;
    }
    // Some programs wrap the attribution: "On Mon … Jane" / "<j@x> wrote:".
    // The two lines joined by a space start with "le " or "on " only if
    // the first does, or is that word alone.
    if (opens || head == "le" || head == "on") && attribution_over_two_lines(lines, i) {
        return true;
    }
    header_block(lines, i, head)
}

/// The first `chars` characters of `text`, lowercased, into `out`.
fn lower_head(text: &str, chars: usize, out: &mut String) {
    out.clear();
    out.extend(text.chars().take(chars).flat_map(char::to_lowercase));
}

/// "Le lun. 3 mars 2025 à 10:00, Jeanne <j@x> a écrit :" and
/// "On Mon, Mar 3, 2025 at 10:00 AM Jane <j@x> wrote:".
fn attribution(lower: &str) -> bool {
    (lower.starts_with("le ") && (lower.ends_with("a écrit :") || lower.ends_with("a écrit:")))
        || (lower.starts_with("on ") && lower.ends_with("wrote:"))
}

/// Line `i` and the next, joined, make an attribution.
fn attribution_over_two_lines(lines: &[&str], i: usize) -> bool {
    let Some(next) = lines.get(i + 1) else {
        return false;
    };
    let joined = format!("{} {}", lines[i].trim(), next.trim()).to_lowercase();
    (joined.starts_with("le ") || joined.starts_with("on ")) && attribution(&joined)
}

/// "De : …" or "From: …", with "Envoyé :", "Sent:", "À :", "To:" or "Date:"
/// on one of the next two lines; `head` is line `i`'s start, lowercased.
fn header_block(lines: &[&str], i: usize, head: &str) -> bool {
    const FROM: [&str; 4] = ["de :", "de:", "from:", "from :"];
    const NEXT: [&str; 8] = [
        "envoyé :",
        "envoyé:",
        "sent:",
        "à :",
        "à:",
        "to:",
        "date:",
        "date :",
    ];
    if !FROM.iter().any(|n| head.starts_with(n)) {
        return false;
    }
    let mut next = String::new();
    lines[i + 1..].iter().take(2).any(|l| {
        lower_head(l.trim(), 12, &mut next);
        NEXT.iter().any(|n| next.starts_with(n))
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
