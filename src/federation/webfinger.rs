//! `/.well-known/webfinger` and `/.well-known/host-meta`: how peers find our actors from
//! `user@domain` or from an actor URL.

use crate::error::Error;
use crate::state::Ctx;
use crate::store::accounts::{self as account_store, Account};
use actix_web::{web::Query, HttpResponse};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

/// The local username a webfinger resource names, if it names one of ours.
/// Accepts `acct:name@domain`, `name@domain` and our actor URLs (`/users/x`, `/c/x`, `/@x`).
fn local_name<'r>(resource: &'r str, base_url: &str, domain: &str) -> Option<&'r str> {
    if let Some(path) = resource.strip_prefix(base_url) {
        return ["/users/", "/c/", "/@"]
            .iter()
            .find_map(|prefix| path.strip_prefix(prefix))
            .filter(|name| !name.contains('/'));
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (name, host) = acct.rsplit_once('@')?;
    host.eq_ignore_ascii_case(domain).then_some(name)
}

pub async fn webfinger(ctx: Ctx, query: Query<WebfingerQuery>) -> Result<HttpResponse, Error> {
    let resource = query
        .resource
        .as_deref()
        .ok_or_else(|| Error::BadRequest("the resource parameter is required".into()))?;
    let base = ctx.config.base_url();
    let name = local_name(resource, &base, &ctx.config.domain)
        .ok_or(Error::NotFound)?
        .to_string();
    let account = ctx
        .db
        .run(move |conn| account_store::local_by_username(conn, &name))
        .await?
        .filter(|a| !a.suspended)
        .ok_or(Error::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("application/jrd+json")
        .json(webfinger_document(&ctx.config.domain, &account)))
}

fn webfinger_document(domain: &str, account: &Account) -> serde_json::Value {
    let kind = if account.is_group() {
        "Group"
    } else {
        "Person"
    };
    let profile = account.url.as_deref().unwrap_or(&account.ap_id);
    json!({
        "subject": format!("acct:{}@{domain}", account.username),
        "aliases": [account.ap_id],
        "links": [
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile,
            },
            {
                "rel": "self",
                "type": crate::protocol::ACTIVITY_JSON,
                "href": account.ap_id,
                "properties": { "https://www.w3.org/ns/activitystreams#type": kind },
            },
        ],
    })
}

/// `/.well-known/host-meta`: the XRD that points older software at webfinger.
pub async fn host_meta(ctx: Ctx) -> HttpResponse {
    let template = format!(
        "{}/.well-known/webfinger?resource={{uri}}",
        ctx.config.base_url()
    );
    HttpResponse::Ok()
        .content_type("application/xrd+xml; charset=utf-8")
        .body(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
             <Link rel=\"lrdd\" template=\"{template}\"/>\n</XRD>\n"
        ))
}

#[cfg(test)]
mod tests {
    use super::local_name;

    #[test]
    fn resources_resolve_to_local_names() {
        let (base, domain) = ("https://g.example", "g.example");
        assert_eq!(
            local_name("acct:alice@g.example", base, domain),
            Some("alice")
        );
        assert_eq!(
            local_name("acct:@alice@G.example", base, domain),
            Some("alice")
        );
        assert_eq!(local_name("alice@g.example", base, domain), Some("alice"));
        assert_eq!(
            local_name("https://g.example/users/alice", base, domain),
            Some("alice")
        );
        assert_eq!(
            local_name("https://g.example/c/rust", base, domain),
            Some("rust")
        );
        assert_eq!(local_name("acct:alice@other.example", base, domain), None);
        assert_eq!(
            local_name("https://g.example/users/a/b", base, domain),
            None
        );
        assert_eq!(
            local_name("https://other.example/users/alice", base, domain),
            None
        );
    }
}
