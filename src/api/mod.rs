//! Mastodon-compatible client API. Entities (the JSON shapes) live in `entities`; handlers
//! in one file per resource.

pub mod accounts;
pub mod auth;
pub mod conversations;
pub mod defaults;
pub mod entities;
pub mod filters;
pub mod follows;
pub mod guild;
pub mod instance;
pub mod lists;
pub mod markers;
pub mod notifications;
pub mod oauth;
pub mod pagination;
pub mod params;
pub mod rate_limit;
pub mod statuses;
pub mod tags;
