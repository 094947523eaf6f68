//! Customer avatars (seed 000: "any image size ... scaled down
//! automatically"): uploaded with a GraphQL multipart request, cropped to a
//! square, scaled to at most 128 × 128, stored as PNG and served at
//! `/avatars/<token>.png`. The token is random and new for every upload.

use std::io::Read;

use async_graphql::{Context, Object, SimpleObject, Upload, ID};
use chrono::Utc;
use rand::RngCore;
use roster_entities::{customer, customer_avatar};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, NotSet,
    QueryFilter, Set, TransactionTrait,
};

use super::Customer;
use crate::kernel::permissions::Requires;
use crate::kernel::scope::Tenant;
use crate::{
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult, UserError, UserErrorCode},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::Permission,
};

/// Largest image file accepted.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;
/// Side of the stored square, in pixels.
pub const SIDE: u32 = 128;
/// Largest width or height decoded (guards against decompression bombs).
const MAX_DIMENSION: u32 = 12_000;

/// The URL path an avatar is served at.
pub fn url(token: &str) -> String {
    format!("/avatars/{token}.png")
}

/// Decodes an image (GIF, JPEG, PNG or WebP), crops it to a centred square
/// and scales it down to at most SIDE × SIDE, as PNG.
pub fn scale(bytes: &[u8]) -> Result<Vec<u8>, String> {
    super::picture::square_png(bytes, SIDE, MAX_DIMENSION)
}

/// The avatar with `token`: (content type, bytes).
pub async fn load(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<(String, Vec<u8>)>, ApiError> {
    // all accounts: an avatar is served by its random token, without a sign-in.
    Ok(customer_avatar::Entity::find_by_id(token.to_owned())
        .one(db)
        .await?
        .map(|a| (a.content_type, a.data)))
}

/// Result of `setCustomerAvatar` and `removeCustomerAvatar`.
#[derive(SimpleObject)]
pub struct CustomerAvatarPayload {
    /// The customer as saved; null when `userErrors` is not empty.
    pub customer: Option<Customer>,
    /// Problems with the input; when not empty, nothing was changed.
    pub user_errors: Vec<UserError>,
}

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Default)]
pub struct CustomerAvatarMutation;

#[Object]
impl CustomerAvatarMutation {
    /// Sets a customer's avatar from an uploaded image (GIF, JPEG, PNG or
    /// WebP, at most 5 MiB). It is cropped to a square and scaled down.
    #[graphql(guard = "Requires(Permission::EditCustomers)")]
    async fn set_customer_avatar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer whose avatar to set.")] customer_id: ID,
        #[graphql(
            desc = "The image, as a file of a GraphQL multipart request (GIF, JPEG, PNG or WebP, at most 5 MiB)."
        )]
        file: Upload,
    ) -> ApiResult<CustomerAvatarPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&customer_id, NodeKind::Customer)?;
        let existing = super::find(db, viewer.account_id, id).await?;
        let fail = |code, message: String| {
            Ok(CustomerAvatarPayload {
                customer: None,
                user_errors: vec![UserError::new("file", code, message)],
            })
        };
        let upload = file.value(ctx).map_err(|_| {
            ApiError::BadUserInput("the `file` upload is missing from the request".into())
        })?;
        let size = upload.size().map_err(ApiError::internal)?;
        if size > MAX_BYTES {
            return fail(
                UserErrorCode::LimitExceeded,
                format!("is {size} bytes; at most {MAX_BYTES} are accepted"),
            );
        }
        let mut content = upload.content;
        let scaled = tokio::task::spawn_blocking(move || {
            let mut bytes = Vec::with_capacity(size as usize);
            content.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
            scale(&bytes)
        })
        .await
        .map_err(ApiError::internal)?;
        let png = match scaled {
            Ok(png) => png,
            Err(why) => return fail(UserErrorCode::Invalid, why),
        };

        let token = new_token();
        let txn = db.begin().await?;
        Tenant(viewer.account_id)
            .delete_many::<customer_avatar::Entity>()
            .filter(customer_avatar::Column::CustomerId.eq(id))
            .exec(&txn)
            .await?;
        Tenant(viewer.account_id)
            .insert(customer_avatar::ActiveModel {
                token: Set(token.clone()),
                account_id: NotSet,
                customer_id: Set(id),
                content_type: Set("image/png".into()),
                data: Set(png),
                created_at: Set(Utc::now()),
            })
            .exec_with_returning(&txn)
            .await?;
        let mut row = existing.into_active_model();
        row.avatar_token = Set(Some(token));
        row.updated_at = Set(Utc::now());
        let customer = row.update(&txn).await?;
        txn.commit().await?;
        crate::kernel::history::note(
            ctx,
            "customer.set_avatar",
            "Customer",
            Some(customer.id),
            customer.email.clone(),
        )
        .await;
        Ok(CustomerAvatarPayload {
            customer: Some(Customer(customer)),
            user_errors: vec![],
        })
    }

    /// Removes a customer's avatar.
    #[graphql(guard = "Requires(Permission::EditCustomers)")]
    async fn remove_customer_avatar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer whose avatar to remove.")] customer_id: ID,
    ) -> ApiResult<CustomerAvatarPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let db = ctx.db();
        let id = GlobalId::expect(&customer_id, NodeKind::Customer)?;
        let existing = super::find(db, viewer.account_id, id).await?;
        let txn = db.begin().await?;
        Tenant(viewer.account_id)
            .delete_many::<customer_avatar::Entity>()
            .filter(customer_avatar::Column::CustomerId.eq(id))
            .exec(&txn)
            .await?;
        let mut row = existing.into_active_model();
        row.avatar_token = Set(None);
        row.updated_at = Set(Utc::now());
        let customer: customer::Model = row.update(&txn).await?;
        txn.commit().await?;
        crate::kernel::history::note(
            ctx,
            "customer.remove_avatar",
            "Customer",
            Some(customer.id),
            customer.email.clone(),
        )
        .await;
        Ok(CustomerAvatarPayload {
            customer: Some(Customer(customer)),
            user_errors: vec![],
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::ImageFormat;

    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image =
            image::RgbImage::from_fn(width, height, |x, _| image::Rgb([(x % 256) as u8, 10, 200]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn large_images_become_small_squares() {
        let scaled = scale(&png(640, 300)).unwrap();
        let decoded = image::load_from_memory(&scaled).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (SIDE, SIDE));
    }

    #[test]
    fn small_images_are_squared_not_enlarged() {
        let decoded = image::load_from_memory(&scale(&png(61, 80)).unwrap()).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (61, 61));
    }

    #[test]
    fn non_images_are_refused() {
        assert!(scale(b"hello, I am a text file").is_err());
        let mut truncated = png(100, 100);
        truncated.truncate(60);
        assert!(scale(&truncated).is_err());
    }
}
