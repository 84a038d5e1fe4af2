//! `vigie bench mail`: parsing and ingesting stored mails of 5–50 KB (plain
//! text, HTML alternatives, a third with a PDF attachment), replies mixed
//! in, from a pool of senders who become contacts on their first mail. Each
//! run ingests fresh mails through the same path as the IMAP poller (by
//! batches of `intake::BATCH`: parse, then look up, decide and store each
//! in the batch's transaction) and ends once the full-text index holds
//! them; the median run is printed, and the parse alone is measured apart.

use std::time::Instant;
use vigie_server::mail::intake::{self, MailboxContext};
use vigie_server::mail::parse::{self, Limits};
use vigie_server::{AppState, Clock, ServerConfig};
use vigie_store::Store;

/// What to measure.
#[derive(Debug, clap::Args)]
pub struct MailBenchArgs {
    /// Mails per run.
    #[arg(long, default_value_t = 2_000)]
    pub mails: usize,
    /// Runs (the median is printed).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Distinct words the texts are written with: 16 (the default) takes
    /// them from a short list of support words; more makes words of
    /// syllables, a few common and most rare (rank r drawn with a
    /// probability near 1/r, as in written language), so that a text's
    /// distinct words are about two fifths of its words rather than a
    /// handful.
    #[arg(long, default_value_t = 16)]
    pub vocabulary: usize,
}

/// Senders of the generated mails.
const SENDERS: usize = 50;

const WORDS: [&str; 16] = [
    "imprimante",
    "réseau",
    "accès",
    "écran",
    "serveur",
    "messagerie",
    "lenteur",
    "bâtiment",
    "poste",
    "badge",
    "logiciel",
    "mise à jour",
    "coupure",
    "VPN",
    "mot de passe",
    "téléphone",
];

/// Syllables of the made-up words of a large vocabulary.
const SYLLABLES: [&str; 16] = [
    "ma", "ri", "po", "lu", "né", "sa", "to", "vi", "ré", "ca", "da", "è", "fi", "go", "la", "mo",
];

/// The made-up word of rank `rank`: its base-16 digits as syllables (two
/// at least), so that each rank has its own word.
fn made_up_word(rank: usize, out: &mut String) {
    let mut r = rank;
    let mut n = 0;
    while r > 0 || n < 2 {
        out.push_str(SYLLABLES[r % SYLLABLES.len()]);
        r /= SYLLABLES.len();
        n += 1;
    }
}

/// One generated mail of about `size` bytes, written with `vocabulary`
/// distinct words (see [`MailBenchArgs::vocabulary`]).
fn mail(run: usize, i: usize, size: usize, vocabulary: usize) -> Vec<u8> {
    let sender = i % SENDERS;
    let mut text = String::with_capacity(size);
    let mut w = i;
    let mut state = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while text.len() < size {
        if vocabulary <= WORDS.len() {
            text.push_str(WORDS[w % WORDS.len()]);
        } else {
            // A rank spread as vocabulary^u for u uniform in [0, 1): near
            // 1/r, the law of word frequencies.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let rank = ((vocabulary as f64).powf(u) as usize).saturating_sub(1);
            made_up_word(rank, &mut text);
        }
        text.push(if w.is_multiple_of(13) { '\n' } else { ' ' });
        w = w.wrapping_mul(31).wrapping_add(7);
    }
    let reply = if i % 4 == 3 && i >= 4 {
        format!("In-Reply-To: <bench-{run}-{}@client.example>\r\n", i - 3)
    } else {
        String::new()
    };
    let head = format!(
        "From: Utilisateur {sender} <user{sender}@client.example>\r\nTo: support@cachemire.invalid\r\n\
         Subject: Demande {i} : {}\r\nDate: Mon, 03 Mar 2025 09:15:00 +0100\r\n\
         Message-ID: <bench-{run}-{i}@client.example>\r\n{reply}MIME-Version: 1.0\r\n",
        WORDS[i % WORDS.len()]
    );
    let body = if i.is_multiple_of(3) {
        let pdf = "JVBERi0xLjQKJSBWaWdpZSBiZW5jaAoxIDAgb2JqIDw8ID4+IGVuZG9iagp0cmFpbGVyIDw8ID4+CiUlRU9GCg==";
        format!(
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n--b\r\nContent-Type: application/pdf; name=\"rapport-{i}.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"rapport-{i}.pdf\"\r\n\r\n{pdf}\r\n--b--\r\n"
        )
    } else {
        format!(
            "Content-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain; charset=UTF-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n--a\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n\
             <html><body><p>{text}</p></body></html>\r\n--a--\r\n"
        )
    };
    format!("{head}{body}").into_bytes()
}

/// Runs the benchmark on a store holding the demo.
pub async fn run(store: &Store, clock: Clock, args: &MailBenchArgs) -> anyhow::Result<()> {
    let mailbox = crate::ingest::replay_mailbox(store, clock.now(), "cachemire", "bench").await?;
    let state = AppState::new(store.clone(), ServerConfig::default(), clock);
    let ctx = MailboxContext::load(&state, mailbox).await?;
    let mut rates = Vec::with_capacity(args.runs);
    let mut bytes = 0usize;
    for run in 0..args.runs.max(1) {
        // Sizes spread over 5–50 KB, text mostly (the HTML copy doubles it).
        let mails: Vec<Vec<u8>> = (0..args.mails)
            .map(|i| mail(run, i, 2_500 + (i * 7_919) % 22_500, args.vocabulary))
            .collect();
        bytes = mails.iter().map(Vec::len).sum();
        let started = Instant::now();
        let mut summary = crate::ingest::Summary::default();
        for outcome in intake::ingest_batch(&state, &ctx, &mails).await? {
            summary.count(&outcome);
        }
        // The full-text index, written beside, has caught up when the run
        // ends: the mails are searchable.
        store.catch_up_search().await?;
        let secs = started.elapsed().as_secs_f64();
        let rate = mails.len() as f64 / secs.max(1e-9);
        println!(
            "run {run}: {} mails ({:.1} MB) in {secs:.2} s: {rate:.0} mails/s \
             ({} tickets, {} replies, {} others, {} duplicates)",
            mails.len(),
            bytes as f64 / 1e6,
            summary.tickets,
            summary.replies,
            summary.others,
            summary.duplicates
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    let mails: Vec<Vec<u8>> = (0..args.mails)
        .map(|i| mail(99, i, 2_500 + (i * 7_919) % 22_500, args.vocabulary))
        .collect();
    let started = Instant::now();
    for raw in &mails {
        let _ = parse::parse(raw, &Limits::default());
    }
    let parse_rate = mails.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "mail ingest (parse + decide + store), median of {} runs: {median:.0} mails/s \
         (average mail {:.1} KB); parse alone: {parse_rate:.0} mails/s",
        rates.len(),
        bytes as f64 / args.mails.max(1) as f64 / 1024.0
    );
    Ok(())
}
