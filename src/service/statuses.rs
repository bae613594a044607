//! Posting, editing and deleting by local people (posts from other servers are kept by
//! `service::received`). Every change queues its activity for the author's followers, the
//! parent's author and the community in the same transaction.

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::domain::{NotificationKind, Visibility};
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::{activity, note};
use crate::service::{communities, notifications, text};
use crate::store::{
    accounts::{self as account_store, Account},
    follows,
    statuses::{self as status_store, Status, StatusEdit},
};

pub const MAX_CHARS: usize = 5000;

/// What a local author writes.
pub struct NewPost {
    pub text: String,
    pub title: Option<String>,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub in_reply_to_id: Option<i64>,
    /// Post into this community (a thread there, or a comment when replying).
    pub community: Option<Account>,
    /// Accounts mentioned in the text, already resolved; a mentioned community that is not
    /// given as `community` becomes it, so Mastodon apps post into communities by mention.
    pub mentions: Vec<Account>,
    /// The poster's own unattached uploads to attach, in order.
    pub media_ids: Vec<i64>,
    pub poll: Option<super::polls::NewPoll>,
    /// Ask the thread as a question, whose answer can be accepted.
    pub question: bool,
}

impl NewPost {
    /// A post with nothing in it yet but its visibility; callers set what it has.
    pub fn new(visibility: Visibility) -> NewPost {
        NewPost {
            text: String::new(),
            title: None,
            spoiler_text: String::new(),
            sensitive: false,
            visibility,
            in_reply_to_id: None,
            community: None,
            mentions: Vec::new(),
            media_ids: Vec::new(),
            poll: None,
            question: false,
        }
    }
}

fn validate(post: &NewPost) -> Result<(), Error> {
    if post.poll.is_some() && !post.media_ids.is_empty() {
        return Err(Error::Unprocessable(
            "a post may have attachments or a poll, not both".into(),
        ));
    }
    if post.text.trim().is_empty() && post.media_ids.is_empty() {
        return Err(Error::Unprocessable("text can't be blank".into()));
    }
    if post.text.chars().count() > MAX_CHARS {
        return Err(Error::Unprocessable(format!(
            "text is longer than {MAX_CHARS} characters"
        )));
    }
    let long_title = post.title.as_ref().is_some_and(|t| t.chars().count() > 300);
    if post.spoiler_text.chars().count() > 500 || long_title {
        return Err(Error::Unprocessable(
            "spoiler_text is limited to 500 characters and title to 300".into(),
        ));
    }
    // Members-only is the community's to decide, not the poster's.
    if post.visibility == Visibility::Members {
        return Err(unknown_visibility());
    }
    Ok(())
}

fn unknown_visibility() -> Error {
    Error::Unprocessable("visibility must be one of public, unlisted, private, direct".into())
}

/// The visibility a poster asks for by name.
pub fn chosen_visibility(name: &str) -> Result<Visibility, Error> {
    match name.parse() {
        Ok(Visibility::Members) | Err(_) => Err(unknown_visibility()),
        Ok(visibility) => Ok(visibility),
    }
}

/// Where a status's activities go: the author's remote followers, the parent's author, the
/// people mentioned and the community (a remote one directly; a local one relays to its members).
fn recipients(conn: &mut DbConn, status: &Status) -> Result<Vec<String>, Error> {
    // A members-only post goes to its community alone, which passes it on to its members.
    if status.visibility == Visibility::Members {
        let community = match status.community_id {
            Some(id) => account_store::by_id(conn, id)?.filter(|c| !c.is_local()),
            None => None,
        };
        return Ok(community
            .map(|c| c.shared_inbox_url.clone().unwrap_or(c.inbox_url))
            .into_iter()
            .collect());
    }
    let mut inboxes = if status.visibility == Visibility::Direct {
        Vec::new()
    } else {
        follows::remote_follower_inboxes(conn, status.account_id)?
    };
    let mentioned = crate::store::mentions::of_statuses(conn, &[status.id])?
        .into_iter()
        .map(|(_, a)| a);
    let addressed = [status.in_reply_to_account_id, status.community_id]
        .into_iter()
        .flatten();
    for account_id in addressed.chain(mentioned) {
        if let Some(account) = account_store::by_id(conn, account_id)?.filter(|a| !a.is_local()) {
            inboxes.push(
                account
                    .shared_inbox_url
                    .clone()
                    .unwrap_or(account.inbox_url.clone()),
            );
        }
    }
    Ok(inboxes)
}

/// Queue `kind` (Create, Update or Delete) of `status` by its local author, and have a local
/// community pass it on to its members.
pub(super) fn federate(
    conn: &mut DbConn,
    config: &Config,
    author: &Account,
    status: &Status,
    kind: &str,
) -> Result<(), Error> {
    let document = super::documents::document(conn, status)?;
    // A deletion is addressed as the post was, or peers (Lemmy) refuse it as not public.
    let object = match kind {
        "Delete" => note::tombstone(status, &document),
        _ => document,
    };
    let activity = activity::wrap(config, next_id(), kind, &author.ap_id, object);
    let inboxes = recipients(conn, status)?;
    let inboxes: Vec<&str> = inboxes.iter().map(String::as_str).collect();
    delivery::enqueue(conn, config, author, &activity, &inboxes)?;
    if let Some(community) = local_community(conn, status)? {
        communities::relay(conn, config, &community, &activity, status)?;
    }
    Ok(())
}

fn local_community(conn: &mut DbConn, status: &Status) -> Result<Option<Account>, Error> {
    Ok(match status.community_id {
        Some(id) => account_store::by_id(conn, id)?.filter(|a| a.is_local()),
        None => None,
    })
}

/// The people mentioned, and the person replied to, are told (once each).
pub(super) fn notify_mentions(conn: &mut DbConn, status: &Status) -> Result<(), Error> {
    let mut told: Vec<i64> = crate::store::mentions::of_statuses(conn, &[status.id])?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    // A direct reply reaches only the people it mentions.
    if status.visibility != Visibility::Direct {
        told.extend(status.in_reply_to_account_id);
    }
    told.sort();
    told.dedup();
    for account_id in told {
        notifications::notify(
            conn,
            account_id,
            status.account_id,
            NotificationKind::Mention,
            Some(status.id),
        )?;
    }
    Ok(())
}

/// People who boosted an edited status are told, as Mastodon does.
pub(super) fn notify_update(conn: &mut DbConn, status: &Status) -> Result<(), Error> {
    for booster in crate::store::boosts::reblogger_ids(conn, status.id, 200)? {
        notifications::notify(
            conn,
            booster,
            status.account_id,
            NotificationKind::Update,
            Some(status.id),
        )?;
    }
    Ok(())
}

/// A local person posts.
pub fn create(
    conn: &mut DbConn,
    config: &Config,
    author: &Account,
    post: NewPost,
) -> Result<Status, Error> {
    validate(&post)?;
    crate::db::transaction(conn, |conn| {
        let parent = match post.in_reply_to_id {
            Some(id) => Some(
                status_store::by_id(conn, id)?
                    .filter(|p| p.deleted_at.is_none())
                    .filter(|p| {
                        crate::service::visibility::can_see(conn, Some(author), p).unwrap_or(false)
                    })
                    .ok_or(Error::NotFound)?,
            ),
            None => None,
        };
        // A comment belongs to its thread's community; a post names one directly or by
        // mentioning it.
        let mentioned_group = post.mentions.iter().find(|a| a.is_group()).map(|c| c.id);
        let community_id = parent
            .as_ref()
            .and_then(|p| p.community_id)
            .or(post.community.as_ref().map(|c| c.id))
            .or(mentioned_group);
        // A direct post stays between the people it names, even in a community's thread.
        let community_id = community_id.filter(|_| post.visibility != Visibility::Direct);
        let mut visibility = post.visibility;
        if let Some(community_id) = community_id {
            let community = account_store::by_id(conn, community_id)?.ok_or(Error::NotFound)?;
            visibility =
                communities::admit_post(conn, &community, author, parent.as_ref(), visibility)?;
        }
        let id = next_id();
        let ap_id = format!("{}/statuses/{id}", config.base_url());
        let status = Status {
            community_id,
            in_reply_to_id: parent.as_ref().map(|p| p.id),
            in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
            thread_root_id: parent.as_ref().map(|p| p.thread_root_id.unwrap_or(p.id)),
            url: Some(ap_id.clone()),
            title: post.title.filter(|t| !t.trim().is_empty()),
            content: text::render(
                &post.text,
                &post.mentions,
                &config.base_url(),
                &config.domain,
            ),
            source: post.text,
            spoiler_text: post.spoiler_text,
            sensitive: post.sensitive,
            local: true,
            ..Status::new(id, author.id, ap_id, visibility)
        };
        status_store::insert(conn, &status)?;
        super::media::attach(conn, author, status.id, &post.media_ids)?;
        if let Some(poll) = &post.poll {
            super::polls::create(conn, status.id, poll)?;
        }
        if post.question {
            super::questions::ask(conn, &status)?;
        }
        super::cards::link_post(conn, status.id, &status.content, None)?;
        let mentioned: Vec<i64> = post.mentions.iter().map(|a| a.id).collect();
        crate::store::mentions::insert(conn, status.id, &mentioned)?;
        crate::store::tags::insert(conn, status.id, &text::hashtags(&status.source))?;
        crate::store::status_counts::count_post(conn, &status, true)?;
        notify_mentions(conn, &status)?;
        federate(conn, config, author, &status, "Create")?;
        Ok(status)
    })
}

/// What a local author changes in an edit.
#[derive(Default)]
pub struct Change {
    /// The new text; None keeps it.
    pub text: Option<String>,
    /// A new title for a thread; None keeps the title.
    pub title: Option<String>,
    /// The attachments, in order; None keeps them.
    pub media_ids: Option<Vec<i64>>,
    /// New alt text and focal points of the post's attachments.
    pub media_attributes: Vec<(i64, super::media::Details)>,
    /// Ask the thread as a question from now on (a question stays one).
    pub ask: bool,
}

/// The local author edits a status: text, title, attachments.
pub fn edit(
    conn: &mut DbConn,
    config: &Config,
    author: &Account,
    status_id: i64,
    change: Change,
) -> Result<Status, Error> {
    let new_text = change.text.as_deref();
    if new_text.is_some_and(|t| t.chars().count() > MAX_CHARS) {
        return Err(Error::Unprocessable(format!(
            "text is longer than {MAX_CHARS} characters"
        )));
    }
    crate::db::transaction(conn, |conn| {
        let status = own_status(conn, author, status_id)?;
        let kept = new_text.map_or_else(|| status.source.clone(), str::to_string);
        let text = kept.as_str();
        crate::store::versions::keep_version(conn, &status)?;
        let ids = change.media_ids.as_deref();
        super::media::reattach(conn, author, status.id, ids, &change.media_attributes)?;
        let has_media = !crate::store::media::of_statuses(conn, &[status.id])?.is_empty();
        if text.trim().is_empty() && !has_media {
            return Err(Error::Unprocessable("text can't be blank".into()));
        }
        let edit = StatusEdit {
            title: change.title.or(status.title.clone()),
            content: text::render(
                text,
                &mentioned_accounts(conn, status.id)?,
                &config.base_url(),
                &config.domain,
            ),
            source: text.to_string(),
            spoiler_text: status.spoiler_text.clone(),
            sensitive: status.sensitive,
            edited_at: Some(crate::time::now()),
        };
        status_store::edit(conn, status.id, &edit)?;
        let status = status_store::by_id(conn, status.id)?.ok_or(Error::NotFound)?;
        if change.ask {
            super::questions::ask(conn, &status)?;
        }
        super::cards::link_post(conn, status.id, &status.content, None)?;
        crate::store::tags::replace(conn, status.id, &text::hashtags(text))?;
        notify_update(conn, &status)?;
        federate(conn, config, author, &status, "Update")?;
        Ok(status)
    })
}

/// The local author deletes a status; other servers are told to delete their copies.
pub fn delete(
    conn: &mut DbConn,
    config: &Config,
    author: &Account,
    status_id: i64,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        let status = own_status(conn, author, status_id)?;
        status_store::mark_deleted(conn, status.id, crate::time::now())?;
        crate::store::status_counts::count_post(conn, &status, false)?;
        federate(conn, config, author, &status, "Delete")
    })
}

fn mentioned_accounts(conn: &mut DbConn, status_id: i64) -> Result<Vec<Account>, Error> {
    let ids: Vec<i64> = crate::store::mentions::of_statuses(conn, &[status_id])?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    account_store::by_ids(conn, &ids)
}

fn own_status(conn: &mut DbConn, author: &Account, status_id: i64) -> Result<Status, Error> {
    status_store::by_id(conn, status_id)?
        .filter(|s| s.account_id == author.id && s.deleted_at.is_none())
        .ok_or(Error::NotFound)
}

/// A page in which each post appears once, however many ways it came (a post and a
/// community's boost of it, say): its newest appearance, which is the boost. Pages are
/// deduplicated one at a time, so an original may still show on the next page.
pub fn once_each(rows: Vec<Status>) -> Vec<Status> {
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|s| seen.insert(s.reblog_of_id.unwrap_or(s.id)))
        .collect()
}

/// Most statuses a person may pin to their profile, as on Mastodon.
const MAX_PINS: usize = 5;

/// A person pins one of their own (not direct) statuses to their profile, or unpins it.
pub fn pin_to_profile(
    conn: &mut DbConn,
    author: &Account,
    status_id: i64,
    pin: bool,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        let status = own_status(conn, author, status_id)?;
        if !pin {
            return status_store::set_profile_pinned(conn, status.id, None);
        }
        if status.visibility == Visibility::Direct || status.reblog_of_id.is_some() {
            return Err(Error::Unprocessable(
                "direct messages and boosts cannot be pinned".into(),
            ));
        }
        if status.profile_pinned_at.is_none()
            && status_store::profile_pinned(conn, author.id)?.len() >= MAX_PINS
        {
            return Err(Error::Unprocessable(format!(
                "at most {MAX_PINS} statuses may be pinned"
            )));
        }
        status_store::set_profile_pinned(conn, status.id, Some(crate::time::now()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn a_community_post_reaches_members_once_as_the_community_boost() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob) = (f.person(conn, "ann"), f.person(conn, "bob"));
        let practice = f.community(conn, "practice", &ann);
        f.follow(conn, &bob, &practice);
        f.follow(conn, &bob, &ann);
        let thread = f.post(
            conn,
            &ann,
            "How do we deploy?",
            Some(&practice),
            Some("Deploys"),
        );
        let page = status_store::Page {
            limit: 20,
            ..Default::default()
        };
        let home = once_each(status_store::home(conn, bob.id, page).unwrap());
        assert_eq!(home.len(), 1, "one appearance: {home:?}");
        assert_eq!(home[0].account_id, practice.id);
        assert_eq!(home[0].reblog_of_id, Some(thread.id));
        let counted = status_store::by_id(conn, thread.id).unwrap().unwrap();
        assert_eq!(
            counted.reblogs_count, 0,
            "a community's relay is no person's boost"
        );
        assert!(crate::service::visibility::can_see(conn, Some(&bob), &home[0]).unwrap());
        // Muting the community hides its boosts, not the posts of people bob follows.
        crate::service::blocks::mute(conn, &bob, &practice, false).unwrap();
        let rows = status_store::home(conn, bob.id, page).unwrap();
        let visible = crate::service::visibility::filter_visible(conn, Some(&bob), rows);
        let home = once_each(visible.unwrap());
        assert_eq!(home.len(), 1, "{home:?}");
        assert_eq!(home[0].id, thread.id, "ann's own post, not the muted boost");
    }

    #[test]
    fn direct_messages_count_nowhere_that_others_see() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob) = (f.person(conn, "ann"), f.person(conn, "bob"));
        let practice = f.community(conn, "practice", &ann);
        f.follow(conn, &bob, &practice);
        let thread = f.post(
            conn,
            &ann,
            "Deploy on Fridays?",
            Some(&practice),
            Some("Deploys"),
        );
        // What anyone reading the thread, bob's profile or the community's page sees.
        let seen = |conn: &mut DbConn| {
            let thread = status_store::by_id(conn, thread.id).unwrap().unwrap();
            let bob = crate::store::accounts::by_id(conn, bob.id)
                .unwrap()
                .unwrap();
            let activity = crate::store::thread_activity::page(conn, practice.id, None, 1);
            (
                thread.replies_count,
                bob.statuses_count,
                bob.last_status_at,
                activity.unwrap(),
            )
        };
        let before = seen(conn);
        let reply = |visibility| NewPost {
            text: "@ann never".into(),
            in_reply_to_id: Some(thread.id),
            mentions: vec![ann.clone()],
            ..NewPost::new(visibility)
        };
        let whisper = create(conn, &f.config, &bob, reply(Visibility::Direct)).unwrap();
        assert_eq!(seen(conn), before, "a direct reply shows nowhere");
        // Nor once recounted from the statuses, as after a bulk load.
        crate::store::status_counts::refresh_account_counts(conn, bob.id).unwrap();
        crate::store::status_counts::refresh_replies_count(conn, thread.id).unwrap();
        crate::store::thread_activity::rebuild(conn).unwrap();
        assert_eq!(seen(conn), before, "nor after a recount");
        delete(conn, &f.config, &bob, whisper.id).unwrap();
        assert_eq!(seen(conn), before, "nor does deleting it");

        let said = create(conn, &f.config, &bob, reply(Visibility::Public)).unwrap();
        let (replies, posts, last, activity) = seen(conn);
        assert_eq!((replies, posts), (before.0 + 1, before.1 + 1));
        assert_eq!(last, Some(said.created_at));
        assert_eq!(activity, [(thread.id, said.id)]);
    }

    #[test]
    fn a_deleted_post_takes_its_boosts_with_it() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob, cat) = (
            f.person(conn, "ann"),
            f.person(conn, "bob"),
            f.person(conn, "cat"),
        );
        let practice = f.community(conn, "practice", &ann);
        f.follow(conn, &cat, &bob);
        let thread = f.post(conn, &ann, "Deploys?", Some(&practice), Some("Deploys"));
        let posts_of = |conn: &mut DbConn, id| {
            let account = crate::store::accounts::by_id(conn, id).unwrap().unwrap();
            account.statuses_count
        };
        let before = posts_of(conn, bob.id);
        for person in [&bob, &cat] {
            crate::service::interactions::reblog(conn, &f.config, person, thread.id).unwrap();
        }
        assert_eq!(posts_of(conn, bob.id), before + 1);
        let boosts = |conn: &mut DbConn| {
            use crate::db::schema::statuses;
            use diesel::prelude::*;
            let boosts = statuses::table
                .filter(statuses::reblog_of_id.eq(thread.id))
                .select(statuses::id);
            boosts.load::<i64>(conn).unwrap()
        };
        let mut standing = boosts(conn);
        assert_eq!(standing.len(), 3, "bob's, cat's and the community's");
        crate::events::discard();

        delete(conn, &f.config, &ann, thread.id).unwrap();

        assert_eq!(
            boosts(conn),
            Vec::<i64>::new(),
            "boosts of a deleted post stay"
        );
        assert_eq!(posts_of(conn, bob.id), before, "bob's boost still counts");
        let page = status_store::Page {
            limit: 20,
            ..Default::default()
        };
        let home = crate::store::home_feed::page(conn, cat.id, page).unwrap();
        assert!(home.iter().all(|id| !standing.contains(id)), "{home:?}");
        let mut told: Vec<i64> = crate::events::take_ready()
            .into_iter()
            .filter_map(|e| match e {
                crate::events::Event::Deleted { id, boost_of } => {
                    (boost_of == Some(thread.id)).then_some(id)
                }
                _ => None,
            })
            .collect();
        told.sort_unstable();
        standing.sort_unstable();
        assert_eq!(told, standing, "streams are told of each boost going");
    }

    #[test]
    fn posters_choose_among_mastodon_visibilities_only() {
        assert_eq!(chosen_visibility("unlisted").unwrap(), Visibility::Unlisted);
        for name in ["members", "everyone"] {
            let refused = chosen_visibility(name);
            assert!(matches!(refused, Err(Error::Unprocessable(_))), "{name}");
        }
    }
}
