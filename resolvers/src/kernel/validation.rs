//! Field validators shared by every mutation and by CSV imports, so a rule is
//! written once. Each returns the cleaned value or a field-named `UserError`.

use crate::kernel::error::{UserError, UserErrorCode};

/// Trims `value` and checks it is present and at most `max` characters.
/// Languages and locales the product speaks (seed 000): customers' locales,
/// users' languages and email templates.
pub const LOCALES: [&str; 6] = ["de", "en", "es", "pt", "fr", "it"];

pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, UserError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(UserError::new(
            field,
            UserErrorCode::Blank,
            "can't be blank",
        ));
    }
    max_len(field, value, max)?;
    Ok(value.to_owned())
}

/// Checks `value` is at most `max` characters (not bytes).
pub fn max_len(field: &str, value: &str, max: usize) -> Result<(), UserError> {
    let len = value.chars().count();
    if len > max {
        return Err(UserError::new(
            field,
            UserErrorCode::TooLong,
            format!("is too long ({len} characters, at most {max})"),
        ));
    }
    Ok(())
}

/// A syntactically valid address whose domain has a dot (seed 002 refuses
/// "domain without a period"), at most `max` characters. Returns it trimmed.
pub fn email(field: &str, value: &str, max: usize) -> Result<String, UserError> {
    let value = required_text(field, value, max)?;
    let invalid = |why: &str| {
        Err(UserError::new(
            field,
            UserErrorCode::Invalid,
            format!("is not a valid email address ({why})"),
        ))
    };
    let Ok(parsed) = value.parse::<email_address::EmailAddress>() else {
        return invalid("expected name@domain.tld");
    };
    let domain = parsed.domain();
    if domain.starts_with('[') {
        return invalid("IP address domains are not accepted");
    }
    if !domain.contains('.') || domain.ends_with('.') || domain.starts_with('.') {
        return invalid("the domain needs a dot, as in example.com");
    }
    Ok(value)
}

/// The key emails are compared by: case-insensitive on every database.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        let cases = [
            ("ann@example.com", true),
            ("  Ann.Lee+x@Example.co.uk ", true),
            ("ann@example", false),
            ("ann@", false),
            ("@example.com", false),
            ("ann example.com", false),
            ("ann@.com", false),
            ("", false),
        ];
        for (input, ok) in cases {
            assert_eq!(email("email", input, 128).is_ok(), ok, "{input:?}");
        }
        assert_eq!(
            email("email", " A@b.co ", 128).unwrap(),
            "A@b.co",
            "trimmed, case kept"
        );
    }

    #[test]
    fn lengths_count_characters() {
        assert!(required_text("firstName", &"é".repeat(32), 32).is_ok());
        let err = required_text("firstName", &"é".repeat(33), 32).unwrap_err();
        assert_eq!(err.code, UserErrorCode::TooLong);
        assert_eq!(err.field, vec!["firstName"]);
        let err = required_text("lastName", "   ", 32).unwrap_err();
        assert_eq!(err.code, UserErrorCode::Blank);
    }

    #[test]
    fn email_too_long() {
        let long = format!("{}@example.com", "a".repeat(120));
        let err = email("email", &long, 128).unwrap_err();
        assert_eq!(err.code, UserErrorCode::TooLong);
    }
}
