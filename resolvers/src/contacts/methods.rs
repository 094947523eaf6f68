//! Validation of contact methods: email syntax, and phone numbers (for calls
//! and text messages) in international form, stored in E.164.

use phonenumber::Mode;
use roster_entities::contact_method::MethodKind;

use crate::{
    kernel::error::{UserError, UserErrorCode},
    kernel::validation,
};

/// Longest stored value.
pub const VALUE_MAX: usize = 255;

/// The cleaned value of a method of `kind`, or why it is refused.
pub fn clean(field: &str, kind: MethodKind, value: &str) -> Result<String, UserError> {
    match kind {
        MethodKind::Email => validation::email(field, value, VALUE_MAX),
        MethodKind::Sms | MethodKind::Phone => e164(field, value),
    }
}

/// A phone number with its country code, as E.164 (`+442079460958`).
pub fn e164(field: &str, value: &str) -> Result<String, UserError> {
    let value = validation::required_text(field, value, VALUE_MAX)?;
    let invalid = |why: &str| {
        Err(UserError::new(
            field,
            UserErrorCode::Invalid,
            format!("is not a valid phone number ({why})"),
        ))
    };
    if !value.starts_with('+') && !value.starts_with("00") {
        return invalid("start with + and the country code, as in +44 20 7946 0958");
    }
    let international = match value.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => value,
    };
    match phonenumber::parse(None, &international) {
        Ok(number) if phonenumber::is_valid(&number) => {
            Ok(phonenumber::format(&number).mode(Mode::E164).to_string())
        }
        Ok(_) => invalid("no such number in that country's numbering plan"),
        Err(_) => invalid("expected digits after the country code"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_become_e164() {
        let ok = [
            ("+44 20 7946 0958", "+442079460958"),
            ("+1 (415) 555-2671", "+14155552671"),
            ("0049 30 901820", "+4930901820"),
        ];
        for (input, stored) in ok {
            assert_eq!(e164("value", input).unwrap(), stored, "{input}");
        }
        for bad in [
            "020 7946 0958",
            "+44 12",
            "+999 123456",
            "call me",
            "",
            "+1 415 555 26719999",
        ] {
            let err = e164("value", bad).unwrap_err();
            assert!(
                matches!(err.code, UserErrorCode::Invalid | UserErrorCode::Blank),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            clean("value", MethodKind::Email, " ann@example.com ").unwrap(),
            "ann@example.com"
        );
        assert!(clean("value", MethodKind::Email, "ann@example").is_err());
        assert!(clean("value", MethodKind::Sms, "ann@example.com").is_err());
    }
}
