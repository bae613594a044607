//! Mastodon-compatible client API. Entities (the JSON shapes) live in `entities`; handlers
//! in one file per resource.

pub mod entities;
pub mod instance;
