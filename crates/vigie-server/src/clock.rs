//! The one place that reads the wall clock. Everything else receives `now`.

use std::sync::{Arc, Mutex};
use vigie_core::Timestamp;

/// Where the current time comes from: the system, or a value tests set.
#[derive(Clone, Debug)]
pub enum Clock {
    /// The wall clock.
    System,
    /// A clock that only moves when told to (tests, benchmarks).
    Manual(Arc<Mutex<Timestamp>>),
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Clock {
        Clock::System
    }

    /// A clock stopped at `t`.
    pub fn manual(t: Timestamp) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(t)))
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        match self {
            #[allow(clippy::disallowed_methods)] // The one permitted use.
            Clock::System => Timestamp::now(),
            Clock::Manual(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Moves a manual clock forward; does nothing to the system clock.
    pub fn advance(&self, by: jiff::SignedDuration) {
        if let Clock::Manual(t) = self {
            let mut guard = t.lock().unwrap_or_else(|e| e.into_inner());
            *guard += by;
        }
    }
}
