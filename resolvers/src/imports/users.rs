//! Staff user imports (seed 002's fields: first_name, last_name, email,
//! extension) through the shared pipeline: the same job, preview, confirm,
//! progress and resume as customer imports. What every imported user gets
//! (role, products, groups, template, language) is chosen when the import
//! starts; seats are taken for every row at once when writing starts, so a
//! shortage imports nobody.

use std::collections::{HashMap, HashSet};

use async_graphql::{Context, InputObject, Object, Upload, ID};
use chrono::Utc;
use roster_entities::{
    import_job,
    import_row::{self, Action},
    product,
    user::{self, Role, Status},
    user_product,
};
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    control::{self, ImportJobPayload},
    csv_file::{self, Columns, Format},
    object::ImportIssue,
    worker::{issue, Checked, Kind, RowCheck, Written},
};
use crate::kernel::language::{self, Language};
use crate::kernel::scope::Tenant;
use crate::{
    kernel::bulk::{self, OnDuplicate},
    kernel::context::{AppState, ContextExt},
    kernel::error::{ApiError, ApiResult, UserErrorCode},
    kernel::history::{self, Entry},
    staff::users::{add, extension, write, UserRole, USERS_MAX},
};

/// `import_job.kind` of user imports.
pub const KIND: &str = "USERS";

/// What every imported user gets.
#[derive(InputObject, Clone, Debug)]
pub struct UserImportOptions {
    /// The users' role (default: MEMBER).
    #[graphql(default_with = "UserRole::Member")]
    pub role: UserRole,
    /// A custom role for the users; needs the MANAGE_ROLES permission.
    pub custom_role_id: Option<ID>,
    /// Products to give every user a seat of (default: none); seats are
    /// taken for every row when writing starts, so a shortage imports nobody.
    #[graphql(default)]
    pub product_ids: Vec<ID>,
    /// Groups to put every user in (default: none). A manager whose
    /// permission covers only some groups must name only those.
    #[graphql(default)]
    pub group_ids: Vec<ID>,
    /// The users' settings template; omitted, the account's default applies.
    pub settings_template_id: Option<ID>,
    /// The users' language (default: EN).
    pub preferred_language: Option<Language>,
    /// The users' language: de, en, es, pt, fr or it (default: en).
    #[graphql(
        deprecation = "Use `preferredLanguage`: the same language as a `Language` enum value."
    )]
    pub language: Option<String>,
}

impl Default for UserImportOptions {
    fn default() -> Self {
        UserImportOptions {
            role: UserRole::Member,
            custom_role_id: None,
            product_ids: Vec::new(),
            group_ids: Vec::new(),
            settings_template_id: None,
            preferred_language: None,
            language: None,
        }
    }
}

/// The options as stored with the job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredUserOptions {
    pub role: String,
    pub custom_role_id: Option<Uuid>,
    pub product_ids: Vec<Uuid>,
    pub group_ids: Vec<Uuid>,
    pub template_id: Option<Uuid>,
    pub language: String,
}

impl StoredUserOptions {
    fn role(&self) -> Role {
        match self.role.as_str() {
            "SUPER_ADMIN" => Role::SuperAdmin,
            "ADMIN" => Role::Admin,
            _ => Role::Member,
        }
    }
}

pub struct UserRowCheck;

impl RowCheck for UserRowCheck {
    type Row = write::Values;

    fn check(
        &self,
        columns: &Columns,
        _header: &csv::StringRecord,
        record: &csv::StringRecord,
        _present: &[String],
    ) -> Result<write::Values, Vec<ImportIssue>> {
        let get = |c: &str| columns.get(record, c).unwrap_or_default();
        // The CSV's column for each of the checker's fields.
        let column = |field: &str| {
            match field {
                "firstName" => "first_name",
                "lastName" => "last_name",
                other => other,
            }
            .to_owned()
        };
        let extension = match get("extension").trim() {
            "" => None,
            text => match text.parse::<i32>() {
                Ok(e) => Some(e),
                Err(_) => {
                    return Err(vec![issue(
                        "extension",
                        UserErrorCode::Invalid,
                        "is not a number",
                    )])
                }
            },
        };
        write::check(
            get("first_name"),
            get("last_name"),
            get("email"),
            extension,
            column,
        )
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|e| issue(&e.field.join("."), e.code, e.message))
                .collect()
        })
    }
}

/// A user import in progress: what earlier rows used, and room left.
pub struct Users {
    emails: HashMap<String, i64>,
    extensions: HashMap<i32, i64>,
    taken_extensions: HashSet<i32>,
    /// Users the account will have once the rows so far are written.
    count: u64,
}

impl Kind for Users {
    type Check = UserRowCheck;
    const FORMAT: &'static Format = &csv_file::USERS;

    async fn prepare(
        state: &AppState,
        job: &import_job::Model,
    ) -> Result<(Self, UserRowCheck), ApiError> {
        let count = Tenant(job.account_id)
            .find::<user::Entity>()
            .count(&state.db)
            .await?;
        let taken_extensions = extension::taken(&state.db, job.account_id).await?;
        Ok((
            Users {
                emails: HashMap::new(),
                extensions: HashMap::new(),
                taken_extensions,
                count,
            },
            UserRowCheck,
        ))
    }

    async fn check_chunk(
        &mut self,
        db: &DatabaseConnection,
        job: &import_job::Model,
        chunk: Vec<Checked<write::Values>>,
    ) -> Result<Vec<import_row::ActiveModel>, ApiError> {
        let keys: Vec<String> = chunk
            .iter()
            .filter_map(|c| c.result.as_ref().ok())
            .map(|r| r.email_key.clone())
            .collect();
        // Emails sign in: unique across accounts.
        // all accounts: emails sign in, so an address is unique across accounts.
        let existing: HashMap<String, Uuid> = user::Entity::find()
            .select_only()
            .column(user::Column::EmailKey)
            .column(user::Column::AccountId)
            .filter(user::Column::EmailKey.is_in(keys))
            .into_tuple::<(String, Uuid)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let mut rows = Vec::with_capacity(chunk.len());
        for checked in chunk {
            let (action, data, issues) = match checked.result {
                Err(issues) => (Action::Error, None, issues),
                Ok(row) => {
                    let mut issues = Vec::new();
                    if let Some(first) = self.emails.get(&row.email_key) {
                        issues.push(issue(
                            "email",
                            UserErrorCode::Taken,
                            format!("duplicate of row {first} (same email); only row {first} is imported"),
                        ));
                    } else if existing.get(&row.email_key) == Some(&job.account_id) {
                        issues.push(issue(
                            "email",
                            UserErrorCode::Taken,
                            "is already a user of this account",
                        ));
                    }
                    // A user of another account gets a transfer invitation,
                    // as with addUsers (decided again when the row is written).
                    if let Some(e) = row.extension {
                        if self.taken_extensions.contains(&e) {
                            issues.push(issue(
                                "extension",
                                UserErrorCode::Taken,
                                format!("{e} is another user's extension"),
                            ));
                        } else if let Some(first) = self.extensions.get(&e) {
                            issues.push(issue(
                                "extension",
                                UserErrorCode::Taken,
                                format!("{e} is also row {first}'s"),
                            ));
                        }
                    }
                    if issues.is_empty() && self.count >= USERS_MAX {
                        issues.push(issue(
                            "",
                            UserErrorCode::LimitExceeded,
                            format!("an account has at most {USERS_MAX} users"),
                        ));
                    }
                    if issues.is_empty() {
                        self.emails
                            .insert(row.email_key.clone(), checked.row_number);
                        if let Some(e) = row.extension {
                            self.extensions.insert(e, checked.row_number);
                        }
                        self.count += 1;
                        (Action::Create, Some(row), issues)
                    } else {
                        (Action::Error, None, issues)
                    }
                }
            };
            rows.push(import_row::ActiveModel {
                job_id: Set(job.id),
                row_number: Set(checked.row_number),
                action: Set(action),
                data: Set(data.map(|d| serde_json::to_string(&d).unwrap_or_default())),
                issues: Set(serde_json::to_string(&issues).unwrap_or_else(|_| "[]".into())),
            });
        }
        Ok(rows)
    }

    const CONCURRENT_BATCHES: bool = false;

    /// The rows' values.
    type Batch = Vec<write::Values>;

    fn parse(rows: Vec<import_row::Model>) -> Self::Batch {
        rows.iter()
            .filter_map(|r| r.data.as_deref().and_then(|d| serde_json::from_str(d).ok()))
            .collect()
    }

    async fn prepare_batch(
        _db: &DatabaseConnection,
        _job: &import_job::Model,
        _batch: &Self::Batch,
    ) -> Result<(), ApiError> {
        Ok(())
    }

    async fn before_writing(
        txn: &DatabaseTransaction,
        job: &import_job::Model,
    ) -> Result<Result<(), String>, ApiError> {
        let options: StoredUserOptions =
            serde_json::from_str(&job.options).map_err(ApiError::internal)?;
        // The limit as `addUsers` holds it: under the account's lock.
        crate::kernel::locks::account(txn, job.account_id).await?;
        let count = Tenant(job.account_id)
            .find::<user::Entity>()
            .count(txn)
            .await?;
        if count + job.to_create.max(0) as u64 > USERS_MAX {
            return Ok(Err(format!(
                "an account has at most {USERS_MAX} users: it has {count}, {} more would be {}; nothing was imported",
                job.to_create,
                count + job.to_create.max(0) as u64
            )));
        }
        if options.product_ids.is_empty() {
            return Ok(Ok(()));
        }
        let wanted = job.to_create as i32;
        let products = Tenant(job.account_id)
            .find::<product::Entity>()
            .filter(product::Column::Id.is_in(options.product_ids.clone()))
            .all(txn)
            .await?;
        for p in products {
            let taken = Tenant(job.account_id)
                .update_many::<product::Entity>()
                .col_expr(
                    product::Column::SeatsUsed,
                    Expr::col(product::Column::SeatsUsed).add(wanted),
                )
                .filter(product::Column::Id.eq(p.id))
                .filter(
                    Expr::expr(Expr::col(product::Column::SeatsUsed).add(wanted))
                        .lte(Expr::col(product::Column::Seats)),
                )
                .exec(txn)
                .await?;
            if taken.rows_affected == 0 {
                return Ok(Err(format!(
                    "not enough seats of {}: {} free, {wanted} needed; nothing was imported",
                    p.name,
                    p.seats - p.seats_used
                )));
            }
        }
        Ok(Ok(()))
    }

    async fn abandon(txn: &DatabaseTransaction, job: &import_job::Model) -> Result<(), ApiError> {
        // The seats were taken with the first batch (written_through moves
        // past 1 when it commits); rows written or failed since are settled.
        if job.written_through <= 1 {
            return Ok(());
        }
        let options: StoredUserOptions =
            serde_json::from_str(&job.options).map_err(ApiError::internal)?;
        let unwritten = job.to_create - job.created - job.failed;
        if unwritten <= 0 || options.product_ids.is_empty() {
            return Ok(());
        }
        Tenant(job.account_id)
            .update_many::<product::Entity>()
            .col_expr(
                product::Column::SeatsUsed,
                Expr::col(product::Column::SeatsUsed).sub(unwritten as i32),
            )
            .filter(product::Column::Id.is_in(options.product_ids))
            .exec(txn)
            .await?;
        Ok(())
    }

    async fn write_batch(
        state: &AppState,
        txn: &DatabaseTransaction,
        job: &import_job::Model,
        parsed: Self::Batch,
    ) -> Result<Written, ApiError> {
        let options: StoredUserOptions =
            serde_json::from_str(&job.options).map_err(ApiError::internal)?;
        let keys: Vec<String> = parsed.iter().map(|r| r.email_key.clone()).collect();
        let existing = write::existing_emails(txn, &keys).await?;
        let tenant = Tenant(job.account_id);
        // Every batch checks the limit again under the account's lock:
        // users added by hand since the import started count too.
        crate::kernel::locks::account(txn, job.account_id).await?;
        let count = tenant.find::<user::Entity>().count(txn).await?;
        let mut room = USERS_MAX.saturating_sub(count) as usize;
        let mut taken = extension::taken(txn, job.account_id).await?;
        let (fresh, failed): (Vec<write::Values>, Vec<write::Values>) =
            parsed.into_iter().partition(|r| {
                let fits = existing
                    .get(&r.email_key)
                    .is_none_or(|(account, _)| *account != job.account_id)
                    && r.extension.is_none_or(|e| !taken.contains(&e))
                    && room > 0;
                if fits {
                    room -= 1;
                }
                fits
            });
        let now = Utc::now();
        let users = fresh
            .into_iter()
            .map(|values| {
                let settings = write::Settings {
                    role: options.role(),
                    status: Status::Invited,
                    language: options.language.clone(),
                    custom_role_id: options.custom_role_id,
                    settings_template_id: options.template_id,
                };
                (values, settings)
            })
            .collect();
        let places = write::place(tenant, users, &existing, &mut taken, now);
        if !places.is_empty() {
            write::insert(txn, tenant, &places, &options.group_ids).await?;
            for product_id in &options.product_ids {
                let seats = places.iter().map(|(u, _)| {
                    tenant.row(user_product::ActiveModel {
                        account_id: NotSet,
                        user_id: Set(u.id),
                        product_id: Set(*product_id),
                        assigned_at: Set(now),
                    })
                });
                bulk::insert(txn, seats.collect(), OnDuplicate::Fail).await?;
            }
        }
        // Seats were taken for every row when writing started: give back
        // those of rows that failed since.
        if !failed.is_empty() && !options.product_ids.is_empty() {
            Tenant(job.account_id)
                .update_many::<product::Entity>()
                .col_expr(
                    product::Column::SeatsUsed,
                    Expr::col(product::Column::SeatsUsed).sub(failed.len() as i32),
                )
                .filter(product::Column::Id.is_in(options.product_ids.clone()))
                .exec(txn)
                .await?;
        }
        if let Some(actor) = job.user_id {
            let viewer = history::on_behalf_of(job.account_id, actor);
            // Published by the job's progress, not one event per user.
            history::insert(
                txn,
                &viewer,
                places
                    .iter()
                    .map(|(u, from)| {
                        let action = if from.is_some() {
                            "user.transfer_invite"
                        } else {
                            "user.import"
                        };
                        Entry::ok(action, "User", u.id, u.email.clone())
                    })
                    .collect(),
            )
            .await?;
        }
        // Welcome and transfer invitations, as for users added by hand.
        let invitations = add::invite(txn, state, job.account_id, None, &places).await?;
        Ok(Written {
            created: places.len() as i64,
            updated: 0,
            failed: failed.len() as i64,
            invitations,
        })
    }
}

#[derive(Default)]
pub struct UserImportMutation;

#[Object]
impl UserImportMutation {
    /// Uploads a CSV of staff users (columns first_name, last_name, email and
    /// optionally extension; GraphQL multipart request) and starts an import
    /// job, previewed and confirmed like a customer import (`confirmImport`,
    /// `importProgress`). Every imported user gets the options' role,
    /// products, groups, settings template and language.
    async fn start_user_import(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The CSV file, as a file of a GraphQL multipart request (at most 256 MiB and 1,000,000 rows)."
        )]
        file: Upload,
        #[graphql(desc = "What every imported user gets (the defaults when omitted).")]
        options: Option<UserImportOptions>,
    ) -> ApiResult<ImportJobPayload> {
        let viewer = crate::kernel::auth::viewer(ctx)?;
        let options = options.unwrap_or_default();
        let role: Role = options.role.into();
        let prepared = crate::staff::users::prepare(
            ctx.db(),
            viewer,
            role,
            options.custom_role_id.as_ref(),
            &options.product_ids,
            &options.group_ids,
            options.settings_template_id.as_ref(),
        )
        .await?;
        let (custom_role_id, products, group_ids, template_id) = match prepared {
            Ok(p) => p,
            Err(e) => {
                return Ok(ImportJobPayload {
                    job: None,
                    user_errors: vec![e],
                })
            }
        };
        let picked = language::pick(
            "options.preferredLanguage",
            options.preferred_language,
            "language",
            options.language.clone(),
        )
        .and_then(
            |l| match Language::from_code(l.as_deref().unwrap_or("en")) {
                Some(l) => Ok(l),
                None => Err(language::unknown("options.language")),
            },
        );
        let language = match picked {
            Ok(l) => l.code().to_owned(),
            Err(e) => {
                return Ok(ImportJobPayload {
                    job: None,
                    user_errors: vec![e],
                })
            }
        };
        let stored = StoredUserOptions {
            role: async_graphql::resolver_utils::enum_value(options.role).to_string(),
            custom_role_id,
            product_ids: products.iter().map(|p| p.id).collect(),
            group_ids,
            template_id,
            language,
        };
        let stored = serde_json::to_string(&stored).map_err(ApiError::internal)?;
        control::start(ctx, viewer, KIND, &csv_file::USERS, file, stored).await
    }
}
