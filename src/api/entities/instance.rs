//! Instance entities, v1 and v2. Limits are what Guild enforces.

use super::account::Account;
use crate::config::{Config, Registrations};
use crate::store::stats::InstanceStats;
use serde_json::{json, Value};

pub const MAX_STATUS_CHARS: u32 = 5000;

/// `"4.2.0 (compatible; Guild x.y.z)"`: clients gate features on the Mastodon version.
pub fn version() -> String {
    format!("4.2.0 (compatible; Guild {})", env!("CARGO_PKG_VERSION"))
}

fn statuses_limits() -> Value {
    json!({
        "max_characters": MAX_STATUS_CHARS,
        "max_media_attachments": crate::service::media::MAX_PER_POST,
        "characters_reserved_per_url": 23,
    })
}

/// The upload settings; videos are kept as sent, so their limit is the file limit.
fn media_limits(config: &Config) -> Value {
    let media = &config.media;
    json!({
        "supported_mime_types": crate::service::media::accepted_types(),
        "image_size_limit": media.max_image_bytes,
        "image_matrix_limit": media.max_pixels,
        "video_size_limit": media.max_file_bytes,
        "video_frame_rate_limit": 120,
        "video_matrix_limit": media.max_pixels,
        "description_limit": crate::domain::MAX_ALT_TEXT_CHARS,
    })
}

fn poll_limits() -> Value {
    json!({
        "max_options": 4,
        "max_characters_per_option": 50,
        "min_expiration": 300,
        "max_expiration": 2_629_746,
    })
}

pub fn v1(
    config: &Config,
    stats: &InstanceStats,
    contact: Option<Account>,
    thumbnail: &str,
) -> Value {
    let base = config.base_url();
    json!({
        "uri": config.domain,
        "title": config.instance_name,
        "short_description": config.instance_description,
        "description": config.instance_description,
        "email": config.contact_email,
        "version": version(),
        "urls": { "streaming_api": base.replacen("http", "ws", 1) },
        "stats": {
            "user_count": stats.users,
            "status_count": stats.local_posts + stats.local_comments,
            "domain_count": stats.known_domains,
        },
        "thumbnail": thumbnail,
        "languages": ["en"],
        "registrations": config.registrations != Registrations::Closed,
        "approval_required": config.registrations == Registrations::Approval,
        "invites_enabled": false,
        "configuration": {
            "accounts": { "max_featured_tags": 10 },
            "statuses": statuses_limits(),
            "media_attachments": media_limits(config),
            "polls": poll_limits(),
        },
        "contact_account": contact,
        "rules": [],
    })
}

pub fn v2(
    config: &Config,
    stats: &InstanceStats,
    contact: Option<Account>,
    thumbnail: &str,
) -> Value {
    let base = config.base_url();
    json!({
        "domain": config.domain,
        "title": config.instance_name,
        "version": version(),
        "source_url": "https://crates.io/crates/guild",
        "description": config.instance_description,
        "usage": { "users": { "active_month": stats.active_month } },
        "thumbnail": { "url": thumbnail },
        "icon": [],
        "languages": ["en"],
        "api_versions": { "mastodon": 2 },
        "configuration": {
            "urls": { "streaming": base.replacen("http", "ws", 1) },
            "accounts": { "max_featured_tags": 10, "max_pinned_statuses": 5 },
            "statuses": statuses_limits(),
            "media_attachments": media_limits(config),
            "polls": poll_limits(),
            "translation": { "enabled": false },
        },
        "registrations": {
            "enabled": config.registrations != Registrations::Closed,
            "approval_required": config.registrations == Registrations::Approval,
            "message": null,
        },
        "contact": { "email": config.contact_email, "account": contact },
        "rules": [],
    })
}
