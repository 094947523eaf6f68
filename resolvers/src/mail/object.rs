use async_graphql::{Enum, Object, ID};
use chrono::{DateTime, Utc};
use roster_entities::email_template;

use crate::kernel::language::Language;
use crate::kernel::{
    error::ApiResult,
    ids::{GlobalId, NodeKind},
};

/// What an invitation is for (and which email template it is sent with).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "roster_entities::invitation::Kind")]
pub enum InvitationKind {
    /// A new staff user sets their password.
    Welcome,
    /// A customer activates their portal access.
    PortalActivation,
    /// A user of another account moves to this one.
    Transfer,
    /// An active staff user sets a new password (`requestPasswordReset`).
    PasswordReset,
}

/// A custom email template.
#[derive(Clone, Debug)]
pub struct EmailTemplate(pub email_template::Model);

/// A custom email template.
#[Object]
impl EmailTemplate {
    /// Globally unique, opaque identifier.
    pub async fn id(&self) -> ID {
        GlobalId {
            kind: NodeKind::EmailTemplate,
            id: self.0.id,
        }
        .into()
    }

    /// The kind of invitation the template is for.
    async fn kind(&self) -> ApiResult<InvitationKind> {
        Ok(super::templates::kind_of(&self.0.kind)?.into())
    }

    /// Language of the template.
    async fn template_language(&self) -> Language {
        Language::stored(&self.0.language)
    }

    /// Language of the template: de, en, es, pt, fr or it.
    #[graphql(
        deprecation = "Use `templateLanguage`: the same language as a `Language` enum value."
    )]
    async fn language(&self) -> &str {
        &self.0.language
    }

    /// Name, for staff choosing a template (at most 255 characters).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Subject, with placeholders.
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// HTML body, with placeholders `{{ name }}`, `{{ account }}`,
    /// `{{ link }}`, `{{ expiry }}`.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// When the template was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
