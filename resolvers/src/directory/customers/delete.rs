//! Deleting a customer: the row and its personal data go; with `denylist`,
//! the email is refused from then on (by hand, import and self-registration).

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{customer, customer_email, denylist_entry};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, NotSet, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    erasure,
    kernel::context::ContextExt,
    kernel::error::{ApiResult, UserError},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::{self, Permission},
};

/// Result of `deleteCustomer`.
#[derive(SimpleObject)]
pub struct DeleteCustomerPayload {
    /// Id of the deleted customer.
    pub deleted_customer_id: Option<ID>,
    /// Whether the email was put on the denylist.
    pub denylisted: bool,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CustomerDeleteMutation;

#[Object]
impl CustomerDeleteMutation {
    /// Deletes a customer and removes their personal data. Records that
    /// referred to them keep the row with blank person fields. With
    /// `denylist: true` their email also goes on the account's denylist.
    #[graphql(guard = "Requires(Permission::DeleteCustomers)")]
    async fn delete_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer to delete.")] id: ID,
        #[graphql(desc = "Also put the email on the denylist (default: false).")] denylist: Option<
            bool,
        >,
    ) -> ApiResult<DeleteCustomerPayload> {
        let denylist = denylist.unwrap_or(false);
        let viewer = crate::kernel::auth::viewer(ctx)?;
        if denylist {
            permissions::authorize(viewer, Permission::ManageDenylist)?;
        }
        let db = ctx.db();
        let uuid = GlobalId::expect(&id, NodeKind::Customer)?;
        let existing = super::find(db, viewer.account_id, uuid).await?;
        let txn = db.begin().await?;
        if denylist {
            let entry = denylist_entry::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                email_key: Set(existing.email_key.clone()),
                email: Set(existing.email.clone()),
                created_at: Set(Utc::now()),
            };
            let inserted = Tenant(viewer.account_id)
                .insert(entry)
                .on_conflict(
                    OnConflict::columns([
                        denylist_entry::Column::AccountId,
                        denylist_entry::Column::EmailKey,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec(&txn)
                .await;
            // Already denylisted: nothing to insert, which is fine.
            if let Err(err) = inserted {
                if !matches!(err, sea_orm::DbErr::RecordNotInserted) {
                    return Err(crate::ApiError::from(err).into());
                }
            }
        }
        let mut emails: Vec<String> = Tenant(viewer.account_id)
            .find::<customer_email::Entity>()
            .select_only()
            .column(customer_email::Column::Email)
            .filter(customer_email::Column::CustomerId.eq(uuid))
            .into_tuple()
            .all(&txn)
            .await?;
        emails.push(existing.email.clone());
        erasure::erase(
            &txn,
            &erasure::Person {
                account_id: viewer.account_id,
                id: uuid,
                emails,
                name: format!("{} {}", existing.first_name, existing.last_name),
            },
        )
        .await?;
        // Aliases and service access go with the row (ON DELETE CASCADE).
        Tenant(viewer.account_id)
            .delete_many::<customer::Entity>()
            .filter(customer::Column::Id.eq(uuid))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        crate::kernel::history::note(
            ctx,
            "customer.delete",
            "Customer",
            Some(uuid),
            erasure::ERASED,
        )
        .await;
        Ok(DeleteCustomerPayload {
            deleted_customer_id: Some(id),
            denylisted: denylist,
            user_errors: vec![],
        })
    }
}
