use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use roster_entities::{product, product_feature, user_feature};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveModelTrait, ColumnTrait, IntoActiveModel, NotSet, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{seats, Product};
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{is_unique_violation, ApiError, ApiResult, UserError, UserErrorCode},
    kernel::history::{self, Entry},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::Permission,
    kernel::scope::name_taken,
    kernel::validation,
    staff::managers::{self, ManagerPermission},
    staff::users::User,
};

/// Most seats of one product.
pub const SEATS_MAX: i32 = 100_000;

/// A feature of a new product.
#[derive(InputObject)]
pub struct ProductFeatureInput {
    /// The feature's name (at most 255 characters).
    pub name: String,
    /// Whether a user holding the product has it unless switched off
    /// (default: true).
    #[graphql(default = true)]
    pub enabled_by_default: bool,
}

/// Input of `createProduct`.
#[derive(InputObject)]
pub struct CreateProductInput {
    /// Name, unique in the account (at most 255 characters).
    pub name: String,
    /// Seats bought, 0 to 100,000.
    pub seats: i32,
    /// The product's features (default: none).
    #[graphql(default)]
    pub features: Vec<ProductFeatureInput>,
}

/// Input of `updateProduct`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateProductInput {
    /// The product to change.
    pub id: ID,
    /// New name, unique in the account (at most 255 characters).
    pub name: Option<String>,
    /// At least the seats in use.
    pub seats: Option<i32>,
}

/// Input of `assignProducts` and `unassignProducts`.
#[derive(InputObject)]
pub struct AssignProductsInput {
    /// The users whose seats to change.
    pub user_ids: Vec<ID>,
    /// The products whose seats to give or free.
    pub product_ids: Vec<ID>,
}

/// Input of `setUserFeature`.
#[derive(InputObject)]
pub struct SetUserFeatureInput {
    /// The user.
    pub user_id: ID,
    /// The product feature to switch.
    pub feature_id: ID,
    /// Whether the feature is on for the user.
    pub enabled: bool,
}

/// Result of `createProduct` and `updateProduct`.
#[derive(SimpleObject)]
pub struct ProductPayload {
    /// The product as saved; null when `userErrors` is not empty.
    pub product: Option<Product>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `assignProducts` and `unassignProducts`.
#[derive(SimpleObject)]
pub struct AssignProductsPayload {
    /// The users, as they are now.
    pub users: Vec<User>,
    /// The products, with their seats now.
    pub products: Vec<Product>,
    /// Seats taken (or freed) by this call.
    pub changed_count: i32,
    /// Problems with the input, or a product short of seats; when not
    /// empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Result of `setUserFeature`.
#[derive(SimpleObject)]
pub struct SetUserFeaturePayload {
    /// The user, with the feature as switched.
    pub user: Option<User>,
    /// Problems with the input (none today; kept for a stable payload shape).
    pub user_errors: Vec<UserError>,
}

fn failed(e: UserError) -> ApiResult<ProductPayload> {
    Ok(ProductPayload {
        product: None,
        user_errors: vec![e],
    })
}

fn seats_error(seats: i32) -> Option<UserError> {
    (!(0..=SEATS_MAX).contains(&seats)).then(|| {
        UserError::new(
            "seats",
            UserErrorCode::Invalid,
            format!("must be between 0 and {SEATS_MAX}"),
        )
    })
}

#[derive(Default)]
pub struct ProductMutation;

#[Object]
impl ProductMutation {
    /// Adds a product with its seats and features (admins).
    #[graphql(guard = "Requires(Permission::ManageProducts)")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product to add.")] input: CreateProductInput,
    ) -> ApiResult<ProductPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let name = match validation::required_text("name", &input.name, 255) {
            Ok(n) => n,
            Err(e) => return failed(e),
        };
        if let Some(e) = seats_error(input.seats) {
            return failed(e);
        }
        let mut features = Vec::new();
        for (i, f) in input.features.iter().enumerate() {
            match validation::required_text(&format!("features.{i}.name"), &f.name, 255) {
                Ok(n) => features.push((n, f.enabled_by_default)),
                Err(e) => return failed(e),
            }
        }
        let key = name.to_lowercase();
        let taken = || {
            UserError::new(
                "name",
                UserErrorCode::Taken,
                "a product with this name already exists",
            )
        };
        if name_taken::<product::Entity>(db, viewer.account_id, &key, None).await? {
            return failed(taken());
        }
        let now = Utc::now();
        let txn = db.begin().await?;
        let inserted = Tenant(viewer.account_id)
            .insert(product::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                name: Set(name.clone()),
                name_key: Set(key),
                seats: Set(input.seats),
                seats_used: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_with_returning(&txn)
            .await;
        let product = match inserted {
            Ok(p) => p,
            Err(err) if is_unique_violation(&err) => return failed(taken()),
            Err(err) => return Err(ApiError::from(err).into()),
        };
        if !features.is_empty() {
            let rows = features
                .into_iter()
                .map(|(name, on)| product_feature::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    account_id: NotSet,
                    product_id: Set(product.id),
                    name: Set(name),
                    enabled_by_default: Set(on),
                });
            Tenant(viewer.account_id)
                .insert_many(rows)
                .exec(&txn)
                .await?;
        }
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok("product.create", "Product", product.id, name)
                .with_detail(format!("{} seats", input.seats))],
        )
        .await?;
        Ok(ProductPayload {
            product: Some(Product(product)),
            user_errors: Vec::new(),
        })
    }

    /// Renames a product or changes its number of seats (admins).
    #[graphql(guard = "Requires(Permission::ManageProducts)")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product and what to change.")] input: UpdateProductInput,
    ) -> ApiResult<ProductPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&input.id, NodeKind::Product)?;
        let existing = Tenant(viewer.account_id)
            .find_by_id::<product::Entity>(id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("Product"))?;
        let mut row = existing.clone().into_active_model();
        if let Some(name) = &input.name {
            match validation::required_text("name", name, 255) {
                Ok(n) => {
                    let key = n.to_lowercase();
                    if name_taken::<product::Entity>(db, viewer.account_id, &key, Some(id)).await? {
                        return failed(UserError::new(
                            "name",
                            UserErrorCode::Taken,
                            "a product with this name already exists",
                        ));
                    }
                    row.name = Set(n);
                    row.name_key = Set(key);
                }
                Err(e) => return failed(e),
            }
        }
        if let Some(seats) = input.seats {
            if let Some(e) = seats_error(seats) {
                return failed(e);
            }
        }
        row.updated_at = Set(Utc::now());
        let txn = db.begin().await?;
        if let Some(seats) = input.seats {
            // Checked by the write itself: a count read before it could be
            // stale by the time it lands (parallel assignments).
            let set = Tenant(viewer.account_id)
                .update_many::<product::Entity>()
                .col_expr(product::Column::Seats, Expr::value(seats))
                .filter(product::Column::Id.eq(id))
                .filter(product::Column::SeatsUsed.lte(seats))
                .exec(&txn)
                .await?;
            if set.rows_affected == 0 {
                txn.rollback().await?;
                let used = Tenant(viewer.account_id)
                    .find_by_id::<product::Entity>(id)
                    .one(db)
                    .await?
                    .map_or(existing.seats_used, |p| p.seats_used);
                return failed(UserError::new(
                    "seats",
                    UserErrorCode::Invalid,
                    format!("{used} seats are in use; free some first"),
                ));
            }
        }
        let product = row.update(&txn).await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![Entry::ok(
                "product.update",
                "Product",
                product.id,
                product.name.clone(),
            )
            .with_detail(format!("{} seats", product.seats))],
        )
        .await?;
        Ok(ProductPayload {
            product: Some(Product(product)),
            user_errors: Vec::new(),
        })
    }

    /// Gives users seats of products. All or nothing: when a product has
    /// fewer free seats than needed nothing changes, and the failure is in
    /// `userErrors` and in the activity history.
    async fn assign_products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The users and the products to give them seats of.")]
        input: AssignProductsInput,
    ) -> ApiResult<AssignProductsPayload> {
        change_seats(ctx, input, true).await
    }

    /// Frees users' seats of products.
    async fn unassign_products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The users and the products whose seats to free.")]
        input: AssignProductsInput,
    ) -> ApiResult<AssignProductsPayload> {
        change_seats(ctx, input, false).await
    }

    /// Switches a product feature on or off for one user.
    async fn set_user_feature(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user, the feature and its new state.")] input: SetUserFeatureInput,
    ) -> ApiResult<SetUserFeaturePayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        // The permission before the lookups (which would tell what exists).
        managers::scope(db, viewer, ManagerPermission::ManageOrganizerSettings).await?;
        let user_id = GlobalId::expect(&input.user_id, NodeKind::User)?;
        let user = crate::staff::users::find(db, viewer.account_id, user_id).await?;
        let feature_id = GlobalId::expect(&input.feature_id, NodeKind::ProductFeature)?;
        let feature = Tenant(viewer.account_id)
            .find_by_id::<product_feature::Entity>(feature_id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("ProductFeature"))?;
        managers::require(
            db,
            viewer,
            ManagerPermission::ManageOrganizerSettings,
            &[user.id],
            &[feature.product_id],
        )
        .await?;
        let txn = db.begin().await?;
        Tenant(viewer.account_id)
            .insert(user_feature::ActiveModel {
                account_id: NotSet,
                user_id: Set(user.id),
                feature_id: Set(feature.id),
                enabled: Set(input.enabled),
            })
            .on_conflict(
                OnConflict::columns([
                    user_feature::Column::UserId,
                    user_feature::Column::FeatureId,
                ])
                .update_column(user_feature::Column::Enabled)
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        history::commit(
            txn,
            ctx.state(),
            viewer,
            vec![
                Entry::ok("feature.set", "User", user.id, user.email.clone()).with_detail(format!(
                    "{} {}",
                    feature.name,
                    if input.enabled { "on" } else { "off" }
                )),
            ],
        )
        .await?;
        Ok(SetUserFeaturePayload {
            user: Some(User(user)),
            user_errors: Vec::new(),
        })
    }
}

async fn change_seats(
    ctx: &Context<'_>,
    input: AssignProductsInput,
    assign: bool,
) -> ApiResult<AssignProductsPayload> {
    let viewer = crate::kernel::auth::viewer(ctx)?;
    let db = ctx.db();
    let state = ctx.state();
    let fail = |e: UserError| {
        Ok(AssignProductsPayload {
            users: Vec::new(),
            products: Vec::new(),
            changed_count: 0,
            user_errors: vec![e],
        })
    };
    // The permission before the lookups (which would tell what exists).
    managers::scope(db, viewer, ManagerPermission::ManageSeats).await?;
    let users =
        match crate::staff::users::resolve(db, viewer.account_id, "userIds", &input.user_ids)
            .await?
        {
            Ok(u) => u,
            Err(e) => return fail(e),
        };
    let products =
        match super::resolve(db, viewer.account_id, "productIds", &input.product_ids).await? {
            Ok(p) => p,
            Err(e) => return fail(e),
        };
    let user_ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let product_ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    managers::require(
        db,
        viewer,
        ManagerPermission::ManageSeats,
        &user_ids,
        &product_ids,
    )
    .await?;
    let action = if assign {
        "products.assign"
    } else {
        "products.unassign"
    };
    let names: Vec<&str> = products.iter().map(|p| p.name.as_str()).collect();
    let txn = db.begin().await?;
    let changed = if assign {
        match seats::take(&txn, viewer.account_id, &user_ids, &products).await? {
            Ok(n) => n,
            Err(shortage) => {
                txn.rollback().await?;
                let message = shortage.message();
                history::record(
                    state,
                    viewer,
                    vec![Entry::failed(
                        action,
                        "Product",
                        shortage.product.clone(),
                        format!("{} users: {message}", users.len()),
                    )],
                )
                .await?;
                return fail(UserError::new(
                    "productIds",
                    UserErrorCode::LimitExceeded,
                    message,
                ));
            }
        }
    } else {
        seats::free(&txn, viewer.account_id, &user_ids, Some(&product_ids)).await?
    };
    history::commit(
        txn,
        state,
        viewer,
        users
            .iter()
            .map(|u| Entry::ok(action, "User", u.id, u.email.clone()).with_detail(names.join(", ")))
            .collect(),
    )
    .await?;
    let products = product_ids_now(ctx, viewer.account_id, &input.product_ids).await?;
    Ok(AssignProductsPayload {
        users: users.into_iter().map(User).collect(),
        products,
        changed_count: changed as i32,
        user_errors: Vec::new(),
    })
}

async fn product_ids_now(
    ctx: &Context<'_>,
    account_id: Uuid,
    ids: &[ID],
) -> Result<Vec<Product>, ApiError> {
    Ok(super::resolve(ctx.db(), account_id, "productIds", ids)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(Product)
        .collect())
}
