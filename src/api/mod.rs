//! Mastodon-compatible client API. Entities (the JSON shapes) live in `entities`; handlers
//! in one file per resource; the routes of them all are listed here.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod bookmarks;
pub mod communities;
pub mod conversations;
pub mod defaults;
pub mod directory;
pub mod entities;
pub mod filters;
pub mod follows;
pub mod instance;
pub mod lists;
pub mod markers;
pub mod media;
pub mod notifications;
pub mod oauth;
pub mod pagination;
pub mod params;
pub mod pieces;
pub mod polls;
pub mod rate_limit;
pub mod search;
pub mod statuses;
pub mod streaming;
pub mod tags;
pub mod timelines;

use actix_web::web::{self as aw, ServiceConfig};

/// The client API's routes. Ids are digits, so fixed names (`verify_credentials`,
/// `keywords`, `clear`) never depend on the order routes are listed in.
pub fn routes(cfg: &mut ServiceConfig) {
    use self::{accounts, defaults, follows, notifications, oauth, statuses};
    cfg.route("/healthz", aw::get().to(instance::healthz))
        .route("/api/v1/apps", aw::post().to(oauth::create_app))
        .route("/oauth/token", aw::post().to(oauth::token))
        .route("/oauth/revoke", aw::post().to(oauth::revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            aw::get().to(oauth::metadata),
        )
        .route("/api/v1/streaming", aw::get().to(streaming::root))
        .route("/api/v1/streaming/health", aw::get().to(streaming::health))
        .route(
            "/api/v1/streaming/{stream:user|user/notification|public|public/local|public/remote|public/media|public/local/media|public/remote/media|hashtag|hashtag/local|list|direct}",
            aw::get().to(streaming::events),
        )
        .route("/api/v1/instance", aw::get().to(instance::v1))
        .route("/api/v2/instance", aw::get().to(instance::v2))
        .route("/api/v1/custom_emojis", aw::get().to(defaults::empty_list))
        .route("/api/v1/announcements", aw::get().to(defaults::empty_list))
        .route("/api/v1/preferences", aw::get().to(defaults::preferences))
        .route("/api/v2/search", aw::get().to(search::search))
        .route("/api/v1/directory", aw::get().to(directory::directory))
        .route("/api/v2/admin/accounts", aw::get().to(admin::accounts))
        .route("/api/{v:v1|v2}/media", aw::post().to(media::upload))
        .route("/api/v1/media/{id:[0-9]+}", aw::get().to(media::show))
        .route("/api/v1/media/{id:[0-9]+}", aw::put().to(media::update))
        .route("/api/v1/polls/{id:[0-9]+}", aw::get().to(polls::get))
        .route("/api/v1/polls/{id:[0-9]+}/votes", aw::post().to(polls::vote))
        .route(
            "/api/v1/reports",
            aw::post().to(communities::reports::mastodon_report),
        )
        .route(
            "/api/v1/{list:blocks|mutes}",
            aw::get().to(follows::blocks_or_mutes),
        )
        .route("/api/v1/bookmarks", aw::get().to(timelines::bookmarks))
        .route("/api/v1/favourites", aw::get().to(timelines::favourites))
        .route("/api/v1/conversations", aw::get().to(conversations::list))
        .route("/api/v1/markers", aw::get().to(markers::markers))
        .route("/api/v1/markers", aw::post().to(markers::save_markers))
        .route("/api/v1/followed_tags", aw::get().to(tags::followed))
        .service(
            aw::scope("/api/v1/accounts")
                .route("", aw::post().to(accounts::register))
                .route(
                    "/update_credentials",
                    aw::patch().to(accounts::update_credentials),
                )
                .route(
                    "/verify_credentials",
                    aw::get().to(accounts::verify_credentials),
                )
                .route("/lookup", aw::get().to(accounts::lookup))
                .route("/search", aw::get().to(accounts::search_accounts))
                .route("/relationships", aw::get().to(accounts::relationships))
                .route("/{id:[0-9]+}", aw::get().to(accounts::get))
                .route("/{id:[0-9]+}/statuses", aw::get().to(timelines::by_account))
                .route(
                    "/{id:[0-9]+}/{side:followers|following}",
                    aw::get().to(follows::followers_or_following),
                )
                .route("/{id:[0-9]+}/lists", aw::get().to(lists::of_account))
                .route("/{id:[0-9]+}/follow", aw::post().to(accounts::follow))
                .route("/{id:[0-9]+}/unfollow", aw::post().to(accounts::unfollow))
                .route("/{id:[0-9]+}/block", aw::post().to(accounts::block))
                .route("/{id:[0-9]+}/unblock", aw::post().to(accounts::unblock))
                .route("/{id:[0-9]+}/mute", aw::post().to(accounts::mute))
                .route("/{id:[0-9]+}/unmute", aw::post().to(accounts::unmute)),
        )
        .service(
            aw::scope("/api/v1/statuses")
                .route("", aw::post().to(statuses::create))
                .route("/{id:[0-9]+}", aw::get().to(statuses::get))
                .route("/{id:[0-9]+}", aw::put().to(statuses::edit))
                .route("/{id:[0-9]+}", aw::delete().to(statuses::delete))
                .route("/{id:[0-9]+}/source", aw::get().to(statuses::source))
                .route("/{id:[0-9]+}/history", aw::get().to(statuses::history))
                .route("/{id:[0-9]+}/context", aw::get().to(statuses::context))
                .route(
                    "/{id:[0-9]+}/{list:favourited_by|reblogged_by}",
                    aw::get().to(statuses::who),
                )
                .route(
                    "/{id:[0-9]+}/{action:favourite|unfavourite|reblog|unreblog|bookmark|unbookmark|pin|unpin}",
                    aw::post().to(statuses::interact),
                ),
        )
        .service(
            aw::scope("/api/v1/timelines")
                .route("/home", aw::get().to(timelines::home))
                .route("/public", aw::get().to(timelines::public))
                .route("/tag/{hashtag}", aw::get().to(timelines::tag))
                .route("/list/{id:[0-9]+}", aw::get().to(timelines::list)),
        )
        .service(
            aw::scope("/api/v1/notifications")
                .route("", aw::get().to(notifications::list))
                .route("/clear", aw::post().to(notifications::clear))
                .route("/{id:[0-9]+}", aw::get().to(notifications::get))
                .route("/{id:[0-9]+}/dismiss", aw::post().to(notifications::dismiss)),
        )
        .service(
            aw::scope("/api/v1/follow_requests")
                .route("", aw::get().to(follows::requests))
                .route(
                    "/{id:[0-9]+}/{decision:authorize|reject}",
                    aw::post().to(follows::decide),
                ),
        )
        .route("/api/v1/filters", aw::get().to(filters::index_v1))
        .service(
            aw::scope("/api/v2/filters")
                .route("", aw::get().to(filters::index))
                .route("", aw::post().to(filters::create))
                .route("/{id:[0-9]+}", aw::get().to(filters::get))
                .route("/{id:[0-9]+}", aw::put().to(filters::update))
                .route("/{id:[0-9]+}", aw::delete().to(filters::delete))
                .route("/{id:[0-9]+}/keywords", aw::get().to(filters::keywords))
                .route("/{id:[0-9]+}/keywords", aw::post().to(filters::add_keyword))
                .route("/keywords/{id:[0-9]+}", aw::get().to(filters::get_keyword))
                .route("/keywords/{id:[0-9]+}", aw::put().to(filters::update_keyword))
                .route(
                    "/keywords/{id:[0-9]+}",
                    aw::delete().to(filters::delete_keyword),
                ),
        )
        .service(
            aw::scope("/api/v1/lists")
                .route("", aw::get().to(lists::index))
                .route("", aw::post().to(lists::create))
                .route("/{id:[0-9]+}", aw::get().to(lists::get))
                .route("/{id:[0-9]+}", aw::put().to(lists::update))
                .route("/{id:[0-9]+}", aw::delete().to(lists::delete))
                .route("/{id:[0-9]+}/accounts", aw::get().to(lists::members))
                .route("/{id:[0-9]+}/accounts", aw::post().to(lists::add_members))
                .route(
                    "/{id:[0-9]+}/accounts",
                    aw::delete().to(lists::remove_members),
                ),
        )
        .service(
            aw::scope("/api/v1/tags/{name}")
                .route("", aw::get().to(tags::get))
                .route("/follow", aw::post().to(tags::follow))
                .route("/unfollow", aw::post().to(tags::unfollow)),
        )
        // Guild's own API: communities, and bookmarks with notes and tags.
        .service(
            communities::routes()
                .route("/bookmarks", aw::get().to(bookmarks::list))
                .route("/bookmarks/{id:[0-9]+}", aw::put().to(bookmarks::annotate)),
        )
        .service(admin::routes());
}
