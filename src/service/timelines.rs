//! The timelines: which posts each one holds and which of them a viewer is shown. The client
//! API's timelines and the streaming API both ask here, so a stream shows exactly what the
//! matching timeline would.

use crate::db::DbConn;
use crate::domain::DomainPolicy;
use crate::error::Error;
use crate::service::{filters, statuses, visibility};
use crate::store::{
    accounts::Account,
    statuses::{self as status_store, Page, Status},
};

/// One timeline.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Feed {
    /// The viewer's home: their own posts, people they follow, communities they joined, tags
    /// they follow.
    Home,
    /// Public posts: `local` only local (`Some(true)`) or only remote (`Some(false)`) ones.
    Public {
        local: Option<bool>,
        only_media: bool,
    },
    Tag {
        tag: String,
        local: Option<bool>,
        only_media: bool,
    },
    /// One of the viewer's lists.
    List(i64),
}

impl Feed {
    /// The filter context that applies to it.
    pub fn context(&self) -> &'static str {
        match self {
            Feed::Home | Feed::List(_) => "home",
            Feed::Public { .. } | Feed::Tag { .. } => "public",
        }
    }
}

/// The rows of `feed` in `page`, before the viewer's visibility, blocks and filters. Home and
/// lists need a viewer (403 without one); a list must be the viewer's (404 otherwise).
pub fn rows(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    feed: &Feed,
    page: Page,
) -> Result<Vec<Status>, Error> {
    let signed_in = || viewer.ok_or_else(|| Error::Forbidden("This needs a user token".into()));
    match feed {
        Feed::Home => status_store::home(conn, signed_in()?.id, page),
        Feed::Public { local, only_media } => {
            let silenced = crate::store::policies::domains_with(conn, DomainPolicy::Silence)?;
            status_store::public(conn, (*local, *only_media), &silenced, page)
        }
        Feed::Tag {
            tag,
            local,
            only_media,
        } => crate::store::tags::timeline(conn, tag, (*local, *only_media), page),
        Feed::List(id) => {
            let list = crate::service::lists::owned(conn, signed_in()?.id, *id)?;
            crate::store::lists::timeline(conn, list.id, page)
        }
    }
}

/// What `viewer` is shown of `rows` in `context`: what they may see (visibility, blocks,
/// mutes, domain policies), each post once, without what their `hide` filters catch.
pub fn shown(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    context: &str,
    rows: Vec<Status>,
) -> Result<Vec<Status>, Error> {
    let visible = visibility::filter_visible(conn, viewer, rows)?;
    let mut visible = statuses::once_each(visible);
    if let Some(viewer) = viewer {
        filters::retain_shown(conn, viewer.id, &mut visible, context)?;
    }
    Ok(visible)
}

/// Whether post `id` is in `feed` as `viewer` is shown it, and the row if so: the timeline's
/// own query, narrowed to that one id.
pub fn shows(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    feed: &Feed,
    id: i64,
) -> Result<Option<Status>, Error> {
    let found = rows(conn, viewer, feed, Page::only(id))?;
    Ok(shown(conn, viewer, feed.context(), found)?.pop())
}

/// [`shows`] for a new post, which, as on a page, shows once, as its newest appearance: one
/// already boosted into the feed (a community's relay, committed with it) is shown as that
/// boost, not twice.
pub fn shows_new(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    feed: &Feed,
    id: i64,
) -> Result<Option<Status>, Error> {
    let Some(row) = shows(conn, viewer, feed, id)? else {
        return Ok(None);
    };
    if !matches!(feed, Feed::Home | Feed::List(_)) {
        return Ok(Some(row)); // public and tag timelines hold no boosts
    }
    let next = Page {
        max_id: None,
        since_id: None,
        min_id: Some(id),
        limit: 20,
    };
    let boosts: Vec<Status> = rows(conn, viewer, feed, next)?
        .into_iter()
        .filter(|s| s.reblog_of_id == Some(id))
        .collect();
    let boosted = !boosts.is_empty() && !shown(conn, viewer, feed.context(), boosts)?.is_empty();
    Ok((!boosted).then_some(row))
}

/// The messages of `viewer`'s conversations that new post `id` updates: none unless it is a
/// direct post they are in.
pub fn conversation_of(conn: &mut DbConn, viewer: &Account, id: i64) -> Result<Vec<Status>, Error> {
    let direct = status_store::by_id(conn, id)?
        .is_some_and(|s| s.visibility == crate::domain::Visibility::Direct);
    match direct {
        true => status_store::direct_of(conn, viewer.id, Page::only(id)),
        false => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    fn home(conn: &mut DbConn, viewer: &Account) -> Vec<String> {
        let page = Page {
            limit: 40,
            ..Page::default()
        };
        let rows = rows(conn, Some(viewer), &Feed::Home, page).unwrap();
        rows.into_iter().map(|s| s.source).collect()
    }

    /// Home is written as posts arrive and as sources come and go, and holds what the rule
    /// says: own posts, followed people's, joined communities', followed tags' public ones.
    #[test]
    fn home_follows_its_sources() {
        let fixture = Fixture::new();
        let conn = &mut *fixture.conn();
        let (ann, bob, cat) = (
            fixture.person(conn, "ann"),
            fixture.person(conn, "bob"),
            fixture.person(conn, "cat"),
        );
        let makers = fixture.community(conn, "makers", &cat);
        fixture.post(conn, &bob, "before the follow", None, None);
        fixture.post(conn, &ann, "my own", None, None);
        assert_eq!(home(conn, &ann), ["my own"]);

        // Following backfills; new posts arrive; direct posts of others do not.
        fixture.follow(conn, &ann, &bob);
        fixture.post(conn, &bob, "after the follow", None, None);
        assert_eq!(
            home(conn, &ann),
            ["after the follow", "my own", "before the follow"]
        );

        // A bulk load reaches homes as single posts do; a direct post stays out.
        let loaded: Vec<Status> = ["loaded one", "loaded two", "loaded secret"]
            .iter()
            .map(|text| {
                let id = crate::ids::next_id();
                let visibility = match text.contains("secret") {
                    true => crate::domain::Visibility::Direct,
                    false => crate::domain::Visibility::Public,
                };
                let mut status = Status::new(id, bob.id, format!("{id}"), visibility);
                status.source = text.to_string();
                status
            })
            .collect();
        crate::store::statuses::insert_batch(conn, &loaded).unwrap();
        assert_eq!(home(conn, &ann)[..2], ["loaded two", "loaded one"]);
        assert!(!home(conn, &ann).contains(&"loaded secret".to_string()));

        // A joined community's posts; a followed tag's public posts.
        fixture.follow(conn, &ann, &makers);
        fixture.post(conn, &cat, "in makers", Some(&makers), None);
        crate::service::tags::follow(conn, ann.id, "rust").unwrap();
        fixture.post(conn, &cat, "about #rust", None, None);
        let shown = home(conn, &ann);
        assert!(shown.contains(&"in makers".to_string()), "{shown:?}");
        assert!(shown.contains(&"about #rust".to_string()), "{shown:?}");

        // Unfollowing takes a source's posts out, but keeps those that belong another way.
        crate::service::follows::unfollow(conn, &fixture.config, &ann, &bob).unwrap();
        fixture.post(conn, &bob, "#rust from bob", None, None);
        let shown = home(conn, &ann);
        assert!(!shown.iter().any(|s| s.contains("follow")), "{shown:?}");
        assert!(shown.contains(&"#rust from bob".to_string()), "{shown:?}");
        crate::service::tags::unfollow(conn, ann.id, "rust").unwrap();
        let shown = home(conn, &ann);
        assert!(!shown.iter().any(|s| s.contains("rust")), "{shown:?}");
        assert!(shown.contains(&"my own".to_string()), "{shown:?}");
    }
}
