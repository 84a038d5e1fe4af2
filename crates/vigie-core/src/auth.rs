//! Authentication rules: password policy and login throttling.

use jiff::{SignedDuration, Timestamp};

/// The shortest password Vigie accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password Vigie hashes; longer input is refused before hashing
/// so that nobody can make the server hash megabytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// Too long.
    #[error("the password must have at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
}

/// Checks a new password against the policy.
pub fn check_password_policy(password: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        Err(PasswordError::TooLong)
    } else if password.chars().count() < MIN_PASSWORD_CHARS {
        Err(PasswordError::TooShort)
    } else {
        Ok(())
    }
}

/// How many failed logins are tolerated in a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    /// Failures allowed in the window before logins are refused.
    pub max_failures: usize,
    /// The window.
    pub window: SignedDuration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            max_failures: 5,
            window: SignedDuration::from_mins(15),
        }
    }
}

impl LoginThrottle {
    /// Decides whether a login attempt may be checked now, given the times of
    /// the recent failures for the same login or address. `Err` carries how
    /// long to wait before the oldest failure leaves the window.
    pub fn check(&self, failures: &[Timestamp], now: Timestamp) -> Result<(), SignedDuration> {
        let since = now - self.window;
        let mut recent: Vec<Timestamp> = failures.iter().copied().filter(|t| *t > since).collect();
        if recent.len() < self.max_failures {
            return Ok(());
        }
        recent.sort();
        // The attempt becomes possible when enough failures have aged out.
        let unlock_by = recent[recent.len() - self.max_failures];
        let wait = now.duration_until(unlock_by + self.window);
        Err(wait.max(SignedDuration::from_secs(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).expect("valid")
    }

    #[test]
    fn password_policy() {
        assert_eq!(check_password_policy("short"), Err(PasswordError::TooShort));
        assert_eq!(check_password_policy("éééééééééé"), Ok(()));
        assert_eq!(
            check_password_policy(&"x".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn five_failures_lock_until_the_first_ages_out() {
        let t = LoginThrottle::default();
        let failures: Vec<Timestamp> = (0..5).map(|i| at(i * 60)).collect();
        assert_eq!(t.check(&failures[..4], at(300)), Ok(()));
        let wait = t.check(&failures, at(300)).expect_err("locked");
        assert_eq!(wait, SignedDuration::from_secs(15 * 60 - 300));
        // Once the first failure is 15 minutes old, one more try is allowed.
        assert_eq!(t.check(&failures, at(15 * 60)), Ok(()));
    }

    #[test]
    fn old_failures_do_not_count() {
        let t = LoginThrottle::default();
        let failures: Vec<Timestamp> = (0..10).map(at).collect();
        assert_eq!(t.check(&failures, at(3600)), Ok(()));
    }
}
