//! Benchmarks of business-time arithmetic, the hot path of SLA clocks:
//! deadlines of 4 hours and 3 days from a Friday evening, and the business
//! time of one month, on working hours (Mon–Fri 8h–18h, Europe/Paris, French
//! holidays 2025–2030), plus a 24/7 deadline across a DST change (the slow
//! path) and the cost of building a preset. Run with `cargo bench -p vigie-core --bench calendar`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use vigie_core::calendar::{BusinessCalendar, CalendarBuilder, Holidays, Segment};

fn working_hours() -> Result<BusinessCalendar, Box<dyn std::error::Error>> {
    let hours = Segment::new(
        jiff::civil::time(8, 0, 0, 0),
        jiff::civil::time(18, 0, 0, 0),
    );
    Ok(CalendarBuilder::new("Europe/Paris")
        .weekdays(&[hours])
        .holidays(&Holidays::france(2025..=2030))
        .build()?)
}

fn bench(c: &mut Criterion) -> Result<(), Box<dyn std::error::Error>> {
    let calendar = working_hours()?;
    // Friday 2026-01-09 17:30 in Paris.
    let friday: Timestamp = "2026-01-09T17:30+01:00".parse()?;
    let month_end: Timestamp = "2026-02-09T17:30+01:00".parse()?;
    c.bench_function("add_business 4h from Friday 17:30", |b| {
        b.iter(|| {
            calendar.add_business(black_box(friday), black_box(SignedDuration::from_hours(4)))
        })
    });
    c.bench_function(
        "add_business 3 business days (30h) from Friday 17:30",
        |b| {
            b.iter(|| {
                calendar.add_business(black_box(friday), black_box(SignedDuration::from_hours(30)))
            })
        },
    );
    c.bench_function("add_business 3 days (72h) from Friday 17:30", |b| {
        b.iter(|| {
            calendar.add_business(black_box(friday), black_box(SignedDuration::from_hours(72)))
        })
    });
    c.bench_function("business_between over one month", |b| {
        b.iter(|| calendar.business_between(black_box(friday), black_box(month_end)))
    });
    let always = BusinessCalendar::always("Europe/Paris")?;
    let spring: Timestamp = "2026-03-29T00:30+01:00".parse()?;
    c.bench_function(
        "24/7 add_business 4h across the DST change (2026-03-29 00:30)",
        |b| {
            b.iter(|| {
                always.add_business(black_box(spring), black_box(SignedDuration::from_hours(4)))
            })
        },
    );
    c.bench_function(
        "build working_hours preset (French holidays 2000-2100)",
        |b| b.iter(|| BusinessCalendar::working_hours(black_box("Europe/Paris"))),
    );
    Ok(())
}

fn benches(c: &mut Criterion) {
    if let Err(error) = bench(c) {
        eprintln!("benchmark setup failed: {error}");
        std::process::exit(1);
    }
}

criterion_group!(calendar, benches);
criterion_main!(calendar);
