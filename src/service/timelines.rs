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
use std::collections::{HashMap, HashSet};

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

/// [`shows`], or [`shows_new`] for a `new` post, asked for many viewers at once, as a stream's
/// event asks it: which of `viewers` `feed` shows post `id` to. Home and the public and tag
/// timelines cost the same few queries however many viewers there are (home reads its rows,
/// the others their own query once, since it does not depend on the viewer); a list, which
/// only its owner reads, is asked viewer by viewer.
pub fn shown_to_each(
    conn: &mut DbConn,
    viewers: &[Account],
    feed: &Feed,
    (id, new): (i64, bool),
) -> Result<Vec<(i64, Status)>, Error> {
    let held: Vec<(i64, Status)> = match feed {
        Feed::List(_) => return one_by_one(conn, viewers, feed, (id, new)),
        Feed::Home => {
            let ids: Vec<i64> = viewers.iter().map(|v| v.id).collect();
            let holding = crate::store::home_feed::holding(conn, &ids, id)?;
            let mut wanted: Vec<i64> = holding.iter().map(|(_, status)| *status).collect();
            wanted.sort_unstable();
            wanted.dedup();
            let rows: HashMap<i64, Status> = status_store::by_ids(conn, &wanted)?
                .into_iter()
                .filter(|s| s.deleted_at.is_none() && s.removed_at.is_none())
                .map(|s| (s.id, s))
                .collect();
            let held = holding
                .into_iter()
                .filter(|(_, status)| new || *status == id);
            held.filter_map(|(viewer, status)| Some((viewer, rows.get(&status)?.clone())))
                .collect()
        }
        Feed::Public { .. } | Feed::Tag { .. } => {
            let rows = rows(conn, None, feed, Page::only(id))?;
            let each = viewers
                .iter()
                .map(|v| rows.iter().map(|r| (v.id, r.clone())));
            each.flatten().collect()
        }
    };
    let mut shown = shown_each(conn, viewers, feed.context(), held)?;
    // As in `shows_new`: a post already boosted into a home shows as that boost, not twice.
    let boosted: HashSet<i64> = shown
        .iter()
        .filter(|(_, s)| s.reblog_of_id == Some(id))
        .map(|(viewer, _)| *viewer)
        .collect();
    shown.retain(|(viewer, s)| s.id == id && !boosted.contains(viewer));
    Ok(shown)
}

/// [`shows`] or [`shows_new`] for each of `viewers` in turn.
fn one_by_one(
    conn: &mut DbConn,
    viewers: &[Account],
    feed: &Feed,
    (id, new): (i64, bool),
) -> Result<Vec<(i64, Status)>, Error> {
    let shows = match new {
        true => shows_new,
        false => shows,
    };
    let mut shown = Vec::new();
    for viewer in viewers {
        match shows(conn, Some(viewer), feed, id) {
            Ok(Some(row)) => shown.push((viewer.id, row)),
            Ok(None) => {}
            // A list that is gone (or never was the viewer's) shows nothing.
            Err(Error::NotFound) if matches!(feed, Feed::List(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(shown)
}

/// [`shown`] for (viewer, row) pairs: which of them the viewer is shown in `context`, with
/// blocks, mutes and filters read once for all the viewers of each row.
fn shown_each(
    conn: &mut DbConn,
    viewers: &[Account],
    context: &str,
    held: Vec<(i64, Status)>,
) -> Result<Vec<(i64, Status)>, Error> {
    let by_id: HashMap<i64, &Account> = viewers.iter().map(|v| (v.id, v)).collect();
    let mut audiences: HashMap<i64, (Status, Vec<Account>)> = HashMap::new();
    for (viewer, row) in held {
        let Some(&account) = by_id.get(&viewer) else {
            continue;
        };
        let (_, audience) = audiences.entry(row.id).or_insert_with(|| (row, Vec::new()));
        audience.push(account.clone());
    }
    let ids: Vec<i64> = viewers.iter().map(|v| v.id).collect();
    let matchers = filters::Matcher::load_each(conn, &ids)?;
    let mut shown = Vec::new();
    for (row, audience) in audiences.into_values() {
        let seen = visibility::seen_by(conn, &audience, &row)?;
        // A boost is filtered by what it boosts.
        let boosted = match row.reblog_of_id {
            Some(id) if !matchers.is_empty() => status_store::by_id(conn, id)?,
            _ => None,
        };
        let judged = boosted.as_ref().unwrap_or(&row);
        for viewer in seen {
            let hidden = matchers
                .get(&viewer)
                .is_some_and(|m| m.hides(judged, context));
            if !hidden {
                shown.push((viewer, row.clone()));
            }
        }
    }
    Ok(shown)
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

    /// A stream asks for all its viewers at once what each one's timeline would show them:
    /// the answers are those of `shows` and `shows_new` asked viewer by viewer, through
    /// blocks either way, mutes, a hiding filter, followers-only posts and a boost.
    #[test]
    fn shown_to_each_answers_as_each_viewer_alone() {
        use crate::service::{blocks, filters as filter_service, statuses::NewPost};
        let fixture = Fixture::new();
        let conn = &mut *fixture.conn();
        let names = ["ann", "bob", "cat", "dan", "eve", "fay", "hal"];
        let people: Vec<Account> = names.iter().map(|n| fixture.person(conn, n)).collect();
        let [ann, bob, cat, dan, eve, fay, hal] = &people[..] else {
            unreachable!()
        };
        for follower in [bob, cat, dan, eve, hal] {
            fixture.follow(conn, follower, ann);
        }
        blocks::block(conn, &fixture.config, ann, cat).unwrap();
        blocks::block(conn, &fixture.config, hal, ann).unwrap();
        blocks::mute(conn, dan, ann, false).unwrap();
        let hide = filter_service::FilterChange {
            title: Some("no secrets".into()),
            context: Some(vec!["home".into(), "public".into()]),
            filter_action: Some("hide".into()),
            keywords: vec![filter_service::KeywordChange {
                keyword: Some("secret".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        filter_service::create(conn, eve.id, &hide).unwrap();
        let hello = fixture.post(conn, ann, "hello", None, None);
        let secret = fixture.post(conn, ann, "a secret", None, None);
        let private = NewPost {
            text: "for followers".into(),
            ..NewPost::new(crate::domain::Visibility::Private)
        };
        let private = statuses::create(conn, &fixture.config, ann, private).unwrap();
        crate::service::interactions::reblog(conn, &fixture.config, bob, hello.id).unwrap();

        let feeds = [
            Feed::Home,
            Feed::Public {
                local: None,
                only_media: false,
            },
            Feed::Public {
                local: Some(true),
                only_media: false,
            },
        ];
        let mut answered = 0;
        for post in [&hello, &secret, &private] {
            for feed in &feeds {
                for new in [true, false] {
                    let batched = shown_to_each(conn, &people, feed, (post.id, new)).unwrap();
                    let mut batched: Vec<(i64, i64)> =
                        batched.into_iter().map(|(v, s)| (v, s.id)).collect();
                    batched.sort_unstable();
                    let alone = one_by_one(conn, &people, feed, (post.id, new)).unwrap();
                    let mut alone: Vec<(i64, i64)> =
                        alone.into_iter().map(|(v, s)| (v, s.id)).collect();
                    alone.sort_unstable();
                    assert_eq!(batched, alone, "{} in {feed:?}, new: {new}", post.source);
                    answered += batched.len();
                }
            }
        }
        assert!(answered > 0);
        // And what that is, for a new post in home: its author and the followers who neither
        // block, are blocked, mute nor filter it; bob has it as his own boost already.
        let home_of = |conn: &mut DbConn, post: &Status| -> Vec<i64> {
            let shown = shown_to_each(conn, &people, &Feed::Home, (post.id, true)).unwrap();
            let mut viewers: Vec<i64> = shown.into_iter().map(|(v, _)| v).collect();
            viewers.sort_unstable();
            viewers
        };
        assert_eq!(home_of(conn, &hello), [ann.id, eve.id]);
        assert_eq!(home_of(conn, &secret), [ann.id, bob.id]);
        assert_eq!(home_of(conn, &private), [ann.id, bob.id, eve.id]);
        let public = Feed::Public {
            local: None,
            only_media: false,
        };
        let shown = shown_to_each(conn, &people, &public, (private.id, true)).unwrap();
        assert!(shown.is_empty());
        let shown = shown_to_each(conn, &people, &public, (hello.id, true)).unwrap();
        let mut viewers: Vec<i64> = shown.into_iter().map(|(v, _)| v).collect();
        viewers.sort_unstable();
        assert_eq!(viewers, [ann.id, bob.id, eve.id, fay.id]);
    }
}
