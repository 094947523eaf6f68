//! The Roster server: configuration, the poem HTTP host (GraphQL over HTTP and
//! WebSocket, GraphiQL, health checks) and the command-line commands.

#![recursion_limit = "256"]

pub mod commands;
pub mod config;
pub mod db;
pub mod http;
pub mod memory;
pub mod metrics;
pub mod telemetry;
