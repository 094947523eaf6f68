//! Mail waiting to be handed over (SMTP or a `.eml` file). The body holds
//! the invitation link, so it is cleared once delivered.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub invitation_id: Option<Uuid>,
    pub to_email: String,
    pub to_name: String,
    pub subject: String,
    pub html: Option<String>,
    pub text: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: ChronoDateTimeUtc,
    /// A worker holds the message until then.
    pub claimed_until: Option<ChronoDateTimeUtc>,
    pub sent_at: Option<ChronoDateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
