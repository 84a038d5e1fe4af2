//! The subject tag `[VIGIE#123]` that Vigie puts in the subject of the mails
//! it sends, so that a reply whose threading headers were lost still finds
//! its ticket (the number is the tenant's ticket number), and the cleaning
//! of a subject into a ticket title.

/// The subject with the ticket's tag in front, unless it already has it.
pub fn tagged(number: i64, subject: &str) -> String {
    if tag(subject) == Some(number) {
        return subject.to_owned();
    }
    format!("[VIGIE#{number}] {}", subject.trim())
}

/// The ticket number of the first `[VIGIE#n]` tag in a subject (any case,
/// spaces allowed around `#`), if any.
pub fn tag(subject: &str) -> Option<i64> {
    let upper = subject.to_ascii_uppercase();
    let mut rest = upper.as_str();
    while let Some(at) = rest.find("[VIGIE") {
        let after = rest[at + 6..].trim_start();
        if let Some(after) = after.strip_prefix('#') {
            let after = after.trim_start();
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            let tail = after[digits.len()..].trim_start();
            if !digits.is_empty() && digits.len() <= 18 && tail.starts_with(']') {
                return digits.parse().ok();
            }
        }
        rest = &rest[at + 6..];
    }
    None
}

/// Reply and forward prefixes mail programs add, in the languages French
/// and English users write in.
const PREFIXES: [&str; 8] = ["re:", "re :", "tr:", "tr :", "fw:", "fwd:", "aw:", "réf:"];

/// A title for a ticket from a subject: reply prefixes and the tag taken
/// away, blanks folded; `fallback` if nothing is left.
pub fn title(subject: &str, fallback: &str) -> String {
    let mut s = subject.replace(['\r', '\n', '\t'], " ");
    loop {
        let trimmed = s.trim_start();
        let lower = trimmed.to_lowercase();
        if let Some(p) = PREFIXES.iter().find(|p| lower.starts_with(*p)) {
            let cut = trimmed
                .char_indices()
                .nth(p.chars().count())
                .map_or(trimmed.len(), |(i, _)| i);
            s = trimmed[cut..].to_owned();
            continue;
        }
        if let Some(n) = tag(trimmed)
            && trimmed.to_ascii_uppercase().starts_with("[VIGIE")
            && let Some(end) = trimmed.find(']')
        {
            let _ = n;
            s = trimmed[end + 1..].to_owned();
            continue;
        }
        break;
    }
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let folded: String = folded.chars().take(200).collect();
    if folded.is_empty() {
        fallback.to_owned()
    } else {
        folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_is_found_anywhere_in_any_case() {
        for (subject, expected) in [
            ("[VIGIE#123] Imprimante", Some(123)),
            ("Re: [VIGIE#123] Imprimante", Some(123)),
            ("RE: TR: [vigie # 42 ] x", Some(42)),
            ("[VIGIE] pas de numéro [VIGIE#7]", Some(7)),
            ("[VIGIE#] vide", None),
            ("[VIGIE#12a] lettre", None),
            ("[VIGIE#99999999999999999999] trop long", None),
            ("VIGIE#5 sans crochets", None),
            ("", None),
        ] {
            assert_eq!(tag(subject), expected, "{subject}");
        }
    }

    #[test]
    fn tagging_is_done_once() {
        assert_eq!(tagged(5, "Imprimante"), "[VIGIE#5] Imprimante");
        assert_eq!(
            tagged(5, "Re: [VIGIE#5] Imprimante"),
            "Re: [VIGIE#5] Imprimante"
        );
        assert_eq!(tagged(6, "[VIGIE#5] x"), "[VIGIE#6] [VIGIE#5] x");
    }

    #[test]
    fn titles_lose_prefixes_and_tags() {
        for (subject, expected) in [
            (
                "Re: RE: Tr: [VIGIE#5] Imprimante  en\tpanne",
                "Imprimante en panne",
            ),
            ("Fwd: Accès VPN", "Accès VPN"),
            ("   ", "(sans objet)"),
            ("Re:", "(sans objet)"),
            ("Réf: commande", "commande"),
        ] {
            assert_eq!(title(subject, "(sans objet)"), expected, "{subject}");
        }
        assert_eq!(title(&"é".repeat(300), "x").chars().count(), 200);
    }
}
