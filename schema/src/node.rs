//! Relay object identification: the `Node` interface and the `node` /
//! `nodes` queries. They know every feature's node type, so they live where
//! the features are composed. A new node type adds a `NodeKind` (in the
//! kernel's `ids`), a `Node` variant and an arm in `resolve`.

use async_graphql::{Context, Interface, Object, ID};

use roster_resolvers::{
    accounts::Account,
    activity::Activity,
    contacts::{self, Contact, ContactMethod},
    custom_fields::{self, CustomField},
    directory::companies::{self, Company},
    directory::customers::{self, Customer},
    directory::services::{self, PortalService, Service},
    imports::{self, ImportJob},
    incidents::{self, Incident, PortalIncident},
    invitations::Invitation,
    kernel::auth::{self, Auth},
    kernel::context::ContextExt,
    kernel::error::{ApiError, ApiResult},
    kernel::ids::{GlobalId, NodeKind},
    kernel::permissions::{self, Permission},
    kernel::scope::Tenant,
    mail::EmailTemplate,
    roles::CustomRole,
    scim::{self, ScimToken},
    staff::groups::{self, Group},
    staff::products::Product,
    staff::products::ProductFeature,
    staff::settings_templates::SettingsTemplate,
    staff::users::{self, User},
};

/// Most ids one `nodes` call accepts.
pub const MAX_NODES: usize = 100;

/// An object with a globally unique id that `node(id:)` can fetch.
// Variants hold the row itself; boxing them would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Globally unique, opaque identifier."))]
pub enum Node {
    Account(Account),
    Activity(Activity),
    EmailTemplate(EmailTemplate),
    Invitation(Invitation),
    ProductFeature(ProductFeature),
    Company(Company),
    CustomRole(CustomRole),
    Group(Group),
    Product(Product),
    SettingsTemplate(SettingsTemplate),
    Contact(Contact),
    ContactMethod(ContactMethod),
    CustomField(CustomField),
    Customer(Customer),
    ImportJob(ImportJob),
    Incident(Incident),
    Service(Service),
    ScimToken(ScimToken),
    User(User),
    /// What a portal session fetches: its own view of an incident or a
    /// service (same global id as the staff object).
    PortalIncident(PortalIncident),
    PortalService(PortalService),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id. NOT_FOUND when it does not exist
    /// or belongs to another account. A portal session fetches the
    /// incidents it may see (as `PortalIncident`) and the services it may
    /// submit on (as `PortalService`); anything else is NOT_FOUND to it.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's global id.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        Ok(Some(resolve(ctx, &id).await?))
    }

    /// Fetches up to 100 objects by global id, in the order given; an id that
    /// does not exist or is out of the caller's reach gives `null` at its
    /// place (any other failure fails the whole field).
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The objects' global ids (at most 100).")] ids: Vec<ID>,
    ) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::LimitExceeded(format!(
                "nodes accepts at most {MAX_NODES} ids, got {}",
                ids.len()
            ))
            .into());
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            match resolve(ctx, id).await {
                Ok(node) => out.push(Some(node)),
                Err(ApiError::NotFound(_)) => out.push(None),
                Err(err) => return Err(err.into()),
            }
        }
        Ok(out)
    }
}

async fn resolve(ctx: &Context<'_>, id: &ID) -> Result<Node, ApiError> {
    if let Auth::Customer(_) = &ctx.request().auth {
        return resolve_for_portal(ctx, id).await;
    }
    let viewer = auth::viewer(ctx)?;
    let gid = GlobalId::decode(id)?;
    match gid.kind {
        NodeKind::Account => {
            if gid.id != viewer.account_id {
                return Err(ApiError::not_found("Account"));
            }
            let account = roster_resolvers::kernel::loaders::of(ctx)
                .get::<roster_resolvers::accounts::AccountLoader>()
                .load_one(gid.id)
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::not_found("Account"))?;
            Ok(Node::Account(Account(account)))
        }
        NodeKind::Company => Ok(Node::Company(Company(
            companies::find(ctx.db(), viewer.account_id, gid.id).await?,
        ))),
        NodeKind::Group => Ok(Node::Group(Group(
            groups::find(ctx.db(), viewer.account_id, gid.id).await?,
        ))),
        NodeKind::Product => {
            let row = Tenant(viewer.account_id)
                .find_by_id::<roster_entities::product::Entity>(gid.id)
                .one(ctx.db())
                .await?
                .ok_or_else(|| ApiError::not_found("Product"))?;
            Ok(Node::Product(Product(row)))
        }
        NodeKind::CustomRole => {
            let row = Tenant(viewer.account_id)
                .find_by_id::<roster_entities::custom_role::Entity>(gid.id)
                .one(ctx.db())
                .await?
                .ok_or_else(|| ApiError::not_found("CustomRole"))?;
            Ok(Node::CustomRole(CustomRole(row)))
        }
        NodeKind::SettingsTemplate => {
            let row = Tenant(viewer.account_id)
                .find_by_id::<roster_entities::settings_template::Entity>(gid.id)
                .one(ctx.db())
                .await?
                .ok_or_else(|| ApiError::not_found("SettingsTemplate"))?;
            Ok(Node::SettingsTemplate(SettingsTemplate(row)))
        }
        NodeKind::Activity => Ok(Node::Activity(Activity(
            roster_resolvers::activity::find(ctx, gid.id).await?,
        ))),
        NodeKind::Invitation => Ok(Node::Invitation(Invitation(
            roster_resolvers::invitations::find_visible(ctx, id).await?,
        ))),
        NodeKind::EmailTemplate => {
            let row = Tenant(viewer.account_id)
                .find_by_id::<roster_entities::email_template::Entity>(gid.id)
                .one(ctx.db())
                .await?
                .ok_or_else(|| ApiError::not_found("EmailTemplate"))?;
            Ok(Node::EmailTemplate(EmailTemplate(row)))
        }
        NodeKind::ProductFeature => {
            let row = Tenant(viewer.account_id)
                .find_by_id::<roster_entities::product_feature::Entity>(gid.id)
                .one(ctx.db())
                .await?
                .ok_or_else(|| ApiError::not_found("ProductFeature"))?;
            Ok(Node::ProductFeature(ProductFeature(row)))
        }
        NodeKind::Contact => Ok(Node::Contact(Contact(
            contacts::find(ctx.db(), viewer.account_id, gid.id).await?,
        ))),
        NodeKind::ContactMethod => {
            let method = Tenant(viewer.account_id)
                .find_by_id::<roster_entities::contact_method::Entity>(gid.id)
                .one(ctx.db())
                .await?
                .ok_or_else(|| ApiError::not_found("ContactMethod"))?;
            Ok(Node::ContactMethod(ContactMethod(method)))
        }
        NodeKind::Incident => {
            permissions::require(ctx, Permission::ManageIncidents)?;
            Ok(Node::Incident(Incident(
                incidents::find(ctx.db(), viewer.account_id, gid.id).await?,
            )))
        }
        NodeKind::CustomField => Ok(Node::CustomField(CustomField(
            custom_fields::find(ctx.db(), viewer.account_id, gid.id).await?,
        ))),
        NodeKind::Customer => Ok(Node::Customer(Customer(
            customers::find(ctx.db(), viewer.account_id, gid.id).await?,
        ))),
        NodeKind::ImportJob => {
            imports::may_import(ctx.db(), viewer).await?;
            let job = imports::find(ctx.db(), viewer.account_id, gid.id).await?;
            imports::authorize(ctx.db(), viewer, &job).await?;
            Ok(Node::ImportJob(ImportJob(job)))
        }
        NodeKind::Service => Ok(Node::Service(Service(
            services::find(ctx.db(), viewer.account_id, gid.id).await?,
        ))),
        NodeKind::ScimToken => Ok(Node::ScimToken(
            scim::tokens::find(ctx.db(), viewer, gid.id).await?,
        )),
        NodeKind::User => {
            let user = users::find(ctx.db(), viewer.account_id, gid.id).await?;
            Ok(Node::User(User(user)))
        }
    }
}

/// `node` for a portal session: the portal's views, within its reach.
async fn resolve_for_portal(ctx: &Context<'_>, id: &ID) -> Result<Node, ApiError> {
    let viewer = auth::portal_viewer(ctx)?;
    let gid = GlobalId::decode(id)?;
    match gid.kind {
        NodeKind::Incident => Ok(Node::PortalIncident(PortalIncident(
            incidents::visible_incident(ctx, viewer, id).await?,
        ))),
        NodeKind::Service => {
            let service = incidents::access::submittable_services(ctx.db(), viewer)
                .await?
                .into_iter()
                .find(|s| s.id == gid.id)
                .ok_or_else(|| ApiError::not_found("Service"))?;
            Ok(Node::PortalService(PortalService(service)))
        }
        _ => Err(ApiError::not_found("object")),
    }
}
