//! Finding accounts by `user@domain`, on this instance or, through webfinger, on others.

use super::actors::ApAccount;
use crate::error::Error;
use crate::state::{AppState, Ctx};
use crate::store::accounts::{self as account_store, Account};
use activitypub_federation::fetch::{object_id::ObjectId, webfinger::webfinger_resolve_actor};

/// A post names at most this many people; each may mean a webfinger lookup.
const MAX_MENTIONS: usize = 20;

/// The accounts a post's text mentions, found here or on their servers; handles that find
/// nobody are left as text.
pub async fn mentioned(ctx: &Ctx, text: &str) -> Vec<Account> {
    let mut found = Vec::new();
    for handle in crate::service::text::mention_handles(text)
        .into_iter()
        .take(MAX_MENTIONS)
    {
        if let Ok(account) = account(ctx, &handle).await {
            found.push(account);
        }
    }
    found
}

/// The account `name`, `name@domain` or `@name@domain`; remote accounts not known yet are
/// fetched from their origin and stored.
pub async fn account(ctx: &Ctx, acct: &str) -> Result<Account, Error> {
    let acct = acct.trim().trim_start_matches('@');
    let (name, domain) = match acct.split_once('@') {
        Some((name, domain)) => (name.to_string(), Some(domain.to_ascii_lowercase())),
        None => (acct.to_string(), None),
    };
    let domain = domain.filter(|d| *d != ctx.config.domain);
    // The webfinger URL is built from the domain: only host[:port] characters may pass.
    let valid = |d: &String| {
        d.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
    };
    if domain.as_ref().is_some_and(|d| !valid(d)) || name.is_empty() {
        return Err(Error::NotFound);
    }
    let (stored_name, stored_domain) = (name.clone(), domain.clone());
    let stored = ctx
        .db
        .run(move |conn| account_store::by_acct(conn, &stored_name, stored_domain.as_deref()))
        .await?;
    match (stored, domain) {
        (Some(account), _) => Ok(account),
        (None, None) => Err(Error::NotFound),
        (None, Some(domain)) => {
            let identifier = format!("{name}@{domain}");
            let actor = webfinger_resolve_actor::<AppState, ApAccount>(&identifier, ctx).await?;
            Ok(actor.row)
        }
    }
}

/// The account whose ActivityPub id is `url`: as stored, or, when `fetch`, fetched from its
/// origin if not known yet (or only a day-old copy is).
pub async fn account_by_url(ctx: &Ctx, url: &str, fetch: bool) -> Result<Account, Error> {
    let id = ObjectId::<ApAccount>::parse(url).map_err(|_| Error::NotFound)?;
    if fetch {
        return Ok(id.dereference(ctx).await?.row);
    }
    let url = url.to_string();
    ctx.db
        .run(move |conn| account_store::by_ap_id(conn, &url))
        .await?
        .ok_or(Error::NotFound)
}

/// The accounts `account` names as also its own (`alsoKnownAs`): ours from the database,
/// another server's read fresh from its document, since a `Move` is judged by what the
/// new account says now.
pub async fn aliases(ctx: &Ctx, account: &Account) -> Result<Vec<String>, Error> {
    if account.is_local() {
        let id = account.id;
        return ctx
            .db
            .run(move |conn| crate::store::aliases::of(conn, id))
            .await;
    }
    let url = url::Url::parse(&account.ap_id)?;
    let fetched = activitypub_federation::fetch::fetch_object_http::<
        AppState,
        crate::protocol::actor::ApActor,
    >(&url, ctx)
    .await
    .map_err(|e| Error::Upstream(format!("cannot read {}: {e}", account.ap_id)))?;
    if fetched.object.id != url {
        return Err(Error::Upstream(format!(
            "{} answered with another actor",
            account.ap_id
        )));
    }
    Ok(fetched
        .object
        .also_known_as
        .unwrap_or_default()
        .iter()
        .map(url::Url::to_string)
        .collect())
}
