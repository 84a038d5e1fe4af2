//! Flapping: an alert that keeps firing and clearing must not open,
//! resolve and reopen incidents (nor page people) at each change.
//!
//! The store keeps, per fingerprint, the instants of its recent state
//! changes (firing → cleared or back). An alert starts flapping when at
//! least `start` changes fall within the last `window`; it stops only when
//! at most `stop` do (`stop < start`: hysteresis, so that it does not flap
//! in and out of flapping). While flapping, events are recorded and counted
//! but take no incident action. The decision says when flapping would end if
//! no further change came, so the shell may look again then.

use jiff::{SignedDuration, Timestamp};

/// Most change instants kept per fingerprint.
pub const MAX_CHANGES_KEPT: usize = 64;

/// When an alert counts as flapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlapPolicy {
    /// Changes within the window that start flapping.
    pub start: u32,
    /// Flapping stops when at most this many changes are within the window.
    pub stop: u32,
    /// The window looked at.
    pub window: SignedDuration,
}

impl Default for FlapPolicy {
    /// Five changes in ten minutes start flapping; two or fewer end it.
    fn default() -> Self {
        FlapPolicy {
            start: 5,
            stop: 2,
            window: SignedDuration::from_mins(10),
        }
    }
}

/// What the store keeps about a fingerprint's changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlapState {
    /// Whether it was flapping after the last event.
    pub flapping: bool,
    /// Instants of its recent state changes, oldest first.
    pub changes: Vec<Timestamp>,
}

/// The verdict after an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlapDecision {
    /// The state to keep (changes outside the window dropped).
    pub state: FlapState,
    /// Whether flapping began with this event.
    pub started: bool,
    /// Whether flapping ended with this event.
    pub ended: bool,
    /// While flapping: when it would end if no change came.
    pub ends_at: Option<Timestamp>,
}

impl FlapState {
    /// The state after an event at `now`; `changed` says whether the event
    /// changed the alert's state (firing ↔ cleared).
    pub fn assess(&self, changed: bool, policy: &FlapPolicy, now: Timestamp) -> FlapDecision {
        let since = super::earlier(now, policy.window);
        let mut changes: Vec<Timestamp> = self
            .changes
            .iter()
            .copied()
            .filter(|t| *t > since && *t <= now)
            .collect();
        if changed {
            changes.push(now);
        }
        changes.sort_unstable();
        let excess = changes.len().saturating_sub(MAX_CHANGES_KEPT);
        changes.drain(..excess);
        let count = changes.len() as u64;
        let flapping = if self.flapping {
            count > u64::from(policy.stop)
        } else {
            count >= u64::from(policy.start.max(1))
        };
        let ends_at = if flapping {
            ends_at(&changes, policy)
        } else {
            None
        };
        FlapDecision {
            started: flapping && !self.flapping,
            ended: !flapping && self.flapping,
            ends_at,
            state: FlapState { flapping, changes },
        }
    }
}

/// The instant at which at most `stop` changes remain in the window: the
/// `(stop + 1)`-th newest change leaves it.
fn ends_at(changes: &[Timestamp], policy: &FlapPolicy) -> Option<Timestamp> {
    let keep = usize::try_from(policy.stop).unwrap_or(usize::MAX);
    let pivot = changes.len().checked_sub(keep.checked_add(1)?)?;
    changes.get(pivot).map(|t| super::later(*t, policy.window))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_715_673_600 + minute * 60).expect("time")
    }

    /// Feeds changes at the given minutes and returns the flapping flag
    /// after each.
    fn run(minutes: &[i64]) -> Vec<bool> {
        let policy = FlapPolicy::default();
        let mut state = FlapState::default();
        minutes
            .iter()
            .map(|m| {
                let d = state.assess(true, &policy, at(*m));
                state = d.state;
                state.flapping
            })
            .collect()
    }

    #[test]
    fn five_changes_in_ten_minutes_start_flapping() {
        assert_eq!(run(&[0, 1, 2, 3, 4]), [false, false, false, false, true]);
        // Spread over more than ten minutes: never.
        assert_eq!(run(&[0, 3, 6, 9, 12, 15]), [false; 6]);
    }

    #[test]
    fn hysteresis() {
        let policy = FlapPolicy::default();
        let mut state = FlapState::default();
        for m in 0..5 {
            state = state.assess(true, &policy, at(m)).state;
        }
        assert!(state.flapping);
        // The window is (now - 10 min, now]: at minute 11 it holds 2, 3
        // and 4; at minute 12 only 3 and 4, which is `stop`: it ends.
        let d = state.assess(false, &policy, at(11));
        assert!(
            d.state.flapping,
            "three changes (2, 3, 4) remain at minute 11"
        );
        assert_eq!(d.ends_at, Some(at(12)));
        let d = d.state.assess(false, &policy, at(12));
        assert!(!d.state.flapping);
        assert!(d.ended);
        assert_eq!(d.state.changes, vec![at(3), at(4)]);
        // Back to not flapping, four changes are not enough to start again.
        let mut state = d.state;
        for m in [13, 13, 13] {
            state = state.assess(true, &policy, at(m)).state;
        }
        assert_eq!(state.changes.len(), 4);
        assert!(!state.flapping);
    }

    #[test]
    fn decision_flags_and_end() {
        let policy = FlapPolicy::default();
        let mut state = FlapState::default();
        for m in 0..4 {
            state = state.assess(true, &policy, at(m)).state;
        }
        let d = state.assess(true, &policy, at(4));
        assert!(d.started);
        assert!(!d.ended);
        // Changes 0..4: the third newest (minute 2) leaves at minute 12.
        assert_eq!(d.ends_at, Some(at(12)));
        let again = d.state.assess(false, &policy, at(5));
        assert!(!again.started, "already flapping");
    }

    #[test]
    fn the_kept_list_is_bounded() {
        let policy = FlapPolicy {
            window: SignedDuration::from_hours(10),
            ..FlapPolicy::default()
        };
        let mut state = FlapState::default();
        for s in 0..200 {
            let now = Timestamp::from_second(1_715_673_600 + s).expect("time");
            state = state.assess(true, &policy, now).state;
        }
        assert_eq!(state.changes.len(), MAX_CHANGES_KEPT);
    }
}
