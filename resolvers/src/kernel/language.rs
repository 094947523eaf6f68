//! The languages Roster speaks (seed 000), as a GraphQL enum. The first
//! fields took and returned them as lower-case strings (`"de"`); those
//! fields stay, deprecated, beside typed ones, so an input may name a
//! language either way.

use async_graphql::{Enum, MaybeUndefined};

use super::error::{UserError, UserErrorCode};
use super::validation::LOCALES;

/// A language of the product's mails, templates and portal.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Language {
    /// German (`de`).
    De,
    /// English (`en`).
    En,
    /// Spanish (`es`).
    Es,
    /// Portuguese (`pt`).
    Pt,
    /// French (`fr`).
    Fr,
    /// Italian (`it`).
    It,
}

impl Language {
    /// The code stored in the database and taken by the string fields.
    pub fn code(self) -> &'static str {
        match self {
            Language::De => "de",
            Language::En => "en",
            Language::Es => "es",
            Language::Pt => "pt",
            Language::Fr => "fr",
            Language::It => "it",
        }
    }

    /// The language of a code the database holds; rows written before the
    /// codes were checked fall back to English, as their mail does.
    pub fn stored(code: &str) -> Language {
        Language::from_code(code).unwrap_or(Language::En)
    }

    /// The language of a stored or given code, in any case, trimmed.
    pub fn from_code(code: &str) -> Option<Language> {
        match code.trim().to_ascii_lowercase().as_str() {
            "de" => Some(Language::De),
            "en" => Some(Language::En),
            "es" => Some(Language::Es),
            "pt" => Some(Language::Pt),
            "fr" => Some(Language::Fr),
            "it" => Some(Language::It),
            _ => None,
        }
    }
}

fn conflict(field: &str, legacy: &str) -> UserError {
    UserError::new(
        field,
        UserErrorCode::Invalid,
        format!("names another language than `{legacy}`: give one of the two"),
    )
}

/// The language code an input asks for, from its typed field (`field`) or
/// its deprecated string field (`legacy`), or an error when both are given
/// and differ. A string that is no language is passed on for the usual
/// validation to refuse.
pub fn pick(
    field: &str,
    typed: Option<Language>,
    legacy_field: &str,
    legacy: Option<String>,
) -> Result<Option<String>, UserError> {
    match (typed, legacy) {
        (Some(t), Some(l)) if Language::from_code(&l) != Some(t) => {
            Err(conflict(field, legacy_field))
        }
        (Some(t), _) => Ok(Some(t.code().to_owned())),
        (None, legacy) => Ok(legacy),
    }
}

/// `pick` for an update, where `null` clears the language.
pub fn pick_update(
    field: &str,
    typed: MaybeUndefined<Language>,
    legacy_field: &str,
    legacy: MaybeUndefined<String>,
) -> Result<MaybeUndefined<String>, UserError> {
    let legacy_clears = |l: &str| l.trim().is_empty();
    match (typed, legacy) {
        (MaybeUndefined::Undefined, legacy) => Ok(legacy),
        (MaybeUndefined::Null, MaybeUndefined::Value(l)) if !legacy_clears(&l) => {
            Err(conflict(field, legacy_field))
        }
        (MaybeUndefined::Null, _) => Ok(MaybeUndefined::Null),
        (MaybeUndefined::Value(t), MaybeUndefined::Value(l))
            if Language::from_code(&l) != Some(t) =>
        {
            Err(conflict(field, legacy_field))
        }
        (MaybeUndefined::Value(_), MaybeUndefined::Null) => Err(conflict(field, legacy_field)),
        (MaybeUndefined::Value(t), _) => Ok(MaybeUndefined::Value(t.code().to_owned())),
    }
}

/// The error for a code that is no language.
pub fn unknown(field: &str) -> UserError {
    UserError::new(
        field,
        UserErrorCode::Invalid,
        format!("must be one of {}", LOCALES.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_round_trips_through_its_code() {
        for code in LOCALES {
            let language = Language::from_code(code).expect(code);
            assert_eq!(language.code(), code);
        }
        assert_eq!(Language::from_code(" DE "), Some(Language::De));
        assert_eq!(Language::from_code("nl"), None);
    }

    #[test]
    fn the_typed_field_and_the_string_field_must_agree() {
        let pick =
            |t, l: Option<&str>| pick("preferredLanguage", t, "language", l.map(str::to_owned));
        assert_eq!(
            pick(Some(Language::Fr), None).unwrap().as_deref(),
            Some("fr")
        );
        assert_eq!(pick(None, Some("IT")).unwrap().as_deref(), Some("IT"));
        assert_eq!(
            pick(Some(Language::Fr), Some("fr")).unwrap().as_deref(),
            Some("fr")
        );
        assert_eq!(pick(None, None).unwrap(), None);
        let err = pick(Some(Language::Fr), Some("de")).unwrap_err();
        assert_eq!(err.field, vec!["preferredLanguage".to_string()]);
    }

    #[test]
    fn an_update_clears_with_null_on_either_field() {
        use MaybeUndefined::*;
        let pick = |t, l| pick_update("preferredLanguage", t, "locale", l);
        assert!(matches!(pick(Null, Undefined), Ok(Null)));
        assert!(matches!(pick(Null, Value(String::new())), Ok(Null)));
        assert!(matches!(pick(Undefined, Null), Ok(Null)));
        assert!(matches!(pick(Value(Language::Es), Undefined), Ok(Value(c)) if c == "es"));
        assert!(pick(Value(Language::Es), Null).is_err());
        assert!(pick(Null, Value("es".into())).is_err());
    }
}
