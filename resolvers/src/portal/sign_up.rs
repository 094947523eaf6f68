//! `portalSignUp` and `portalConfirmSignUp`: self-registration that does
//! not tell an anonymous caller which addresses are known.
//!
//! `portalSignUp` checks only the shape of its input, then answers the same
//! way whatever the address: a new address gets a confirmation link, an
//! address a customer already has gets a notice ("you already have an
//! account"), a denylisted address gets nothing. The customer is created
//! by `portalConfirmSignUp` with the link's token: whoever holds it owns
//! the mailbox, so from there on errors may name the address's state.

use async_graphql::{Context, InputObject, Object, ID};
use chrono::Utc;
use roster_entities::{account, customer::PortalAccess, portal_login, portal_sign_up};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{login::PortalSessionPayload, session};
use crate::{
    directory::customers::{
        self,
        validate::{self, CleanCustomer, CustomerDraft},
    },
    kernel::auth::{password, token},
    kernel::context::{AppState, ContextExt},
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::scope::Tenant,
    mail::{self, render::Placeholders},
};

/// Input of `portalSignUp`.
#[derive(InputObject)]
pub struct PortalSignUpInput {
    /// The account whose portal this is (`Account.id`).
    pub account_id: ID,
    /// The customer's first name.
    pub first_name: String,
    /// The customer's last name.
    pub last_name: String,
    /// The address the confirmation link is mailed to, and the customer's
    /// primary email once confirmed.
    pub email: String,
    /// At least 10 characters.
    pub password: String,
}

/// Input of `portalConfirmSignUp`.
#[derive(InputObject)]
pub struct PortalConfirmSignUpInput {
    /// The token of the link mailed by `portalSignUp`.
    pub token: String,
}

const CONFIRM_SUBJECT: &str = "Confirm your sign-up to the {{ account }} customer portal";
const CONFIRM_BODY: &str = "<p>Hello {{ name }},</p><p>Confirm your address to finish signing up to the {{ account }} customer portal: <a href=\"{{ link }}\">{{ link }}</a></p><p>The link expires on {{ expiry }}. If you did not sign up, ignore this mail.</p>";
const KNOWN_SUBJECT: &str = "Your {{ account }} customer portal account";
const KNOWN_BODY: &str = "<p>Hello {{ name }},</p><p>Someone asked to sign up to the {{ account }} customer portal with this address, which already has an account. Sign in with your password, or ask the help desk for access: <a href=\"{{ link }}\">{{ link }}</a></p><p>If it was not you, ignore this mail.</p>";

/// The account a portal input names. A malformed or unknown id is
/// NOT_FOUND.
pub(super) async fn account_of(
    db: &impl ConnectionTrait,
    id: &ID,
) -> Result<account::Model, ApiError> {
    let uuid =
        GlobalId::expect(id, NodeKind::Account).map_err(|_| ApiError::not_found("Account"))?;
    account::Entity::find_by_id(uuid)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Account"))
}

fn closed() -> ApiError {
    ApiError::Forbidden("This portal does not accept sign-ups; ask the help desk for access".into())
}

fn portal_link(state: &AppState, path: &str) -> String {
    format!(
        "{}/portal/{path}",
        state.mail.public_url.trim_end_matches('/')
    )
}

/// Queues the mail that answers a sign-up request for `clean`'s address:
/// a confirmation link (with a pending sign-up), a notice, or nothing.
async fn answer_request(
    db: &impl ConnectionTrait,
    state: &AppState,
    account: &account::Model,
    clean: &CleanCustomer,
    password_hash: String,
) -> Result<(), ApiError> {
    let now = Utc::now();
    let tenant = Tenant(account.id);
    tenant
        .delete_many::<portal_sign_up::Entity>()
        .filter(portal_sign_up::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let errors = customers::rules::check_addresses(db, account.id, clean, None).await?;
    let name = format!("{} {}", clean.first_name, clean.last_name);
    let name = name.trim();
    let ttl = chrono::Duration::from_std(state.mail.invitation_ttl).map_err(ApiError::internal)?;
    let mut values = Placeholders {
        name: name.to_owned(),
        account: account.name.clone(),
        link: String::new(),
        expiry: mail::expiry_text(now + ttl),
    };
    let message = match errors.first().map(|e| e.code) {
        Some(UserErrorCode::NotAllowed) => return Ok(()),
        Some(_) => {
            values.link = portal_link(state, "sign-in");
            mail::message(
                account.id,
                None,
                (&clean.email, name),
                (KNOWN_SUBJECT, KNOWN_BODY),
                &values,
            )?
        }
        None => {
            let secret = token::generate();
            // A new request for the address replaces its earlier links.
            tenant
                .delete_many::<portal_sign_up::Entity>()
                .filter(portal_sign_up::Column::EmailKey.eq(clean.email_key.as_str()))
                .exec(db)
                .await?;
            tenant
                .insert(portal_sign_up::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    account_id: NotSet,
                    token_hash: Set(token::digest(&secret)),
                    email: Set(clean.email.clone()),
                    email_key: Set(clean.email_key.clone()),
                    first_name: Set(clean.first_name.clone()),
                    last_name: Set(clean.last_name.clone()),
                    password_hash: Set(password_hash),
                    expires_at: Set(now + ttl),
                    created_at: Set(now),
                })
                .exec(db)
                .await?;
            values.link = format!("{}?token={secret}", portal_link(state, "confirm-sign-up"));
            mail::message(
                account.id,
                None,
                (&clean.email, name),
                (CONFIRM_SUBJECT, CONFIRM_BODY),
                &values,
            )?
        }
    };
    tenant.insert(message).exec(db).await?;
    Ok(())
}

#[derive(Default)]
pub struct PortalSignUpMutation;

#[Object]
impl PortalSignUpMutation {
    /// Asks to register a new customer on the account's portal. The answer
    /// does not depend on whether the address is known: on valid input it
    /// has no token and `confirmationSent` is true, and a link to
    /// `portalConfirmSignUp` is mailed to a new address (an address that
    /// already has an account gets a notice instead, a denylisted one
    /// nothing). FORBIDDEN when the account turned self-registration off;
    /// a malformed name, email or password is a user error.
    async fn portal_sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Who signs up, on which account's portal.")] input: PortalSignUpInput,
    ) -> ApiResult<PortalSessionPayload> {
        let db = ctx.db();
        let account = account_of(db, &input.account_id).await?;
        if !account.portal_self_registration {
            return Err(closed().into());
        }
        let draft = CustomerDraft {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            ..Default::default()
        };
        let mut errors = Vec::new();
        let clean = validate::validate(&draft)
            .map_err(|e| errors.extend(e))
            .ok();
        if let Err(e) = password::validate("password", &input.password) {
            errors.push(e);
        }
        let Some(clean) = clean.filter(|_| errors.is_empty()) else {
            return Ok(PortalSessionPayload::failed(errors));
        };
        // Each request mails the address: the sign-in limits keep a caller
        // from flooding one mailbox or sending from one address at length.
        crate::kernel::auth::check_sign_in(ctx, &clean.email).await?;
        crate::kernel::auth::count_failed_sign_in(ctx, &clean.email).await;
        let hash = password::hash_blocking(input.password).await?;
        let txn = db.begin().await?;
        answer_request(&txn, ctx.state(), &account, &clean, hash).await?;
        txn.commit().await?;
        ctx.state().outbox.notify_one();
        Ok(PortalSessionPayload {
            confirmation_sent: true,
            ..PortalSessionPayload::failed(Vec::new())
        })
    }

    /// Completes a sign-up with the token of the mailed link: creates the
    /// customer with STANDARD access and signs them in. An unknown, used or
    /// expired token is a user error (INVALID); so is an address that
    /// became taken or denylisted since the request.
    async fn portal_confirm_sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the mailed link.")] input: PortalConfirmSignUpInput,
    ) -> ApiResult<PortalSessionPayload> {
        let invalid = || {
            PortalSessionPayload::failed(vec![UserError::new(
                "token",
                UserErrorCode::Invalid,
                "this link is invalid or has expired; sign up again",
            )])
        };
        if !token::looks_valid(&input.token) {
            return Ok(invalid());
        }
        let db = ctx.db();
        let txn = db.begin().await?;
        // all accounts: the token hash alone identifies the pending sign-up
        let Some(pending) = portal_sign_up::Entity::find()
            .filter(portal_sign_up::Column::TokenHash.eq(token::digest(&input.token)))
            .one(&txn)
            .await?
        else {
            return Ok(invalid());
        };
        let tenant = Tenant(pending.account_id);
        // Single use: the row goes whatever happens next.
        tenant
            .delete_many::<portal_sign_up::Entity>()
            .filter(portal_sign_up::Column::Id.eq(pending.id))
            .exec(&txn)
            .await?;
        if pending.expires_at < Utc::now() {
            txn.commit().await?;
            return Ok(invalid());
        }
        let account = account::Entity::find_by_id(pending.account_id)
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::not_found("Account"))?;
        if !account.portal_self_registration {
            return Err(closed().into());
        }
        let draft = CustomerDraft {
            first_name: pending.first_name,
            last_name: pending.last_name,
            email: pending.email,
            ..Default::default()
        };
        let clean = validate::validate(&draft)
            .map_err(|_| ApiError::internal("a pending sign-up no longer passes validation"))?;
        let errors = customers::rules::check_addresses(&txn, account.id, &clean, None).await?;
        if !errors.is_empty() {
            txn.commit().await?;
            return Ok(PortalSessionPayload::failed(errors));
        }
        let now = Utc::now();
        let new = customers::write::NewCustomer {
            portal_access: PortalAccess::Standard,
            ..customers::write::NewCustomer::new(clean)
        };
        let id = new.id;
        let customer = match customers::write::insert_one(&txn, tenant, new, now).await {
            Ok(c) => c,
            Err(err) if is_unique_violation(&err) => {
                return Ok(PortalSessionPayload::failed(vec![UserError::new(
                    "email",
                    UserErrorCode::Taken,
                    "is already used by another customer",
                )]))
            }
            Err(err) => return Err(ApiError::from(err).into()),
        };
        tenant
            .insert(portal_login::ActiveModel {
                customer_id: Set(id),
                account_id: NotSet,
                password_hash: Set(pending.password_hash),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec(&txn)
            .await?;
        let (token, session) = session::start(&txn, ctx.state(), &customer).await?;
        txn.commit().await?;
        tracing::info!(customer_id = %id, account_id = %account.id, "portal sign-up");
        Ok(PortalSessionPayload::signed_in(token, session, customer))
    }
}
