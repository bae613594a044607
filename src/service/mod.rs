//! Use-cases: the business rules that the client API, web pages, CLI and federation share.

pub mod accounts;
pub mod follows;
pub mod resolve;
pub mod setup;
