//! Use-cases: the business rules that the client API, web pages, CLI and federation share.

pub mod accounts;
pub mod blocks;
pub mod bookmarks;
pub mod cards;
pub mod communities;
pub mod filters;
pub mod follows;
pub mod health;
pub mod inbound;
pub mod interactions;
pub mod lists;
pub mod markers;
pub mod media;
pub mod moderation;
pub mod notifications;
pub mod oauth;
pub mod policy;
pub mod polls;
pub mod received;
pub mod reports;
pub mod setup;
pub mod statuses;
pub mod tags;
pub mod text;
pub mod threads;
pub mod visibility;
