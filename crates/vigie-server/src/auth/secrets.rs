//! Passwords (argon2id), API token and session secrets (random, stored as
//! SHA-256).

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The start of every API token, so that leaked tokens are easy to find.
pub const TOKEN_PREFIX: &str = "vig_";

/// Hashing a password failed (should not happen with valid parameters).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes a password with argon2id and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Checks a password against a stored PHC string; a malformed hash never
/// matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Burns about the time of a verification, so that unknown logins take as
/// long as wrong passwords.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default());
    let _ = verify_password(password, phc);
}

/// 32 random bytes, base64url.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret, hex: what is stored for tokens and sessions.
pub fn sha256_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new API token: the secret to show once, its displayable prefix, and
/// the hash to store.
#[derive(Debug, Clone)]
pub struct NewTokenSecret {
    /// The whole token, shown once.
    pub secret: String,
    /// Its first characters, stored to recognise it in lists.
    pub prefix: String,
    /// SHA-256 of the secret, stored.
    pub hash: String,
}

/// Generates a new API token.
pub fn new_api_token() -> NewTokenSecret {
    let secret = format!("{TOKEN_PREFIX}{}", random_secret());
    NewTokenSecret {
        prefix: secret.chars().take(12).collect(),
        hash: sha256_hex(&secret),
        secret,
    }
}

/// What an integration key starts with, so that a key pasted in the wrong
/// place is recognised (and never taken for an API token).
pub const INTEGRATION_KEY_PREFIX: &str = "vgk_";

/// Generates a new integration key (for a monitoring tool's events).
pub fn new_integration_key() -> NewTokenSecret {
    let secret = format!("{INTEGRATION_KEY_PREFIX}{}", random_secret());
    NewTokenSecret {
        prefix: secret.chars().take(12).collect(),
        hash: sha256_hex(&secret),
        secret,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn tokens_are_unique_and_hashed() {
        let a = new_api_token();
        let b = new_api_token();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(a.hash, sha256_hex(&a.secret));
        assert_eq!(a.hash.len(), 64);
        assert!(a.secret.starts_with(&a.prefix));
    }
}
