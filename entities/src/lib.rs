//! sea-orm entities: one module per table, relations declared, no business
//! logic. Every tenant-owned table carries `account_id`.

pub mod account;
pub mod activity;
pub mod company;
pub mod company_service;
pub mod contact;
pub mod contact_company;
pub mod contact_method;
pub mod custom_field;
pub mod custom_role;
pub mod customer;
pub mod customer_avatar;
pub mod customer_email;
pub mod customer_field_value;
pub mod customer_service;
pub mod denylist_entry;
pub mod export_link;
pub mod group;
pub mod group_member;
pub mod import_file_chunk;
pub mod import_job;
pub mod import_row;
pub mod incident;
pub mod manager_grant;
pub mod portal_login;
pub mod portal_session;
pub mod product;
pub mod product_feature;
pub mod service;
pub mod session;
pub mod settings_template;
pub mod user;
pub mod user_feature;
pub mod user_product;
