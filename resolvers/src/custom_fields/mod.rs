//! Account-defined customer fields (TEXT, NUMBER, DATE, CHOICE) and their
//! values. `canonical` is the one check of a value, shared by the customer
//! mutations and CSV import.

mod mutation;
mod object;
mod query;
pub mod values;

pub use mutation::CustomFieldMutation;
pub use object::{CustomField, CustomFieldKind, CustomFieldValue};
pub use query::CustomFieldQuery;

use roster_entities::custom_field::{self, Kind};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{kernel::error::ApiError, kernel::scope::Tenant};

/// Longest TEXT value and longest choice.
pub const TEXT_MAX: usize = 255;
/// Most fields an account may define.
pub const MAX_FIELDS: u64 = 100;

/// The field `id` of `account_id`, or NOT_FOUND.
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    id: Uuid,
) -> Result<custom_field::Model, ApiError> {
    Tenant(account_id)
        .find_by_id::<custom_field::Entity>(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Custom field"))
}

/// The choices of a CHOICE field.
pub fn choices(field: &custom_field::Model) -> Vec<String> {
    field
        .choices
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default()
}

/// The canonical text of `raw` for `field`, or why it does not fit.
pub fn canonical(field: &custom_field::Model, raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    match field.kind {
        Kind::Text => {
            let len = raw.chars().count();
            if len > TEXT_MAX {
                return Err(format!(
                    "is too long ({len} characters, at most {TEXT_MAX})"
                ));
            }
            Ok(raw.to_owned())
        }
        Kind::Number => match raw.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n.to_string()),
            _ => Err(format!("\"{raw}\" is not a number")),
        },
        Kind::Date => chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| format!("\"{raw}\" is not a date like 2026-11-23")),
        Kind::Choice => {
            let options = choices(field);
            options
                .iter()
                .find(|c| c.eq_ignore_ascii_case(raw))
                .cloned()
                .ok_or_else(|| format!("\"{raw}\" is not one of: {}", options.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn field(kind: Kind, choices: Option<&str>) -> custom_field::Model {
        custom_field::Model {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            name: "f".into(),
            name_key: "f".into(),
            kind,
            choices: choices.map(str::to_owned),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn values_by_kind() {
        let number = field(Kind::Number, None);
        assert_eq!(canonical(&number, " 12.50 ").unwrap(), "12.5");
        assert!(canonical(&number, "twelve").is_err());
        assert!(canonical(&number, "NaN").is_err());
        let date = field(Kind::Date, None);
        assert_eq!(canonical(&date, "2026-02-03").unwrap(), "2026-02-03");
        assert!(canonical(&date, "2026-02-30").is_err());
        assert!(canonical(&date, "03/02/2026").is_err());
        let choice = field(Kind::Choice, Some(r#"["Gold","Silver"]"#));
        assert_eq!(canonical(&choice, "gold").unwrap(), "Gold");
        assert!(canonical(&choice, "Bronze").is_err());
        let text = field(Kind::Text, None);
        assert!(canonical(&text, &"x".repeat(256)).is_err());
        assert_eq!(canonical(&text, " hi ").unwrap(), "hi");
    }
}
