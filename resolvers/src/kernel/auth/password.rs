//! argon2id password hashing. Hashing is CPU-heavy, so callers run it on the
//! blocking pool (`hash_blocking`, `verify_blocking`).

use std::sync::OnceLock;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use rand::{distributions::Alphanumeric, Rng};

use crate::kernel::error::{ApiError, UserError, UserErrorCode};

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;

/// Checks a new password against the policy.
pub fn validate(field: &str, password: &str) -> Result<(), UserError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(UserError::new(
            field,
            UserErrorCode::TooShort,
            format!("must be at least {MIN_LEN} characters"),
        ));
    }
    if len > MAX_LEN {
        return Err(UserError::new(
            field,
            UserErrorCode::TooLong,
            format!("must be at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

/// A random password for people who did not choose one (bootstrap).
pub fn generate() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// True when `password` matches `stored`. With no stored hash, a dummy hash is
/// checked instead so that unknown emails take as long as wrong passwords.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let (stored, real) = match stored {
        Some(s) => (s, true),
        None => (
            DUMMY
                .get_or_init(|| hash("dummy password for timing").unwrap_or_default())
                .as_str(),
            false,
        ),
    };
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && real
}

pub async fn hash_blocking(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(ApiError::internal)?
}

pub async fn verify_blocking(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || verify(&password, stored.as_deref()))
        .await
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse battery", Some(&h)));
        assert!(!verify("wrong horse battery", Some(&h)));
        assert!(!verify("correct horse battery", None));
        assert!(!verify("x", Some("not a hash")));
    }

    #[test]
    fn policy() {
        assert!(validate("password", "short").is_err());
        assert!(validate("password", "long enough pw").is_ok());
        assert!(validate("password", &"x".repeat(MAX_LEN + 1)).is_err());
        assert_eq!(generate().len(), 24);
        assert_ne!(generate(), generate());
    }
}
