//! Parsing a pasted list of users in the seed-002 format
//! `First Last email;First Last email;...` into rows, with the three kinds
//! of problems the Admin Center shows:
//! - an entry that cannot be split (e.g. users separated by a comma instead
//!   of a semicolon) stays as text to fix;
//! - an entry split into values of which one is wrong (e.g. a domain with no
//!   dot) gives a row with the problem on that value;
//! - an entry only partly split (e.g. first and last name not separated)
//!   gives a row with a placeholder (null) for the missing value.

use async_graphql::{Enum, SimpleObject};

use crate::kernel::validation;

/// Longest first or last name, and email (seed 003).
pub const NAME_MAX: usize = 32;
pub const EMAIL_MAX: usize = 128;
/// Longest text `parseUserList` accepts (25,000 users of ~80 characters).
pub const TEXT_MAX: usize = 2_000_000;

/// The kinds of problems of a pasted user list.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserListProblemKind {
    /// The entry could not be split into name and email; its text is in
    /// `unparsed` for fixing.
    Unsplittable,
    /// A value was split out but is wrong (e.g. an email domain without a dot).
    InvalidValue,
    /// The entry was only partly split: a value is missing (null here).
    Partial,
}

/// A problem with one entry of a pasted list.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct UserListProblem {
    /// Position of the entry in the list (0-based).
    pub entry: i32,
    /// What kind of problem it is.
    pub kind: UserListProblemKind,
    /// The value concerned (`firstName`, `lastName`, `email`), if any.
    pub field: Option<String>,
    /// Explanation for a person.
    pub message: String,
    /// The entry as pasted.
    pub text: String,
}

/// One user split out of a pasted list. A null value is a placeholder for
/// a missing element.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct ParsedUser {
    /// Position of the entry in the list (0-based).
    pub entry: i32,
    /// First name; null when missing.
    pub first_name: Option<String>,
    /// Last name; null when missing.
    pub last_name: Option<String>,
    /// Email address; null when missing.
    pub email: Option<String>,
    /// Whether the row can be added as it is.
    pub valid: bool,
}

/// Result of `parseUserList`.
#[derive(SimpleObject, Clone, Debug, Default, PartialEq, Eq)]
pub struct UserListParse {
    /// Entries that could be split (fully or partly), in order.
    pub rows: Vec<ParsedUser>,
    /// Entries that could not be split, joined by `;`, to fix and parse again.
    pub unparsed: String,
    /// The problems found, in entry order.
    pub problems: Vec<UserListProblem>,
}

/// Parses a pasted list (entries separated by `;` or new lines).
pub fn parse(text: &str) -> UserListParse {
    let mut out = UserListParse::default();
    let mut unparsed = Vec::new();
    let entries = text
        .split([';', '\n', '\r'])
        .map(str::trim)
        .filter(|e| !e.is_empty());
    for (index, entry) in entries.enumerate() {
        let index = index as i32;
        let problem = |kind, field: Option<&str>, message: &str| UserListProblem {
            entry: index,
            kind,
            field: field.map(str::to_owned),
            message: message.to_owned(),
            text: entry.to_owned(),
        };
        let tokens: Vec<&str> = entry.split_whitespace().collect();
        let emails = tokens.iter().filter(|t| t.contains('@')).count();
        if emails > 1 || entry.contains(',') {
            out.problems.push(problem(
                UserListProblemKind::Unsplittable,
                None,
                "cannot be split into one user: separate users with a semicolon (;)",
            ));
            unparsed.push(entry.to_owned());
            continue;
        }
        let email = tokens
            .iter()
            .find(|t| t.contains('@'))
            .map(|t| t.to_string());
        let names: Vec<&str> = tokens
            .iter()
            .copied()
            .filter(|t| !t.contains('@'))
            .collect();
        let (first, last) = match names.as_slice() {
            [] => (None, None),
            [only] => (Some(only.to_string()), None),
            [first, rest @ ..] => (Some(first.to_string()), Some(rest.join(" "))),
        };
        let mut valid = true;
        if first.is_none() {
            valid = false;
            out.problems.push(problem(
                UserListProblemKind::Partial,
                Some("firstName"),
                "no name before the email",
            ));
        } else if last.is_none() {
            valid = false;
            out.problems.push(problem(
                UserListProblemKind::Partial,
                Some("lastName"),
                "first and last name are not separated by a space",
            ));
        }
        if email.is_none() {
            valid = false;
            out.problems.push(problem(
                UserListProblemKind::Partial,
                Some("email"),
                "no email address (name@domain.tld) in this entry",
            ));
        }
        for (field, value) in [("firstName", &first), ("lastName", &last)] {
            if let Some(Err(e)) = value
                .as_deref()
                .map(|v| validation::required_text(field, v, NAME_MAX))
            {
                valid = false;
                out.problems.push(problem(
                    UserListProblemKind::InvalidValue,
                    Some(field),
                    &e.message,
                ));
            }
        }
        if let Some(Err(e)) = email
            .as_deref()
            .map(|v| validation::email("email", v, EMAIL_MAX))
        {
            valid = false;
            out.problems.push(problem(
                UserListProblemKind::InvalidValue,
                Some("email"),
                &e.message,
            ));
        }
        out.rows.push(ParsedUser {
            entry: index,
            first_name: first,
            last_name: last,
            email,
            valid,
        });
    }
    out.unparsed = unparsed.join(";");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_list() {
        let parsed = parse("Juliette Aalund ja@example.com; Rory Abalos rory@example.com\nSammy van Zachs sz@example.co.uk;");
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.unparsed, "");
        let names: Vec<_> = parsed
            .rows
            .iter()
            .map(|r| (r.first_name.clone().unwrap(), r.last_name.clone().unwrap()))
            .collect();
        assert_eq!(names[2], ("Sammy".into(), "van Zachs".into()));
        assert!(parsed.rows.iter().all(|r| r.valid));
    }

    #[test]
    fn the_three_kinds_of_problems() {
        let parsed = parse(
            "Ann Lee ann@example.com, Bo Chan bo@example.com;\
             Cy Diaz cy@examplecom;\
             DanaEvans dana@example.com;\
             Eve Fox",
        );
        let kinds: Vec<_> = parsed
            .problems
            .iter()
            .map(|p| (p.entry, p.kind, p.field.clone()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (0, UserListProblemKind::Unsplittable, None),
                (1, UserListProblemKind::InvalidValue, Some("email".into())),
                (2, UserListProblemKind::Partial, Some("lastName".into())),
                (3, UserListProblemKind::Partial, Some("email".into())),
            ]
        );
        assert_eq!(
            parsed.unparsed,
            "Ann Lee ann@example.com, Bo Chan bo@example.com"
        );
        assert_eq!(parsed.rows.len(), 3, "the unsplittable entry is not a row");
        let dana = &parsed.rows[1];
        assert_eq!(dana.first_name.as_deref(), Some("DanaEvans"));
        assert_eq!(
            dana.last_name, None,
            "placeholder for the missing last name"
        );
        assert!(!dana.valid);
        assert!(parsed.problems[1].message.contains("dot"));
    }

    #[test]
    fn names_over_32_characters_are_wrong_values() {
        let parsed = parse(&format!("{} Lee a@example.com", "x".repeat(33)));
        assert_eq!(parsed.problems[0].kind, UserListProblemKind::InvalidValue);
        assert_eq!(parsed.problems[0].field.as_deref(), Some("firstName"));
    }
}
