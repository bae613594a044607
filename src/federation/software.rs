//! Learning what software another server runs, from its nodeinfo, the first time we hear
//! from it: a few servers refuse shapes others need (Lemmy refuses an `Announce` of a bare
//! post id, which Mastodon shows as a community's boost).

use crate::protocol::domain_of;
use crate::service::inbound;
use crate::state::AppState;
use serde_json::Value;
use url::Url;

/// Largest nodeinfo document read.
const MAX_BYTES: usize = 64 * 1024;

/// Learn what the server at `origin` runs, unless it is known already. Failures are kept as
/// "unknown" (an empty name) so that a server without nodeinfo is not asked every time.
pub async fn learn(state: AppState, origin: Url) {
    let domain = domain_of(&origin);
    let known = domain.clone();
    let unknown = state
        .db
        .run(move |conn| inbound::software_unknown(conn, &known))
        .await;
    if !matches!(unknown, Ok(true)) {
        return;
    }
    let name = software_name(&state.http, &origin)
        .await
        .unwrap_or_default();
    let result = state
        .db
        .run(move |conn| inbound::learnt_software(conn, &domain, &name))
        .await;
    if let Err(e) = result {
        tracing::info!("keeping what {origin} runs: {e}");
    }
}

/// `software.name` of the nodeinfo the server at `origin` links from `/.well-known/nodeinfo`.
async fn software_name(client: &reqwest::Client, origin: &Url) -> Option<String> {
    let links = json_at(client, origin.join("/.well-known/nodeinfo").ok()?).await?;
    let href = links["links"]
        .as_array()?
        .iter()
        .filter(|l| {
            l["rel"]
                .as_str()
                .is_some_and(|r| r.starts_with("http://nodeinfo.diaspora.software/ns/schema/2"))
        })
        .find_map(|l| l["href"].as_str())?;
    let href = Url::parse(href).ok()?;
    // Only the server's own nodeinfo says what it runs.
    if domain_of(&href) != domain_of(origin) {
        return None;
    }
    let nodeinfo = json_at(client, href).await?;
    nodeinfo["software"]["name"].as_str().map(str::to_string)
}

async fn json_at(client: &reqwest::Client, url: Url) -> Option<Value> {
    let mut response = client
        .get(url)
        .header("Accept", "application/json")
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let body = crate::delivery::body_at_most(&mut response, MAX_BYTES)
        .await
        .ok()??;
    serde_json::from_slice(&body).ok()
}
