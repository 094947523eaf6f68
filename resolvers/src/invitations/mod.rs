//! Invitations (seeds 000, 002, 003): listing them, resending and revoking
//! them, and accepting or declining one by its link. Creating them and
//! their mail is `mail`'s.

mod accept;
mod object;
mod query;

pub use crate::mail::InvitationKind;
pub use accept::AcceptInvitationMutation;
pub use object::{Invitation, InvitationStatus};
pub use query::{find_visible, InvitationMutation, InvitationQuery, InvitationSubscription};
