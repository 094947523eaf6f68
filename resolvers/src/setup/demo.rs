//! Sample data for newcomers (`roster bootstrap --demo`): staff, services,
//! companies and their customers, so that there is something to query.
//! Loading it twice adds nothing.

use chrono::Utc;
use roster_entities::{customer, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, NotSet, QueryFilter, Set};
use uuid::Uuid;

use crate::directory::customers::write::{self, NewCustomer};
use crate::kernel::{scope::Tenant, validation};

const STAFF: &[(&str, &str, &str, user::Role, user::Status)] = &[
    (
        "Maria",
        "Lopez",
        "maria.lopez",
        user::Role::Admin,
        user::Status::Active,
    ),
    (
        "Tom",
        "Becker",
        "tom.becker",
        user::Role::Member,
        user::Status::Active,
    ),
    (
        "Aiko",
        "Tanaka",
        "aiko.tanaka",
        user::Role::Member,
        user::Status::Active,
    ),
    (
        "Samuel",
        "Okafor",
        "samuel.okafor",
        user::Role::Member,
        user::Status::Invited,
    ),
    (
        "Léa",
        "Dubois",
        "lea.dubois",
        user::Role::Member,
        user::Status::Suspended,
    ),
];

/// What `load` added.
#[derive(Debug, Default)]
pub struct DemoSummary {
    pub users_added: usize,
    pub companies_added: usize,
    pub services_added: usize,
    pub customers_added: usize,
}

const SERVICES: &[&str] = &[
    "Email & Calendar",
    "Laptops & Devices",
    "VPN & Remote Access",
];

/// (company, indexes of its services in SERVICES)
const COMPANIES: &[(&str, &[usize])] = &[
    ("Northwind Traders", &[0, 1]),
    ("Contoso Ltd", &[0, 1, 2]),
    ("Fabrikam Inc", &[2]),
];

/// (first, last, email, company index, job title, phone, time zone, locale, portal access)
type DemoCustomer = (
    &'static str,
    &'static str,
    &'static str,
    Option<usize>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    customer::PortalAccess,
);

const CUSTOMERS: &[DemoCustomer] = &[
    (
        "Nancy",
        "Davolio",
        "nancy.davolio@northwind.example",
        Some(0),
        "Sales Representative",
        "+1 206 555 9857",
        "America/Los_Angeles",
        "en",
        customer::PortalAccess::CompanyAdmin,
    ),
    (
        "Andrew",
        "Fuller",
        "andrew.fuller@northwind.example",
        Some(0),
        "Vice President, Sales",
        "+1 206 555 9482",
        "America/Los_Angeles",
        "en",
        customer::PortalAccess::Company,
    ),
    (
        "Janet",
        "Leverling",
        "janet.leverling@northwind.example",
        Some(0),
        "Sales Representative",
        "+1 206 555 3412",
        "America/Los_Angeles",
        "en",
        customer::PortalAccess::Standard,
    ),
    (
        "Margaret",
        "Peacock",
        "margaret.peacock@northwind.example",
        Some(0),
        "Sales Representative",
        "+1 206 555 8122",
        "America/Los_Angeles",
        "en",
        customer::PortalAccess::NoAccess,
    ),
    (
        "Giulia",
        "Bianchi",
        "giulia.bianchi@contoso.example",
        Some(1),
        "IT Manager",
        "+39 02 1234 5678",
        "Europe/Rome",
        "it",
        customer::PortalAccess::CompanyAdmin,
    ),
    (
        "Lukas",
        "Schmidt",
        "lukas.schmidt@contoso.example",
        Some(1),
        "Accountant",
        "+49 30 901820",
        "Europe/Berlin",
        "de",
        customer::PortalAccess::Company,
    ),
    (
        "Camille",
        "Martin",
        "camille.martin@contoso.example",
        Some(1),
        "Office Manager",
        "+33 1 42 68 53 00",
        "Europe/Paris",
        "fr",
        customer::PortalAccess::Standard,
    ),
    (
        "João",
        "Silva",
        "joao.silva@fabrikam.example",
        Some(2),
        "Field Engineer",
        "+351 21 123 4567",
        "Europe/Lisbon",
        "pt",
        customer::PortalAccess::Company,
    ),
    (
        "Lucía",
        "García",
        "lucia.garcia@fabrikam.example",
        Some(2),
        "Project Lead",
        "+34 91 123 45 67",
        "Europe/Madrid",
        "es",
        customer::PortalAccess::Standard,
    ),
    (
        "Sam",
        "Taylor",
        "sam.taylor@example.net",
        None,
        "Freelance Designer",
        "(555) 010-4477",
        "America/New_York",
        "en",
        customer::PortalAccess::Standard,
    ),
];

/// Adds services, companies and customers to an account that has none.
pub async fn load_customers(
    db: &DatabaseConnection,
    account_id: Uuid,
    summary: &mut DemoSummary,
) -> Result<(), sea_orm::DbErr> {
    use roster_entities::{company, company_service, customer_service, service};
    use sea_orm::{PaginatorTrait, TransactionTrait};

    let tenant = Tenant(account_id);
    let has_companies = tenant.find::<company::Entity>().count(db).await? > 0;
    if has_companies {
        return Ok(());
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let mut service_ids = Vec::new();
    for name in SERVICES {
        let id = Uuid::now_v7();
        tenant
            .insert(service::ActiveModel {
                id: Set(id),
                account_id: NotSet,
                name: Set((*name).into()),
                name_key: Set(name.to_lowercase()),
                description: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec(&txn)
            .await?;
        service_ids.push(id);
    }
    let mut company_ids = Vec::new();
    for (name, services) in COMPANIES {
        let id = Uuid::now_v7();
        tenant
            .insert(company::ActiveModel {
                id: Set(id),
                account_id: NotSet,
                name: Set((*name).into()),
                name_key: Set(name.to_lowercase()),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec(&txn)
            .await?;
        for s in *services {
            tenant
                .insert(company_service::ActiveModel {
                    account_id: NotSet,
                    company_id: Set(id),
                    service_id: Set(service_ids[*s]),
                })
                .exec(&txn)
                .await?;
        }
        company_ids.push(id);
    }
    for (first, last, email, company, job, phone, tz, locale, access) in CUSTOMERS {
        let draft = crate::directory::customers::validate::CustomerDraft {
            first_name: (*first).into(),
            last_name: (*last).into(),
            email: (*email).into(),
            job_title: Some((*job).into()),
            office_phone: Some((*phone).into()),
            time_zone: Some((*tz).into()),
            locale: Some((*locale).into()),
            ..Default::default()
        };
        let clean = crate::directory::customers::validate::validate(&draft)
            .map_err(|e| sea_orm::DbErr::Custom(format!("demo customer {email}: {e:?}")))?;
        // Standard customers get their company's first service (or VPN).
        let service = match company {
            Some(c) => service_ids[COMPANIES[*c].1[0]],
            None => service_ids[2],
        };
        let new = NewCustomer {
            company_id: company.map(|c| company_ids[c]),
            portal_access: *access,
            services: vec![(service, customer_service::ServiceAccess::PortalAccess)],
            ..NewCustomer::new(clean)
        };
        write::insert_one(&txn, tenant, new, now).await?;
    }
    txn.commit().await?;
    summary.services_added = SERVICES.len();
    summary.companies_added = COMPANIES.len();
    summary.customers_added = CUSTOMERS.len();
    Ok(())
}

/// Adds the sample staff to `account_id`. Emails use the domain of the
/// account's super admin so that they look like colleagues.
pub async fn load(
    db: &DatabaseConnection,
    account_id: Uuid,
    domain: &str,
) -> Result<DemoSummary, sea_orm::DbErr> {
    let now = Utc::now();
    let mut summary = DemoSummary::default();
    for (first, last, local, role, status) in STAFF {
        let email = format!("{local}@{domain}");
        let key = validation::email_key(&email);
        // all accounts: staff emails are unique across accounts
        let exists = user::Entity::find()
            .filter(user::Column::EmailKey.eq(&key))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        Tenant(account_id)
            .insert(user::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: NotSet,
                first_name: Set((*first).into()),
                last_name: Set((*last).into()),
                email: Set(email),
                email_key: Set(key),
                role: Set(*role),
                status: Set(*status),
                // Demo staff sign in after an administrator invites them.
                password_hash: Set(None),
                extension: Set(crate::staff::users::extension::next_free(db, account_id, 1)
                    .await
                    .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?
                    .first()
                    .copied()),
                language: Set("en".into()),
                custom_role_id: Set(None),
                settings_template_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec(db)
            .await?;
        summary.users_added += 1;
    }
    crate::staff::users::contact::sync(db).await?;
    load_customers(db, account_id, &mut summary).await?;
    Ok(summary)
}
