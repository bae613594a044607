//! Person, Group and Application actors: the documents we serve for local accounts, and the
//! shape we read other servers' actors in.

use super::{domain_of, is_web};
use crate::config::Config;
use crate::domain::{AccountKind, CommunityVisibility, PostingPolicy};
use crate::error::Error;
use crate::store::{
    accounts::{Account, RemoteActor},
    communities::Community,
};
use activitypub_federation::protocol::{helpers::deserialize_skip_error, public_key::PublicKey};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;

/// JSON-LD context of actor documents: ActivityStreams, security keys, and the Mastodon and
/// Lemmy terms we use.
pub fn actor_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "lemmy": "https://join-lemmy.org/ns#",
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
            "membersOnly": "urn:guild:membersOnly",
            "sensitive": "as:sensitive"
        }
    ])
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: Option<Url>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Image {
    #[serde(rename = "type", default = "image_type")]
    pub kind: String,
    pub url: Url,
}

fn image_type() -> String {
    "Image".to_string()
}

/// A Person or Group document, as we serve it and as we read other servers' actors.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApActor {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
    pub inbox: Url,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub outbox: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub followers: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub following: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub featured: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    #[serde(default)]
    pub manually_approves_followers: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub icon: Option<Image>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub image: Option<Image>,
    /// Group: the moderators collection, as Lemmy publishes it.
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributed_to: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posting_restricted_to_mods: Option<bool>,
    /// Group: Guild's members-only communities say so, so that members' instances keep
    /// what they post there for members.
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub members_only: Option<bool>,
    /// Other accounts the actor says are also its own (for `Move`).
    #[serde(
        default,
        rename = "alsoKnownAs",
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub also_known_as: Option<Vec<Url>>,
    /// The account the actor moved to.
    #[serde(
        default,
        rename = "movedTo",
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub moved_to: Option<Url>,
}

fn parse_url(value: &Option<String>) -> Option<Url> {
    value.as_deref().and_then(|v| Url::parse(v).ok())
}

/// The document of a local actor; a community's settings when it is one.
pub fn document(
    config: &Config,
    account: &Account,
    community: Option<&Community>,
) -> Result<ApActor, Error> {
    let base = config.base_url();
    let group = account.is_group();
    let id = Url::parse(&account.ap_id)?;
    let kind = match account.kind {
        AccountKind::Group => "Group",
        AccountKind::Service => "Application",
        AccountKind::Person => "Person",
    };
    Ok(ApActor {
        kind: kind.to_string(),
        preferred_username: account.username.clone(),
        name: Some(account.display_name.clone()),
        summary: Some(account.note.clone()),
        url: parse_url(&account.url),
        inbox: Url::parse(&account.inbox_url)?,
        outbox: parse_url(&account.outbox_url),
        followers: parse_url(&account.followers_url),
        following: parse_url(&account.following_url).filter(|_| !group),
        featured: parse_url(&account.featured_url),
        endpoints: Some(Endpoints {
            shared_inbox: parse_url(&account.shared_inbox_url),
        }),
        public_key: PublicKey {
            id: format!("{id}#main-key"),
            owner: id.clone(),
            public_key_pem: account.public_key_pem.clone(),
        },
        manually_approves_followers: account.locked,
        discoverable: Some(account.discoverable),
        published: Some(account.created_at.and_utc()),
        icon: Some(Image {
            kind: image_type(),
            url: Url::parse(&account.avatar(&base))?,
        }),
        image: Some(Image {
            kind: image_type(),
            url: Url::parse(&account.header(&base))?,
        }),
        attributed_to: community.and_then(|c| parse_url(&c.moderators_url)),
        posting_restricted_to_mods: community
            .map(|c| c.posting_policy == PostingPolicy::Moderators),
        members_only: community.map(|c| c.visibility == CommunityVisibility::Members),
        also_known_as: None,
        moved_to: None,
        id,
    })
}

/// Where an actor lists its pinned posts: as it told us, or Guild's own path.
pub fn featured_of(actor: &Account) -> String {
    actor
        .featured_url
        .clone()
        .unwrap_or_else(|| super::featured_collection(&actor.ap_id))
}

/// The row we keep for a remote actor's document (its HTML not yet sanitised).
pub fn remote_row(json: &ApActor) -> RemoteActor {
    let now = crate::time::now();
    // Instance actors (Mastodon's, Lemmy's, ours) are Applications; they act for a server.
    let kind = match json.kind.as_str() {
        "Group" => AccountKind::Group,
        "Application" => AccountKind::Service,
        _ => AccountKind::Person,
    };
    let id = &json.id;
    RemoteActor {
        kind,
        username: json.preferred_username.clone(),
        domain: Some(domain_of(id)),
        display_name: json.name.clone().unwrap_or_default(),
        note: json.summary.clone().unwrap_or_default(),
        ap_id: id.to_string(),
        url: json.url.as_ref().filter(|u| is_web(u)).map(Url::to_string),
        inbox_url: json.inbox.to_string(),
        shared_inbox_url: json
            .endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
            .map(Url::to_string),
        outbox_url: json.outbox.as_ref().map(Url::to_string),
        followers_url: json.followers.as_ref().map(Url::to_string),
        following_url: json.following.as_ref().map(Url::to_string),
        featured_url: json.featured.as_ref().map(Url::to_string),
        public_key_pem: json.public_key.public_key_pem.clone(),
        locked: json.manually_approves_followers,
        discoverable: json.discoverable.unwrap_or(false),
        bot: matches!(json.kind.as_str(), "Service" | "Application"),
        avatar_url: json
            .icon
            .as_ref()
            .filter(|i| is_web(&i.url))
            .map(|i| i.url.to_string()),
        header_url: json
            .image
            .as_ref()
            .filter(|i| is_web(&i.url))
            .map(|i| i.url.to_string()),
        updated_at: now,
        fetched_at: Some(now),
    }
}
