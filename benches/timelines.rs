//! Prints how long the client API takes to answer the lists people read all day — home,
//! public, hashtag, an account's or a community's statuses, a long thread, notifications,
//! bookmarks, favourites, follows, the directory, conversations, full-text search — on a database of
//! `BENCH_POSTS` statuses (1,000,000 unless set) by `BENCH_ACCOUNTS` authors (1,000) in 26
//! communities: p50, p99 and max of `BENCH_REQUESTS` sequential requests per case (200), for
//! the first page and for a deep one (`max_id` in the middle of the seeded ids), and the
//! server's resident memory. The database is seeded fresh through the real schema and the
//! store's own functions; the server is the release binary in its own process.
//!
//! Run: `cargo bench --bench timelines` (SQLite in a temporary directory), or with
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` to create, use and drop a
//! database `guild_bench_<pid>` on that server (`BENCH_KEEP=1` keeps it, to read plans
//! with `psql`). Small: `BENCH_POSTS=20000 BENCH_REQUESTS=20`.
//! `BENCH_ONLY=context` runs only the cases whose names contain that text. After the
//! figures it prints the query plans of the lists (see `plans`).

#[path = "timelines/plans.rs"]
mod plans;
#[path = "support/mod.rs"]
mod support;

use chrono::{Duration as Span, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use guild::db::{schema, Db, DbConn};
use guild::domain::{
    AccountKind, CommunityVisibility, FollowState, MediaKind, MembershipPolicy, NotificationKind,
    PostingPolicy, Visibility,
};
use guild::error::Error;
use guild::store::{self, statuses::Status};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::{create_people, percentile, remote_account, settings, Api, BenchDb, Server};

/// Local people who read: `busy` follows many authors, `quiet` a few who seldom post,
/// `member` joined only quiet communities, `reader` the big one, `tagfan` follows #bench.
const VIEWERS: [&str; 5] = ["busy", "quiet", "member", "reader", "tagfan"];
/// A local person who writes, so that `?local=true` has something to find.
const WRITER: &str = "writer";
const TAG: &str = "bench";
const QUIET_AUTHORS: usize = 5;
const QUIET_AUTHOR_POSTS: usize = 10;
const QUIET_COMMUNITIES: usize = 5;
const QUIET_COMMUNITY_POSTS: usize = 50;
const OTHER_COMMUNITIES: usize = 20;
const BUSY_FOLLOWS: usize = 50;
/// Remote authors following `busy`, for its followers list.
const BUSY_FOLLOWERS: usize = 100;
const THREAD_REPLIES: usize = 1000;
const DIRECT_POSTS: usize = 200;
const NOTIFICATIONS: usize = 3000;
const MARKS: usize = 300;
/// Statuses written per transaction.
const BATCH: usize = 10_000;
/// A token is good for 300 API requests per five minutes; a fresh one is taken before that.
const REQUESTS_PER_TOKEN: usize = 250;

#[derive(Clone, Copy)]
struct Sizes {
    posts: usize,
    accounts: usize,
    requests: usize,
}

fn sizes() -> Sizes {
    let read = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.replace('_', "").parse().ok())
            .unwrap_or(default)
    };
    Sizes {
        posts: read("BENCH_POSTS", 1_000_000),
        // Quiet authors plus those `busy` follows and those who follow it.
        accounts: read("BENCH_ACCOUNTS", 1000).max(QUIET_AUTHORS + BUSY_FOLLOWERS + 1),
        requests: read("BENCH_REQUESTS", 200).max(1),
    }
}

/// A time-ordered id for something made at `at`, as `guild::ids` makes them (milliseconds in
/// the high 48 bits), never below `after`.
fn id_at(at: NaiveDateTime, after: i64) -> i64 {
    ((at.and_utc().timestamp_millis()) << 16).max(after + 1)
}

/// An author: its id, and the prefix of its posts' ids.
#[derive(Clone)]
struct Author {
    id: i64,
    posts_at: String,
}

/// What was seeded, for the cases to address.
struct World {
    viewers: HashMap<&'static str, i64>,
    /// The lists of `busy` and of `quiet`.
    lists: [i64; 2],
    writer: Author,
    /// The first `QUIET_AUTHORS` post seldom; the others share the rest.
    authors: Vec<Author>,
    big_community: i64,
    quiet_communities: Vec<i64>,
    other_communities: Vec<i64>,
    thread_root: i64,
    /// The id of the status in the middle of the seeded ones, for deep pages.
    middle_id: i64,
    /// Public statuses outside communities, to notify, bookmark and favourite.
    public_ids: Vec<i64>,
}

impl World {
    fn busy_authors(&self) -> &[Author] {
        &self.authors[QUIET_AUTHORS..]
    }
}

fn insert_authors(conn: &mut DbConn, count: usize) -> Result<Vec<Author>, Error> {
    guild::db::transaction(conn, |conn| {
        let mut authors = Vec::with_capacity(count);
        for i in 0..count {
            let origin = format!("https://remote{}.example", i % 50);
            let account =
                remote_account(AccountKind::Person, &format!("author{i}"), &origin, "users");
            store::accounts::insert(conn, &account)?;
            authors.push(Author {
                id: account.id,
                posts_at: format!("{}/statuses/", account.ap_id),
            });
        }
        Ok(authors)
    })
}

/// A remote community (a group account and its settings row), as `upsert_remote` keeps one.
fn insert_community(conn: &mut DbConn, name: &str, domain: &str) -> Result<i64, Error> {
    let account = remote_account(AccountKind::Group, name, &format!("https://{domain}"), "c");
    store::accounts::insert(conn, &account)?;
    store::communities::insert(
        conn,
        &store::communities::Community {
            account_id: account.id,
            membership_policy: MembershipPolicy::Open,
            posting_policy: PostingPolicy::Members,
            visibility: CommunityVisibility::Public,
            rules: "[]".into(),
            moderators_url: Some(format!("{}/moderators", account.ap_id)),
            created_by: None,
            created_at: account.created_at,
        },
    )?;
    Ok(account.id)
}

fn follow(conn: &mut DbConn, from: i64, to: i64) -> Result<(), Error> {
    let follow = store::follows::Follow {
        id: guild::ids::next_id(),
        account_id: from,
        target_account_id: to,
        state: FollowState::Accepted,
        ap_id: None,
        created_at: guild::time::now(),
    };
    store::follows::insert(conn, &follow)
}

/// Accounts, communities and every follow, before any status: homes written as posts
/// arrive must already know who follows whom.
fn seed_accounts(conn: &mut DbConn, sizes: &Sizes) -> Result<World, Error> {
    let mut viewers = HashMap::new();
    for name in VIEWERS {
        let account = store::accounts::local_by_username(conn, name)?.ok_or(Error::NotFound)?;
        viewers.insert(name, account.id);
    }
    let writer = store::accounts::local_by_username(conn, WRITER)?.ok_or(Error::NotFound)?;
    let writer = Author {
        id: writer.id,
        posts_at: writer
            .ap_id
            .replace(&format!("/users/{WRITER}"), "/statuses/"),
    };
    let authors = insert_authors(conn, sizes.accounts)?;
    let (world, follows) = guild::db::transaction(conn, |conn| {
        let community = |conn: &mut DbConn, name: String, i: usize| {
            insert_community(conn, &name, &format!("lemmy{}.example", i % 5))
        };
        let big_community = community(conn, "bigcommunity".into(), 0)?;
        let quiet_communities = (0..QUIET_COMMUNITIES)
            .map(|i| community(conn, format!("quietcommunity{i}"), i))
            .collect::<Result<Vec<_>, _>>()?;
        let other_communities = (0..OTHER_COMMUNITIES)
            .map(|i| community(conn, format!("community{i}"), i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut follows = Vec::new();
        let busy_followed = &authors[QUIET_AUTHORS..QUIET_AUTHORS + BUSY_FOLLOWS];
        follows.extend(busy_followed.iter().map(|a| (viewers["busy"], a.id)));
        follows.extend(
            authors[..QUIET_AUTHORS]
                .iter()
                .map(|a| (viewers["quiet"], a.id)),
        );
        follows.extend(quiet_communities.iter().map(|c| (viewers["member"], *c)));
        follows.push((viewers["reader"], big_community));
        let busy_followers = &authors[QUIET_AUTHORS..QUIET_AUTHORS + BUSY_FOLLOWERS];
        follows.extend(busy_followers.iter().map(|a| (a.id, viewers["busy"])));
        for (from, to) in &follows {
            follow(conn, *from, *to)?;
        }
        store::tags::follow(conn, guild::ids::next_id(), viewers["tagfan"], TAG)?;
        // `busy` lists the busy authors it follows, `quiet` the quiet ones.
        let busy_list = list(conn, viewers["busy"], busy_followed)?;
        let quiet_list = list(conn, viewers["quiet"], &authors[..QUIET_AUTHORS])?;
        let world = World {
            lists: [busy_list, quiet_list],
            viewers,
            writer,
            authors,
            big_community,
            quiet_communities,
            other_communities,
            thread_root: 0,
            middle_id: 0,
            public_ids: Vec::new(),
        };
        Ok((world, follows.len()))
    })?;
    println!(
        "  {} authors, {} communities, {follows} follows, 1 followed tag",
        sizes.accounts,
        1 + QUIET_COMMUNITIES + OTHER_COMMUNITIES
    );
    Ok(world)
}

/// A list of `owner`'s holding `members`.
fn list(conn: &mut DbConn, owner: i64, members: &[Author]) -> Result<i64, Error> {
    let id = guild::ids::next_id();
    let list = store::lists::List {
        id,
        account_id: owner,
        title: "bench".into(),
        replies_policy: "list".into(),
        exclusive: false,
        created_at: Utc::now().naive_utc(),
    };
    store::lists::insert(conn, &list)?;
    let members: Vec<i64> = members.iter().map(|a| a.id).collect();
    store::lists::add_members(conn, id, &members)?;
    Ok(id)
}

/// What one seeded status is.
#[derive(Clone, Copy)]
enum Slot {
    /// By one of the many authors, in no community.
    Plain,
    /// By the local writer.
    Local,
    QuietAuthor(usize),
    InQuietCommunity(usize),
    InBigCommunity,
    InOtherCommunity,
    /// A direct message to `busy`.
    Direct,
    /// The root of the long thread, then its replies.
    Thread,
}

/// Every status's slot, oldest first: the kinds shuffled over the year, with the long thread
/// as one stretch of replies a third of the way in.
fn plan(posts: usize, rng: &mut StdRng) -> Vec<Slot> {
    let thread = (THREAD_REPLIES + 1).min(posts / 10);
    let mut counts = vec![
        (Slot::InBigCommunity, posts / 10),
        (Slot::InOtherCommunity, posts / 5),
        (Slot::Local, posts / 20),
        (Slot::Direct, DIRECT_POSTS.min(posts / 20)),
    ];
    let quiet_each = QUIET_COMMUNITY_POSTS / QUIET_COMMUNITIES;
    counts.extend((0..QUIET_AUTHORS).map(|k| (Slot::QuietAuthor(k), QUIET_AUTHOR_POSTS)));
    counts.extend((0..QUIET_COMMUNITIES).map(|k| (Slot::InQuietCommunity(k), quiet_each)));
    let planned = counts.iter().map(|(_, n)| n).sum::<usize>() + thread;
    counts.push((Slot::Plain, posts.saturating_sub(planned)));
    let mut slots: Vec<Slot> = counts
        .into_iter()
        .flat_map(|(slot, n)| std::iter::repeat_n(slot, n))
        .collect();
    slots.shuffle(rng);
    let at = slots.len() / 3;
    slots.splice(at..at, std::iter::repeat_n(Slot::Thread, thread));
    slots
}

/// Statuses waiting to be written, with the rows that point at them.
#[derive(Default)]
struct Pending {
    statuses: Vec<Status>,
    tagged: Vec<i64>,
    /// (status, author) of statuses with an image.
    with_media: Vec<(i64, i64)>,
    direct: Vec<i64>,
}

impl Pending {
    /// Write them in one transaction: the statuses first, as the other rows refer to them.
    fn flush(&mut self, conn: &mut DbConn, busy: i64) -> Result<(), Error> {
        guild::db::transaction(conn, |conn| {
            store::statuses::insert_batch(conn, &self.statuses)?;
            for id in &self.tagged {
                store::tags::insert(conn, *id, &[TAG.to_string()])?;
            }
            for (status, author) in &self.with_media {
                store::media::insert(conn, &image(*status, *author))?;
            }
            for id in &self.direct {
                store::mentions::insert(conn, *id, &[busy])?;
            }
            Ok(())
        })?;
        *self = Pending::default();
        Ok(())
    }
}

/// An image linked from the server a status came from.
fn image(status_id: i64, account_id: i64) -> store::media::Attachment {
    store::media::Attachment {
        id: status_id,
        account_id,
        status_id: Some(status_id),
        position: 0,
        kind: MediaKind::Image,
        content_type: "image/jpeg".into(),
        file_key: None,
        preview_key: None,
        remote_url: Some(format!("https://media.example/{status_id}.jpg")),
        description: Some("a picture".into()),
        focus_x: None,
        focus_y: None,
        width: Some(1200),
        height: Some(800),
        preview_width: None,
        preview_height: None,
        blurhash: None,
        file_size: Some(120_000),
        created_at: guild::ids::time_of(status_id),
    }
}

/// Mostly public; some unlisted and followers-only.
fn everyday_visibility(rng: &mut StdRng) -> Visibility {
    match rng.random_range(0..100) {
        0..85 => Visibility::Public,
        85..95 => Visibility::Unlisted,
        _ => Visibility::Private,
    }
}

/// Builds each status of the plan in turn.
struct Builder<'a> {
    world: &'a mut World,
    rng: StdRng,
    /// Author of the long thread's root, once it is written.
    thread_author: Option<i64>,
    busy_pins: usize,
    community_pins: usize,
}

impl Builder<'_> {
    fn random_author(&mut self) -> Author {
        let busy = self.world.busy_authors();
        busy[self.rng.random_range(0..busy.len())].clone()
    }

    /// The status of `slot`, made at `at` with `id`, and what it carries.
    fn status(&mut self, slot: Slot, id: i64, at: NaiveDateTime, pending: &mut Pending) {
        let (author, community, visibility) = match slot {
            Slot::Plain => {
                let v = everyday_visibility(&mut self.rng);
                (self.random_author(), None, v)
            }
            Slot::Local => {
                let v = everyday_visibility(&mut self.rng);
                (self.world.writer.clone(), None, v)
            }
            Slot::QuietAuthor(k) => {
                let v = everyday_visibility(&mut self.rng);
                (self.world.authors[k].clone(), None, v)
            }
            Slot::InQuietCommunity(k) => {
                let c = self.world.quiet_communities[k];
                (self.random_author(), Some(c), Visibility::Public)
            }
            Slot::InBigCommunity => {
                let c = self.world.big_community;
                (self.random_author(), Some(c), Visibility::Public)
            }
            Slot::InOtherCommunity => {
                let others = &self.world.other_communities;
                let c = others[self.rng.random_range(0..others.len())];
                let v = match self.rng.random_range(0..20) {
                    0 => Visibility::Unlisted,
                    _ => Visibility::Public,
                };
                (self.random_author(), Some(c), v)
            }
            Slot::Direct => (self.random_author(), None, Visibility::Direct),
            Slot::Thread => (self.random_author(), None, Visibility::Public),
        };
        let ap_id = format!("{}{id}", author.posts_at);
        let mut status = Status::new(id, author.id, ap_id.clone(), visibility);
        status.url = Some(ap_id);
        status.local = author.id == self.world.writer.id;
        status.community_id = community;
        status.created_at = at;
        // One of a thousand topics: a search for one matches about a thousandth of posts, a
        // search for "craft" all of them.
        let topic = self.rng.random_range(0..1000);
        let mut text = format!("Post {id} about the craft of the day, topic{topic}.");
        if !matches!(slot, Slot::Direct) && self.rng.random_range(0..100) < 5 {
            text.push_str(" #bench");
            pending.tagged.push(id);
        }
        if !matches!(slot, Slot::Direct) && self.rng.random_range(0..100) < 2 {
            pending.with_media.push((id, author.id));
        }
        status.source = text.clone();
        status.content = format!("<p>{text}</p>");
        self.place(slot, &mut status, pending);
        pending.statuses.push(status);
    }

    /// Where it stands: the thread, pins, the lists of ids to mark later.
    fn place(&mut self, slot: Slot, status: &mut Status, pending: &mut Pending) {
        let busy_author = self.world.authors[QUIET_AUTHORS].id;
        match slot {
            Slot::Thread => match self.thread_author {
                None => {
                    self.world.thread_root = status.id;
                    self.thread_author = Some(status.account_id);
                }
                Some(author) => {
                    let root = self.world.thread_root;
                    status.in_reply_to_id = Some(root);
                    status.in_reply_to_account_id = Some(author);
                    status.thread_root_id = Some(root);
                }
            },
            Slot::Direct => pending.direct.push(status.id),
            Slot::InBigCommunity if self.community_pins < 2 => {
                self.community_pins += 1;
                status.pinned_at = Some(status.created_at);
            }
            Slot::Plain if status.visibility == Visibility::Public => {
                self.world.public_ids.push(status.id);
                if status.account_id == busy_author && self.busy_pins < 3 {
                    self.busy_pins += 1;
                    status.profile_pinned_at = Some(status.created_at);
                }
            }
            _ => {}
        }
    }
}

/// Every status, oldest first, created over the past year with ids that grow with time, in
/// transactions of `BATCH`.
fn seed_statuses(conn: &mut DbConn, world: &mut World, posts: usize) -> Result<(), Error> {
    let mut rng = StdRng::seed_from_u64(7);
    let slots = plan(posts, &mut rng);
    let busy = world.viewers["busy"];
    let mut builder = Builder {
        world,
        rng,
        thread_author: None,
        busy_pins: 0,
        community_pins: 0,
    };
    let start = (Utc::now() - Span::days(365)).naive_utc();
    let step_ms = Span::days(365).num_milliseconds() as f64 / slots.len().max(1) as f64;
    let (mut pending, mut last_id) = (Pending::default(), 0);
    for (n, slot) in slots.iter().enumerate() {
        let at = start + Span::milliseconds((n as f64 * step_ms) as i64);
        let id = id_at(at, last_id);
        last_id = id;
        if n == slots.len() / 2 {
            builder.world.middle_id = id;
        }
        builder.status(*slot, id, at, &mut pending);
        if pending.statuses.len() >= BATCH {
            pending.flush(conn, busy)?;
        }
        if (n + 1) % (BATCH * 20) == 0 {
            println!("  {} statuses written", n + 1);
        }
    }
    pending.flush(conn, busy)
}

/// `busy`'s notifications over the last month, bookmarks and favourites.
fn seed_marks(conn: &mut DbConn, world: &World) -> Result<(), Error> {
    let mut rng = StdRng::seed_from_u64(11);
    let busy = world.viewers["busy"];
    let ids = &world.public_ids;
    let kinds = [
        NotificationKind::Mention,
        NotificationKind::Favourite,
        NotificationKind::Reblog,
        NotificationKind::Follow,
    ];
    let start = (Utc::now() - Span::days(30)).naive_utc();
    let step = Span::days(30) / NOTIFICATIONS as i32;
    guild::db::transaction(conn, |conn| {
        let mut last_id = 0;
        for n in 0..NOTIFICATIONS {
            let at = start + step * n as i32;
            let kind = kinds[n % kinds.len()];
            let from = world.busy_authors()[rng.random_range(0..world.busy_authors().len())].id;
            last_id = id_at(at, last_id);
            let notification = store::notifications::Notification {
                id: last_id,
                account_id: busy,
                from_account_id: from,
                kind,
                status_id: (kind != NotificationKind::Follow)
                    .then(|| ids[rng.random_range(0..ids.len())]),
                read: false,
                created_at: at,
                report_id: None,
            };
            store::notifications::insert(conn, &notification)?;
        }
        let marked = rand::seq::index::sample(&mut rng, ids.len(), (2 * MARKS).min(ids.len()));
        let marked: Vec<i64> = marked.iter().map(|i| ids[i]).collect();
        for status_id in &marked[..marked.len() / 2] {
            store::bookmarks::add(conn, guild::ids::next_id(), busy, *status_id)?;
        }
        for status_id in &marked[marked.len() / 2..] {
            let favourite = store::favourites::Favourite {
                id: guild::ids::next_id(),
                account_id: busy,
                status_id: *status_id,
                ap_id: None,
                created_at: guild::time::now(),
            };
            store::favourites::insert(conn, &favourite)?;
            store::favourites::refresh_counts(conn, *status_id)?;
        }
        Ok(())
    })
}

/// The counts that profiles, the directory and the thread's root show.
fn refresh_counts(conn: &mut DbConn, world: &World) -> Result<(), Error> {
    let people = world.authors.iter().map(|a| a.id).chain([world.writer.id]);
    let communities = [world.big_community]
        .into_iter()
        .chain(world.quiet_communities.iter().copied())
        .chain(world.other_communities.iter().copied());
    let everyone: Vec<i64> = people
        .chain(communities)
        .chain(world.viewers.values().copied())
        .collect();
    guild::db::transaction(conn, |conn| {
        for id in &everyone {
            store::status_counts::refresh_account_counts(conn, *id)?;
            store::accounts::refresh_follow_counts(conn, *id)?;
        }
        store::status_counts::refresh_replies_count(conn, world.thread_root)
    })
}

fn print_row_counts(conn: &mut DbConn) -> Result<(), Error> {
    use schema::*;
    let counts: [(&str, i64); 9] = [
        ("accounts", accounts::table.count().get_result(conn)?),
        ("statuses", statuses::table.count().get_result(conn)?),
        ("follows", follows::table.count().get_result(conn)?),
        ("status_tags", status_tags::table.count().get_result(conn)?),
        ("media", media_attachments::table.count().get_result(conn)?),
        ("mentions", mentions::table.count().get_result(conn)?),
        (
            "notifications",
            notifications::table.count().get_result(conn)?,
        ),
        ("bookmarks", bookmarks::table.count().get_result(conn)?),
        ("favourites", favourites::table.count().get_result(conn)?),
    ];
    let line: Vec<String> = counts.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("  rows: {}", line.join(", "));
    Ok(())
}

/// Seed everything through the store, then let the planner see the tables.
fn seed(database_url: &str, sizes: &Sizes) -> Result<World, Error> {
    let db = Db::connect(database_url, 1)?;
    let mut conn = db.conn()?;
    let conn = &mut *conn;
    let started = Instant::now();
    let mut world = seed_accounts(conn, sizes)?;
    let statuses_began = Instant::now();
    seed_statuses(conn, &mut world, sizes.posts)?;
    let statuses_took = statuses_began.elapsed();
    seed_marks(conn, &world)?;
    refresh_counts(conn, &world)?;
    store::thread_activity::rebuild(conn)?;
    // Notifications record stream events; nobody listens yet, so publishing drops them.
    db.publish_ready(conn);
    println!(
        "seeded in {:.1} s ({} statuses in {:.1} s)",
        started.elapsed().as_secs_f64(),
        sizes.posts,
        statuses_took.as_secs_f64()
    );
    print_row_counts(conn)?;
    let analyzing = Instant::now();
    conn.batch_execute("ANALYZE;")?;
    println!("ANALYZE took {:.1} s", analyzing.elapsed().as_secs_f64());
    Ok(world)
}

/// One request path, read by one viewer.
struct Case {
    name: String,
    viewer: &'static str,
    path: String,
}

/// The case, and the same with `max_id` in the middle of the seeded statuses.
fn first_and_deep(name: &str, viewer: &'static str, path: String, middle: i64) -> [Case; 2] {
    let joiner = if path.contains('?') { '&' } else { '?' };
    [
        Case {
            name: name.to_string(),
            viewer,
            path: path.clone(),
        },
        Case {
            name: format!("{name}, deep"),
            viewer,
            path: format!("{path}{joiner}max_id={middle}"),
        },
    ]
}

fn one(name: &str, viewer: &'static str, path: String) -> [Case; 1] {
    [Case {
        name: name.to_string(),
        viewer,
        path,
    }]
}

fn cases(world: &World) -> Vec<Case> {
    let mid = world.middle_id;
    let account = |id: i64, query: &str| format!("/api/v1/accounts/{id}/statuses{query}");
    let (quiet_author, busy_author) = (world.authors[0].id, world.authors[QUIET_AUTHORS].id);
    let busy = world.viewers["busy"];
    let home = || "/api/v1/timelines/home".to_string();
    let mut cases = Vec::new();
    cases.extend(first_and_deep("home (busy)", "busy", home(), mid));
    cases.extend(first_and_deep("home (quiet)", "quiet", home(), mid));
    cases.extend(first_and_deep("home (member)", "member", home(), mid));
    cases.extend(first_and_deep("home (reader)", "reader", home(), mid));
    cases.extend(first_and_deep("home (tagfan)", "tagfan", home(), mid));
    let list = |id: i64| format!("/api/v1/timelines/list/{id}");
    cases.extend(first_and_deep(
        "list (busy)",
        "busy",
        list(world.lists[0]),
        mid,
    ));
    cases.extend(first_and_deep(
        "list (quiet)",
        "quiet",
        list(world.lists[1]),
        mid,
    ));
    let quiet = account(quiet_author, "");
    cases.extend(first_and_deep("quiet author", "reader", quiet, mid));
    cases.extend(first_and_deep(
        "busy author",
        "reader",
        account(busy_author, ""),
        mid,
    ));
    for filter in ["exclude_replies=true", "only_media=true", "tagged=bench"] {
        let path = account(busy_author, &format!("?{filter}"));
        cases.extend(first_and_deep(
            &format!("busy author {filter}"),
            "reader",
            path,
            mid,
        ));
    }
    let pinned = account(busy_author, "?pinned=true");
    cases.extend(one("busy author pinned=true", "reader", pinned));
    let public = "/api/v1/timelines/public".to_string();
    cases.extend(first_and_deep("public", "reader", public.clone(), mid));
    cases.extend(first_and_deep(
        "public local=true",
        "reader",
        format!("{public}?local=true"),
        mid,
    ));
    let tag = format!("/api/v1/timelines/tag/{TAG}");
    cases.extend(first_and_deep("tag #bench", "reader", tag, mid));
    let big = account(world.big_community, "");
    cases.extend(first_and_deep("big community", "reader", big, mid));
    let quiet_community = account(world.quiet_communities[0], "");
    cases.extend(first_and_deep(
        "quiet community",
        "reader",
        quiet_community,
        mid,
    ));
    let context = format!("/api/v1/statuses/{}/context", world.thread_root);
    cases.extend(one("context (1,000 replies)", "reader", context));
    cases.extend(one("notifications", "busy", "/api/v1/notifications".into()));
    cases.extend(one("bookmarks", "busy", "/api/v1/bookmarks".into()));
    cases.extend(one("favourites", "busy", "/api/v1/favourites".into()));
    let followers = format!("/api/v1/accounts/{busy}/followers");
    cases.extend(one("followers (busy)", "busy", followers));
    let following = format!("/api/v1/accounts/{busy}/following");
    cases.extend(one("following (busy)", "busy", following));
    cases.extend(one("directory", "reader", "/api/v1/directory".into()));
    cases.extend(one("conversations", "busy", "/api/v1/conversations".into()));
    let search = |q: &str| format!("/api/v2/search?type=statuses&q={q}");
    cases.extend(one("search, a rare word", "reader", search("topic42")));
    cases.extend(one(
        "search, a word in every post",
        "reader",
        search("craft"),
    ));
    cases.extend(one("search, a prefix", "reader", search("topic99*")));
    cases.extend(web_cases(world));
    cases
}

/// The same lists as the pages of the web interface show them, signed in as each viewer.
fn web_cases(world: &World) -> Vec<Case> {
    let mid = world.middle_id;
    let mut cases = Vec::new();
    cases.extend(one("page: front", "reader", "/".into()));
    cases.extend(first_and_deep(
        "page: home (busy)",
        "busy",
        "/home".into(),
        mid,
    ));
    cases.extend(first_and_deep(
        "page: home (quiet)",
        "quiet",
        "/home".into(),
        mid,
    ));
    // The seeded communities are on other servers, so their pages are account pages.
    let big = format!("/accounts/{}", world.big_community);
    cases.extend(one("page: big community", "reader", big));
    let quiet = format!("/accounts/{}", world.quiet_communities[0]);
    cases.extend(one("page: quiet community", "reader", quiet));
    let thread = format!("/statuses/{}", world.thread_root);
    cases.extend(one("page: thread (1,000 replies)", "reader", thread));
    let busy_author = format!("/accounts/{}", world.authors[QUIET_AUTHORS].id);
    cases.extend(one("page: busy author", "reader", busy_author));
    cases.extend(one("page: notifications", "busy", "/notifications".into()));
    cases
}

/// How many posts (or notifications, communities) a page shows.
fn page_items(page: &str) -> usize {
    page.matches("<article").count() + page.matches("<li").count()
}

/// How many statuses (or accounts, notifications) an answer holds: a list, a thread's
/// context, or search results.
fn items(answer: &Value) -> usize {
    match answer {
        Value::Array(list) => list.len(),
        Value::Object(context) => ["ancestors", "descendants", "statuses"]
            .iter()
            .filter_map(|k| context.get(*k).and_then(Value::as_array))
            .map(Vec::len)
            .sum(),
        _ => 0,
    }
}

/// What the requests of one case saw.
struct Measured {
    times: Vec<Duration>,
    first_items: usize,
    /// Answers other than 200 ("error" when no answer came).
    failures: Vec<String>,
}

async fn run_case(api: &Api, case: &Case, requests: usize) -> Measured {
    let url = format!("{}{}", api.base, case.path);
    let mut measured = Measured {
        times: Vec::with_capacity(requests),
        first_items: 0,
        failures: Vec::new(),
    };
    let mut token = String::new();
    let page = !case.path.starts_with("/api/");
    let session = match page {
        true => api.session(case.viewer).await,
        false => String::new(),
    };
    for n in 0..requests {
        if n % REQUESTS_PER_TOKEN == 0 && !page {
            // A fresh token, so that each case has the whole rate limit to itself.
            token = api.token(case.viewer, "read").await;
        }
        let began = Instant::now();
        let request = match page {
            true => api.http.get(&url).header("cookie", &session),
            false => api.http.get(&url).bearer_auth(&token),
        };
        let answer = request.send().await;
        let (status, body) = match answer {
            Ok(response) => (
                response.status(),
                response.bytes().await.unwrap_or_default(),
            ),
            Err(_) => {
                measured.failures.push("error".into());
                continue;
            }
        };
        measured.times.push(began.elapsed());
        if status != reqwest::StatusCode::OK {
            measured.failures.push(status.as_u16().to_string());
        } else if n == 0 && page {
            measured.first_items = page_items(&String::from_utf8_lossy(&body));
        } else if n == 0 {
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            measured.first_items = items(&answer);
        }
    }
    measured
}

/// The CPU time PostgreSQL's backends serving the server have used, in ms: latency on a
/// shared two-core machine moves by a third from one run to the next, CPU time far less.
/// 0 on SQLite, whose work is the server's own, and when PostgreSQL is on another machine.
fn database_cpu_ms(conn: &mut DbConn) -> f64 {
    #[derive(QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let DbConn::Pg(pg) = conn else {
        return 0.0;
    };
    let backends: Vec<Backend> = diesel::sql_query(
        "SELECT pid FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .load(pg)
    .unwrap_or_default();
    backends.iter().map(|b| support::cpu_ms(b.pid as u32)).sum()
}

fn print_row(name: &str, measured: &mut Measured, cpu_ms: f64) {
    measured.times.sort();
    let times = &measured.times;
    let mut line = format!(
        "{name:<42} {:>8.1} {:>8.1} {:>8.1} {:>6} {cpu_ms:>8.1}",
        percentile(times, 0.5),
        percentile(times, 0.99),
        percentile(times, 1.0),
        measured.first_items
    );
    if let Some(first) = measured.failures.first() {
        line.push_str(&format!(
            "   {} not 200 (first: {first})",
            measured.failures.len()
        ));
    }
    println!("{line}");
}

#[tokio::main]
async fn main() {
    let sizes = sizes();
    let dir = tempfile::tempdir().unwrap();
    let database = BenchDb::create(dir.path());
    let port = support::free_port();
    let settings = settings(dir.path(), port, &database.url, &[]);
    let backend = database.url.split(':').next().unwrap_or_default();
    println!(
        "seeding {} statuses by {} authors on {backend}…",
        sizes.posts, sizes.accounts
    );
    let people: Vec<&str> = VIEWERS.iter().chain([&WRITER]).copied().collect();
    create_people(dir.path(), &settings, &people);
    // Diesel is synchronous: seed off the async runtime's threads.
    let database_url = database.url.clone();
    let world = tokio::task::spawn_blocking(move || seed(&database_url, &sizes))
        .await
        .unwrap()
        .expect("seeding");

    let server = Server(support::guild(dir.path(), &settings).spawn().unwrap());
    let api = Api::start(format!("http://127.0.0.1:{port}")).await;
    println!(
        "server resident memory after start: {:.1} MB",
        server.resident_mb()
    );
    println!(
        "\n{:<42} {:>8} {:>8} {:>8} {:>6} {:>8}   ({} requests each)",
        "case", "p50 ms", "p99 ms", "max ms", "items", "cpu ms", sizes.requests
    );
    println!("(cpu ms: CPU time per request of the server and its PostgreSQL backends)");
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let watched = Db::connect(&database.url, 1).expect("the database opens");
    let mut watched = watched.conn().expect("a connection");
    for case in cases(&world).into_iter().filter(|c| c.name.contains(&only)) {
        let before = server.cpu_ms() + database_cpu_ms(&mut watched);
        let mut measured = run_case(&api, &case, sizes.requests).await;
        let used = server.cpu_ms() + database_cpu_ms(&mut watched) - before;
        print_row(&case.name, &mut measured, used / sizes.requests as f64);
    }
    drop(watched);
    println!(
        "\nserver resident memory at the end: {:.1} MB",
        server.resident_mb()
    );
    drop(server);
    let db = Db::connect(&database.url, 1).expect("the database opens");
    plans::print(&mut db.conn().expect("a connection"), &world);
    drop(db);
    drop(database);
}
