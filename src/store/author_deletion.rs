//! Deleting everything an account posted, at once: when a person closes their account or
//! another server deletes an actor. One statement per table, whatever the number of posts:
//! done post by post, an account with ten thousand posts held the database's write lock for
//! tens of thousands of statements.

use super::Sql;
use crate::db::{schema::statuses, DbConn};
use crate::error::Error;
use crate::events::{self, Event};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The posts just deleted: `$1` the account, `$2` the moment of deletion.
const MINE: &str = "SELECT id FROM statuses WHERE account_id = $1 AND deleted_at = $2";

/// Delete every standing post of `account_id` as [`super::statuses::mark_deleted`] deletes
/// one (a tombstone kept, its text emptied, out of homes, no longer an accepted answer, its
/// boosts by others gone), and recount the replies of the posts they answered, the boosts of
/// the posts they boosted and the account's posts. Returns how many.
pub fn delete_posts_of(
    conn: &mut DbConn,
    account_id: i64,
    now: NaiveDateTime,
) -> Result<usize, Error> {
    // Marked with this moment, so that the statements below find exactly these posts.
    let marked = Sql::new(
        "UPDATE statuses SET deleted_at = $2, content = '', source = '', search_text = '',
         title = NULL WHERE account_id = $1 AND deleted_at IS NULL",
    )
    .int(account_id)
    .time(now)
    .execute(conn)?;
    if marked == 0 {
        return Ok(0);
    }
    let statements = [
        format!("DELETE FROM home_feed WHERE status_id IN ({MINE})"),
        format!(
            "UPDATE questions SET answer_id = NULL, answered_at = NULL, removed_answer_id = NULL
             WHERE answer_id IN ({MINE}) OR removed_answer_id IN ({MINE})"
        ),
        "UPDATE statuses SET replies_count = (SELECT count(*) FROM statuses AS reply
               WHERE reply.in_reply_to_id = statuses.id AND reply.deleted_at IS NULL)
             WHERE id IN (SELECT in_reply_to_id FROM statuses
               WHERE account_id = $1 AND deleted_at = $2 AND in_reply_to_id IS NOT NULL)"
            .to_string(),
        // Counted as `boosts::count_by_people` counts: a community passing a post on is not one.
        "UPDATE statuses SET reblogs_count = (SELECT count(*) FROM statuses AS boost
               WHERE boost.reblog_of_id = statuses.id AND boost.deleted_at IS NULL
               AND boost.account_id NOT IN (SELECT id FROM accounts WHERE kind = 'group'))
             WHERE id IN (SELECT reblog_of_id FROM statuses
               WHERE account_id = $1 AND deleted_at = $2 AND reblog_of_id IS NOT NULL)"
            .to_string(),
        "UPDATE accounts SET statuses_count = 0 WHERE id = $1".to_string(),
    ];
    for sql in &statements {
        Sql::new(sql).int(account_id).time(now).execute(conn)?;
    }
    // A boost is judged by what it boosts, as when it is undone (`boosts::delete`).
    let marked_rows: Vec<(i64, Option<i64>)> = statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::deleted_at.eq(now))
        .select((statuses::id, statuses::reblog_of_id))
        .load(conn)?;
    let originals: Vec<i64> = marked_rows
        .iter()
        .filter(|(_, boost_of)| boost_of.is_none())
        .map(|(id, _)| *id)
        .collect();
    super::boosts::delete_of(conn, &originals)?;
    for (id, boost_of) in marked_rows {
        events::record(Event::Deleted { id, boost_of });
    }
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::delete_posts_of;
    use crate::domain::Visibility;
    use crate::service::statuses::{create, NewPost};
    use crate::store::{accounts, home_feed, questions, statuses};
    use crate::testing::Fixture;

    #[test]
    fn every_post_goes_at_once_and_what_counted_them_is_recounted() {
        let fixture = Fixture::new();
        let mut conn = fixture.conn();
        let ada = fixture.person(&mut conn, "ada");
        let bob = fixture.person(&mut conn, "bob");
        let guild = fixture.community(&mut conn, "guild", &bob);
        fixture.follow(&mut conn, &bob, &ada);
        fixture.follow(&mut conn, &ada, &guild);
        let asked = fixture.post(
            &mut conn,
            &bob,
            "Which editor?",
            Some(&guild),
            Some("Editors"),
        );
        questions::ask(&mut conn, asked.id, guild.id).unwrap();
        let reply = |conn: &mut crate::db::DbConn, author, text: &str| {
            let post = NewPost {
                text: text.into(),
                in_reply_to_id: Some(asked.id),
                community: Some(guild.clone()),
                ..NewPost::new(Visibility::Public)
            };
            create(conn, &fixture.config, author, post).unwrap()
        };
        let answer = reply(&mut conn, &ada, "This one.");
        reply(&mut conn, &bob, "Or that one.");
        questions::set_answer(&mut conn, asked.id, Some(answer.id), crate::time::now()).unwrap();
        let own = fixture.post(&mut conn, &ada, "Hello", None, None);
        let bobs = fixture.post(&mut conn, &bob, "Mine", None, None);
        crate::service::interactions::reblog(&mut conn, &fixture.config, &ada, bobs.id).unwrap();
        crate::service::interactions::favourite(&mut conn, &fixture.config, &ada, bobs.id).unwrap();
        crate::service::interactions::reblog(&mut conn, &fixture.config, &bob, own.id).unwrap();
        let liked = |conn: &mut crate::db::DbConn| {
            let bobs = statuses::by_id(conn, bobs.id).unwrap().unwrap();
            (bobs.reblogs_count, bobs.favourites_count)
        };
        assert_eq!(liked(&mut conn), (1, 1));
        let home = |conn: &mut crate::db::DbConn| {
            let page = statuses::Page {
                limit: 40,
                ..Default::default()
            };
            home_feed::page(conn, bob.id, page).unwrap()
        };
        assert!(home(&mut conn).contains(&own.id));
        let counted = |conn: &mut crate::db::DbConn| {
            let asked = statuses::by_id(conn, asked.id).unwrap().unwrap();
            let ada = accounts::by_id(conn, ada.id).unwrap().unwrap();
            (asked.replies_count, ada.statuses_count)
        };
        assert_eq!(
            counted(&mut conn),
            (2, 3),
            "two posts and a boost, counted as Mastodon counts them"
        );

        let bobs_boost = crate::store::boosts::reblog_by(&mut conn, bob.id, own.id);
        let bobs_boost = bobs_boost.unwrap().expect("bob boosted her post").id;
        let posts_of_bob = |conn: &mut crate::db::DbConn| {
            let bob = accounts::by_id(conn, bob.id).unwrap().unwrap();
            bob.statuses_count
        };
        let bobs_posts = posts_of_bob(&mut conn);
        crate::events::discard();
        let deleted = delete_posts_of(&mut conn, ada.id, crate::time::now()).unwrap();
        let mut told: Vec<(i64, Option<i64>)> = crate::events::take_ready()
            .into_iter()
            .filter_map(|e| match e {
                crate::events::Event::Deleted { id, boost_of } => Some((id, boost_of)),
                _ => None,
            })
            .collect();
        told.sort_unstable();
        crate::store::favourites::withdraw_all_of(&mut conn, ada.id).unwrap();

        assert_eq!(deleted, 3, "the answer, the post and the boost");
        assert_eq!(
            told.len(),
            5,
            "streams are told of each, of bob's boost of her post and of the community's \
             passing on of her answer: {told:?}"
        );
        assert!(told.contains(&(bobs_boost, Some(own.id))), "{told:?}");
        assert!(
            crate::store::boosts::reblog_by(&mut conn, bob.id, own.id)
                .unwrap()
                .is_none(),
            "bob's boost of her deleted post stays"
        );
        assert_eq!(posts_of_bob(&mut conn), bobs_posts - 1, "and still counts");
        assert!(
            told.contains(&(answer.id, None)) && told.contains(&(own.id, None)),
            "{told:?}"
        );
        assert!(
            told.iter().any(|&(_, boost_of)| boost_of == Some(bobs.id)),
            "her boost's deletion does not say what it boosted: {told:?}"
        );
        assert_eq!(
            liked(&mut conn),
            (0, 0),
            "her boost or favourite still counts"
        );
        for id in [answer.id, own.id] {
            let gone = statuses::by_id(&mut conn, id).unwrap().unwrap();
            assert!(gone.deleted_at.is_some(), "post {id} still stands");
            assert_eq!((gone.content.as_str(), gone.source.as_str()), ("", ""));
        }
        assert_eq!(counted(&mut conn), (1, 0), "bob's reply is still counted");
        assert!(
            !home(&mut conn).contains(&own.id),
            "the post is still in a home"
        );
        let question = questions::by_status(&mut conn, asked.id).unwrap().unwrap();
        assert_eq!(
            question.answer_id, None,
            "a deleted post is still the answer"
        );
        let asked = statuses::by_id(&mut conn, asked.id).unwrap().unwrap();
        assert!(asked.deleted_at.is_none(), "another person's post went too");
        assert_eq!(
            delete_posts_of(&mut conn, ada.id, crate::time::now()).unwrap(),
            0
        );
    }
}
