//! JSON shapes of the Mastodon client API, built from store rows.

pub mod account;
pub mod admin;
pub mod community;
pub mod instance;
pub mod media;
pub mod poll;
pub mod status;

pub use crate::time::rfc3339 as time;
