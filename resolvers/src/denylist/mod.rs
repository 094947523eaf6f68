//! The account's email denylist: addresses that can no longer become
//! customers (seed 000 "Delete & Denylist").

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use roster_entities::denylist_entry;
use sea_orm::{sea_query::OnConflict, ColumnTrait, NotSet, QueryFilter, Set};
use uuid::Uuid;

use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError},
    kernel::pagination::{self, Page, PageArgs, Sort, SortValue},
    kernel::permissions::Permission,
    kernel::validation,
};

/// An address on the denylist.
#[derive(Clone, Debug)]
pub struct DenylistEntry(pub denylist_entry::Model);

/// An address on the denylist.
#[Object]
impl DenylistEntry {
    /// The address, as it was when denylisted.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// When it was denylisted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Input of `addToDenylist` and `removeFromDenylist`.
#[derive(InputObject)]
pub struct DenylistInput {
    /// The email address (case does not matter).
    pub email: String,
}

/// Result of `addToDenylist` and `removeFromDenylist`.
#[derive(SimpleObject)]
pub struct DenylistPayload {
    /// The address concerned.
    pub email: Option<String>,
    /// Whether the denylist changed (false when it already was / was not there).
    pub changed: bool,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct DenylistQuery;

#[Object]
impl DenylistQuery {
    /// Addresses that cannot become customers, by address.
    #[graphql(
        complexity = "crate::kernel::pagination::cost(first, last, child_complexity)",
        guard = "Requires(Permission::ManageDenylist)"
    )]
    async fn denylist(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first n items (at most 100; the first 20 when neither `first` nor `last` is given). Cannot be combined with `last`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Returns the items after this cursor (an edge's `cursor` or `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Returns the last n items (at most 100). Cannot be combined with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Returns the items before this cursor (an edge's `cursor` or `pageInfo.startCursor`)."
        )]
        before: Option<String>,
        #[graphql(desc = "Only addresses containing this text.")] keyword: Option<String>,
    ) -> ApiResult<Page<DenylistEntry>> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let mut select = Tenant(viewer.account_id).find::<denylist_entry::Entity>();
        if let Some(keyword) = keyword.filter(|k| !k.trim().is_empty()) {
            select = select.filter(pagination::contains(
                denylist_entry::Column::EmailKey,
                &keyword,
            ));
        }
        let sort = Sort {
            column: denylist_entry::Column::EmailKey,
            id: denylist_entry::Column::Id,
            reverse: false,
            // Unique in the account (a unique index serves the order).
            unique: true,
            key: |e: &denylist_entry::Model| (SortValue::Text(e.email_key.clone()), e.id),
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(pagination::paginate(ctx.db(), select, sort, args, DenylistEntry).await?)
    }
}

#[derive(Default)]
pub struct DenylistMutation;

#[Object]
impl DenylistMutation {
    /// Puts an address on the denylist.
    #[graphql(guard = "Requires(Permission::ManageDenylist)")]
    async fn add_to_denylist(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address to put on the denylist.")] input: DenylistInput,
    ) -> ApiResult<DenylistPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let email = match validation::email("email", &input.email, 255) {
            Ok(e) => e,
            Err(e) => {
                return Ok(DenylistPayload {
                    email: None,
                    changed: false,
                    user_errors: vec![e],
                })
            }
        };
        let entry = denylist_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: NotSet,
            email_key: Set(validation::email_key(&email)),
            email: Set(email.clone()),
            created_at: Set(Utc::now()),
        };
        let changed = match Tenant(viewer.account_id)
            .insert(entry)
            .on_conflict(
                OnConflict::columns([
                    denylist_entry::Column::AccountId,
                    denylist_entry::Column::EmailKey,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec(ctx.db())
            .await
        {
            Ok(_) => true,
            Err(sea_orm::DbErr::RecordNotInserted) => false,
            Err(err) => return Err(ApiError::from(err).into()),
        };
        crate::kernel::history::note(ctx, "denylist.add", "Denylist", None, email.clone()).await;
        Ok(DenylistPayload {
            email: Some(email),
            changed,
            user_errors: vec![],
        })
    }

    /// Takes an address off the denylist, so it can become a customer again.
    #[graphql(guard = "Requires(Permission::ManageDenylist)")]
    async fn remove_from_denylist(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address to take off the denylist.")] input: DenylistInput,
    ) -> ApiResult<DenylistPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let key = validation::email_key(&input.email);
        let result = Tenant(viewer.account_id)
            .delete_many::<denylist_entry::Entity>()
            .filter(denylist_entry::Column::EmailKey.eq(key))
            .exec(ctx.db())
            .await?;
        crate::kernel::history::note(
            ctx,
            "denylist.remove",
            "Denylist",
            None,
            input.email.trim().to_owned(),
        )
        .await;
        Ok(DenylistPayload {
            email: Some(input.email.trim().to_owned()),
            changed: result.rows_affected > 0,
            user_errors: vec![],
        })
    }
}
