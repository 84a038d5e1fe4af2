//! Benchmarks of the SLA core at scale: recomputing the deadline of every
//! clock of 1,000,000 open tickets (what a calendar change or a restart
//! costs), folding the monthly report over 1,000,000 tickets, and starting
//! one clock. Working hours (Mon–Fri 8h–18h, Europe/Paris, French holidays
//! 2000–2100). Run with `cargo bench -p vigie-core --bench sla`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use vigie_core::calendar::BusinessCalendar;
use vigie_core::sla::report::{MonthFigures, ReportRow, Verdict};
use vigie_core::sla::{ClockState, Metric, SlaClock, SlaTarget, TargetKind, TicketPhase};
use vigie_core::ticket::priority::Priority;
use vigie_core::ticket::{Status, TicketType};

const TICKETS: usize = 1_000_000;

const PRIORITIES: [Priority; 4] = [
    Priority::Critique,
    Priority::Haut,
    Priority::Moyen,
    Priority::Bas,
];

/// Running clocks opened over January 2026, one a few seconds apart, with
/// allowances of 4 to 40 business hours and some time already spent.
fn clocks(start: Timestamp) -> Vec<SlaClock> {
    (0..TICKETS)
        .map(|i| {
            let i = i as i64;
            let since = start + SignedDuration::from_secs(i * 2);
            SlaClock {
                metric: Metric::Resolve,
                allowance: SignedDuration::from_hours([4, 8, 24, 40][(i % 4) as usize]),
                elapsed: SignedDuration::from_mins(i % 120),
                started_at: since,
                running_since: Some(since),
                stopped_at: None,
                deadline: None,
            }
        })
        .collect()
}

fn rows() -> Vec<ReportRow> {
    let states = [
        ClockState::Met,
        ClockState::Met,
        ClockState::Met,
        ClockState::Breached,
        ClockState::Running,
    ];
    (0..TICKETS)
        .map(|i| {
            let verdict = |k: usize| Verdict {
                state: states[k % states.len()],
                overdue: SignedDuration::from_mins((i % 300) as i64),
            };
            ReportRow {
                number: i as i64,
                title: format!("Ticket {i}"),
                ticket_type: if i % 3 == 0 {
                    TicketType::Request
                } else {
                    TicketType::Incident
                },
                priority: PRIORITIES[i % 4],
                service_ref: None,
                own: Some(verdict(i / 7)),
                resolve: Some(verdict(i)),
                reason: None,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) -> Result<(), Box<dyn std::error::Error>> {
    let calendar = BusinessCalendar::working_hours("Europe/Paris")?;
    let start: Timestamp = "2026-01-05T08:00+01:00".parse()?;
    let all = clocks(start);
    let mut group = c.benchmark_group("sla at scale");
    group.sample_size(10);
    group.bench_function("recompute the deadlines of 1,000,000 running clocks", |b| {
        b.iter(|| {
            all.iter()
                .map(|clock| clock.recompute(black_box(&calendar)).deadline)
                .filter(Option::is_some)
                .count()
        })
    });
    let report = rows();
    group.bench_function("monthly report over 1,000,000 tickets", |b| {
        b.iter(|| MonthFigures::of(black_box(&report), 200).breach_count)
    });
    group.finish();
    let target = SlaTarget::new(
        TargetKind::Sla,
        Priority::Haut,
        SignedDuration::from_hours(8),
    );
    let new = TicketPhase::of(Status::New, None, false);
    let friday: Timestamp = "2026-01-09T17:30+01:00".parse()?;
    c.bench_function("start one clock (8 h from Friday 17:30)", |b| {
        b.iter(|| SlaClock::start(&target, Metric::Resolve, &new, black_box(friday), &calendar))
    });
    Ok(())
}

fn benches(c: &mut Criterion) {
    if let Err(error) = bench(c) {
        eprintln!("benchmark setup failed: {error}");
        std::process::exit(1);
    }
}

criterion_group!(sla, benches);
criterion_main!(sla);
