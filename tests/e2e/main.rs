//! End-to-end tests: each test starts the real `roster` binary on an
//! ephemeral port with a fresh database and drives it over HTTP and
//! WebSocket, like a client would.
//!
//! By default the database is SQLite in a temporary folder. With
//! `DATABASE_URL=postgres://...` every test gets a fresh PostgreSQL database
//! on that server instead (and fails loudly if the server does not answer).

mod harness;
mod mail;

mod auth;
mod authz;
mod avatars;
mod bootstrap;
mod cli;
mod contacts;
mod custom_fields;
mod customers;
mod erasure;
mod events;
mod exports;
mod faults;
mod http_protocol;
mod imports;
mod invariants;
mod invitations;
mod languages;
mod nodes;
mod persisted;
mod plans;
mod portal;
mod production;
mod reads;
mod rules;
mod scim;
mod subscriptions;
mod tenancy;
mod traces;
mod user_imports;
mod users;
