//! The one validator of customer values, shared by the mutations and (later)
//! CSV import rows. It checks the values themselves; checks against the
//! database (uniqueness, denylist, company services) live in `rules.rs`.

use std::str::FromStr;

use crate::{
    kernel::error::{UserError, UserErrorCode},
    kernel::validation,
};

/// Longest value of a short text field (seed 000: "String can be up to 255").
pub const TEXT_MAX: usize = 255;
pub use crate::kernel::validation::LOCALES;

/// A customer's values as a client sent them.
#[derive(Clone, Debug, Default)]
pub struct CustomerDraft {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub email_aliases: Vec<String>,
    pub office_phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub other_phone: Option<String>,
    pub fax: Option<String>,
    pub address: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub notes: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
}

/// Values that passed validation: trimmed, empty optional values as `None`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CleanCustomer {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub email_key: String,
    /// (alias, its key), without duplicates, in the order given.
    pub email_aliases: Vec<(String, String)>,
    pub office_phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub other_phone: Option<String>,
    pub fax: Option<String>,
    pub address: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub notes: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
}

impl CleanCustomer {
    /// Lower-cased "last first": the key customers are sorted by name with.
    pub fn sort_name(&self) -> String {
        format!("{} {}", self.last_name, self.first_name)
            .trim()
            .to_lowercase()
    }
}

fn optional(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn optional_text(
    field: &str,
    value: &Option<String>,
    errors: &mut Vec<UserError>,
) -> Option<String> {
    let value = optional(value)?;
    match validation::max_len(field, &value, TEXT_MAX) {
        Ok(()) => Some(value),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// A phone or fax number. International numbers (`+` and a country code) are
/// checked against the numbering plan of that country; numbers written
/// without a country code are kept as entered if they look like a number.
pub fn phone(field: &str, value: &str) -> Result<String, UserError> {
    let value = value.trim();
    validation::max_len(field, value, TEXT_MAX)?;
    let invalid = |why: &str| {
        Err(UserError::new(
            field,
            UserErrorCode::Invalid,
            format!("is not a valid phone number ({why})"),
        ))
    };
    // "+1 555 0100 ext. 12" / "555-0100 x12": the extension is digits only.
    let lower = value.to_lowercase();
    let (number, extension) = match lower.find("ext").or_else(|| lower.find('x')) {
        Some(at) => (
            &lower[..at],
            lower[at..].trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '.'),
        ),
        None => (lower.as_str(), ""),
    };
    if !extension.trim().chars().all(|c| c.is_ascii_digit()) {
        return invalid("an extension has digits only");
    }
    if !number
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
    {
        return invalid("only digits, spaces and + - ( ) . / may be used");
    }
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if !(4..=20).contains(&digits) {
        return invalid("expected 4 to 20 digits");
    }
    if number.trim_start().starts_with('+') {
        match phonenumber::parse(None, number.trim()) {
            Ok(parsed) if phonenumber::is_valid(&parsed) => {}
            _ => return invalid("no such number in that country's numbering plan"),
        }
    }
    Ok(value.to_owned())
}

/// Checks every value and returns them cleaned, or every problem found.
pub fn validate(draft: &CustomerDraft) -> Result<CleanCustomer, Vec<UserError>> {
    let mut errors = Vec::new();
    let first_name = validation::required_text("firstName", &draft.first_name, TEXT_MAX)
        .unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        });
    let last_name = draft.last_name.trim().to_owned();
    if let Err(e) = validation::max_len("lastName", &last_name, TEXT_MAX) {
        errors.push(e);
    }
    let email = validation::email("email", &draft.email, TEXT_MAX).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    let email_key = validation::email_key(&email);

    let mut email_aliases: Vec<(String, String)> = Vec::new();
    for (i, alias) in draft.email_aliases.iter().enumerate() {
        if alias.trim().is_empty() {
            continue;
        }
        match validation::email(&format!("emailAliases.{i}"), alias, TEXT_MAX) {
            Ok(alias) => {
                let key = validation::email_key(&alias);
                if key == email_key {
                    errors.push(UserError::new(
                        &format!("emailAliases.{i}"),
                        UserErrorCode::Invalid,
                        "is the customer's own email",
                    ));
                } else if !email_aliases.iter().any(|(_, k)| *k == key) {
                    email_aliases.push((alias, key));
                }
            }
            Err(e) => errors.push(e),
        }
    }

    let mut phone_field = |field: &str, value: &Option<String>| -> Option<String> {
        let value = optional(value)?;
        match phone(field, &value) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    };
    let office_phone = phone_field("officePhone", &draft.office_phone);
    let mobile_phone = phone_field("mobilePhone", &draft.mobile_phone);
    let other_phone = phone_field("otherPhone", &draft.other_phone);
    let fax = phone_field("fax", &draft.fax);

    let address = optional_text("address", &draft.address, &mut errors);
    let job_title = optional_text("jobTitle", &draft.job_title, &mut errors);
    let department = optional_text("department", &draft.department, &mut errors);
    let notes = optional(&draft.notes);

    let time_zone = optional(&draft.time_zone);
    if let Some(tz) = &time_zone {
        if chrono_tz::Tz::from_str(tz).is_err() {
            errors.push(UserError::new(
                "timeZone",
                UserErrorCode::Invalid,
                format!("\"{tz}\" is not an IANA time zone (for example Europe/Berlin)"),
            ));
        }
    }
    let locale = optional(&draft.locale).map(|l| l.to_lowercase());
    if let Some(l) = &locale {
        if !LOCALES.contains(&l.as_str()) {
            errors.push(UserError::new(
                "locale",
                UserErrorCode::Invalid,
                format!(
                    "\"{l}\" is not a supported locale (one of {})",
                    LOCALES.join(", ")
                ),
            ));
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CleanCustomer {
        first_name,
        last_name,
        email,
        email_key,
        email_aliases,
        office_phone,
        mobile_phone,
        other_phone,
        fax,
        address,
        job_title,
        department,
        notes,
        time_zone,
        locale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> CustomerDraft {
        CustomerDraft {
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            email: "Ann@Example.com".into(),
            ..Default::default()
        }
    }

    fn codes(result: Result<CleanCustomer, Vec<UserError>>) -> Vec<(String, UserErrorCode)> {
        result
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field.join("."), e.code))
            .collect()
    }

    #[test]
    fn a_minimal_customer_is_valid() {
        let clean = validate(&draft()).unwrap();
        assert_eq!(clean.email_key, "ann@example.com");
        assert_eq!(clean.sort_name(), "lee ann");
        assert_eq!(clean.office_phone, None);
    }

    #[test]
    fn every_rule_reports_its_field() {
        type Case = (fn(&mut CustomerDraft), &'static str, UserErrorCode);
        let cases: Vec<Case> = vec![
            (
                |d| d.first_name = " ".into(),
                "firstName",
                UserErrorCode::Blank,
            ),
            (
                |d| d.first_name = "x".repeat(256),
                "firstName",
                UserErrorCode::TooLong,
            ),
            (
                |d| d.last_name = "x".repeat(256),
                "lastName",
                UserErrorCode::TooLong,
            ),
            (
                |d| d.email = "ann@example".into(),
                "email",
                UserErrorCode::Invalid,
            ),
            (|d| d.email = "".into(), "email", UserErrorCode::Blank),
            (
                |d| d.email_aliases = vec!["ok@example.com".into(), "bad".into()],
                "emailAliases.1",
                UserErrorCode::Invalid,
            ),
            (
                |d| d.email_aliases = vec!["ANN@example.com".into()],
                "emailAliases.0",
                UserErrorCode::Invalid,
            ),
            (
                |d| d.office_phone = Some("call me".into()),
                "officePhone",
                UserErrorCode::Invalid,
            ),
            (
                |d| d.mobile_phone = Some("+1 000".into()),
                "mobilePhone",
                UserErrorCode::Invalid,
            ),
            (|d| d.fax = Some("12".into()), "fax", UserErrorCode::Invalid),
            (
                |d| d.address = Some("x".repeat(256)),
                "address",
                UserErrorCode::TooLong,
            ),
            (
                |d| d.job_title = Some("x".repeat(256)),
                "jobTitle",
                UserErrorCode::TooLong,
            ),
            (
                |d| d.department = Some("x".repeat(256)),
                "department",
                UserErrorCode::TooLong,
            ),
            (
                |d| d.time_zone = Some("Mars/Olympus".into()),
                "timeZone",
                UserErrorCode::Invalid,
            ),
            (
                |d| d.locale = Some("nl".into()),
                "locale",
                UserErrorCode::Invalid,
            ),
        ];
        for (change, field, code) in cases {
            let mut d = draft();
            change(&mut d);
            assert_eq!(
                codes(validate(&d)),
                vec![(field.to_string(), code)],
                "{field}"
            );
        }
    }

    #[test]
    fn good_values_pass_and_are_normalised() {
        let mut d = draft();
        d.office_phone = Some(" +49 30 901820 ".into());
        d.mobile_phone = Some("(555) 123-4567".into());
        d.other_phone = Some("+1 415 555 2671 ext. 12".into());
        d.time_zone = Some("America/New_York".into());
        d.locale = Some("DE".into());
        d.notes = Some("x".repeat(10_000));
        d.email_aliases = vec!["a@b.co".into(), "A@B.co".into(), " ".into()];
        let clean = validate(&d).unwrap();
        assert_eq!(clean.office_phone.as_deref(), Some("+49 30 901820"));
        assert_eq!(clean.locale.as_deref(), Some("de"));
        assert_eq!(
            clean.email_aliases.len(),
            1,
            "duplicates and blanks dropped"
        );
    }
}
