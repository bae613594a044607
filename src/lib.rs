//! Guild: a federated ActivityPub community server with a Mastodon-compatible client API.

pub mod api;
pub mod client_address;
pub mod config;
pub mod crypto;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod events;
pub mod federation;
pub mod files;
pub mod ids;
pub mod metrics;
pub mod policy;
pub mod protocol;
pub mod request_log;
pub mod server;
pub mod service;
pub mod sso;
pub mod state;
pub mod store;
#[cfg(test)]
mod testing;
pub mod time;
pub mod web;
