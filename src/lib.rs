//! Guild: a federated ActivityPub community server with a Mastodon-compatible client API.

pub mod api;
pub mod app;
pub mod config;
pub mod crypto;
pub mod db;
pub mod delivery;
pub mod error;
pub mod federation;
pub mod ids;
pub mod service;
pub mod store;
pub mod web;
