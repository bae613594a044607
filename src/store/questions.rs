//! Threads asked as questions, and their accepted answers.

use super::statuses::Page;
use crate::db::{schema::questions, DbConn};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = questions)]
pub struct Question {
    /// The thread's root.
    pub status_id: i64,
    pub community_id: i64,
    pub answer_id: Option<i64>,
    pub answered_at: Option<NaiveDateTime>,
}

/// Make the thread rooted at `status_id` a question; nothing changes if it is one already.
pub fn ask(conn: &mut DbConn, status_id: i64, community_id: i64) -> Result<(), Error> {
    if by_status(conn, status_id)?.is_none() {
        diesel::insert_into(questions::table)
            .values((
                questions::status_id.eq(status_id),
                questions::community_id.eq(community_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn by_status(conn: &mut DbConn, status_id: i64) -> Result<Option<Question>, Error> {
    Ok(questions::table
        .find(status_id)
        .select(Question::as_select())
        .first(conn)
        .optional()?)
}

/// The questions among `status_ids`.
pub fn among(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<Question>, Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(questions::table
        .filter(super::one_of(conn, questions::status_id, status_ids))
        .select(Question::as_select())
        .load(conn)?)
}

/// Accept `answer_id` as the answer to the question `status_id`, or (None) no answer; an
/// answer removed before is no longer waiting to be restored as it.
pub fn set_answer(
    conn: &mut DbConn,
    status_id: i64,
    answer_id: Option<i64>,
    at: NaiveDateTime,
) -> Result<(), Error> {
    diesel::update(questions::table.find(status_id))
        .set((
            questions::answer_id.eq(answer_id),
            questions::answered_at.eq(answer_id.map(|_| at)),
            questions::removed_answer_id.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// A post deleted is no question's answer any more, nor will be: its question is open again.
pub fn forget_answer(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    diesel::update(
        questions::table.filter(
            questions::answer_id
                .eq(status_id)
                .or(questions::removed_answer_id.eq(status_id)),
        ),
    )
    .set((
        questions::answer_id.eq(None::<i64>),
        questions::answered_at.eq(None::<NaiveDateTime>),
        questions::removed_answer_id.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(())
}

/// A post a moderator removed is no answer while it stays removed: its question is open
/// again, and remembers the answer for [`reinstate_answer`].
pub fn withdraw_answer(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    diesel::update(questions::table.filter(questions::answer_id.eq(status_id)))
        .set((
            questions::removed_answer_id.eq(status_id),
            questions::answer_id.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// A removed post restored is the answer again where it was one when removed, unless its
/// question has accepted another since.
pub fn reinstate_answer(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    diesel::update(
        questions::table
            .filter(questions::removed_answer_id.eq(status_id))
            .filter(questions::answer_id.is_null()),
    )
    .set((
        questions::answer_id.eq(status_id),
        questions::removed_answer_id.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(())
}

/// A page of a community's questions without an accepted answer, newest first (root ids).
pub fn open_in(conn: &mut DbConn, community_id: i64, page: Page) -> Result<Vec<i64>, Error> {
    let query = questions::table
        .filter(questions::community_id.eq(community_id))
        .filter(questions::answer_id.is_null())
        .select(questions::status_id)
        .into_boxed();
    Ok(load_page!(conn, query, questions::status_id, page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::statuses::set_removed;
    use crate::testing::Fixture;

    #[test]
    fn a_removed_answer_comes_back_on_restore_unless_another_was_accepted() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let ann = f.person(conn, "ann");
        let help = f.community(conn, "help", &ann);
        let asked = f.post(conn, &ann, "Which linter?", Some(&help), Some("Linting"));
        ask(conn, asked.id, help.id).unwrap();
        let reply = |conn: &mut DbConn, text: &str| {
            let post = crate::service::statuses::NewPost {
                text: text.into(),
                in_reply_to_id: Some(asked.id),
                ..crate::service::statuses::NewPost::new(crate::domain::Visibility::Public)
            };
            crate::service::statuses::create(conn, &f.config, &ann, post).unwrap()
        };
        let (first, second) = (reply(conn, "clippy"), reply(conn, "rustfmt"));
        let answer = |conn: &mut DbConn| by_status(conn, asked.id).unwrap().unwrap().answer_id;
        let now = crate::time::now();

        set_answer(conn, asked.id, Some(first.id), now).unwrap();
        set_removed(conn, first.id, Some(now)).unwrap();
        assert_eq!(answer(conn), None, "no answer while removed");
        set_removed(conn, first.id, None).unwrap();
        assert_eq!(
            answer(conn),
            Some(first.id),
            "the answer again once restored"
        );

        set_removed(conn, first.id, Some(now)).unwrap();
        set_answer(conn, asked.id, Some(second.id), now).unwrap();
        set_removed(conn, first.id, None).unwrap();
        assert_eq!(
            answer(conn),
            Some(second.id),
            "the one accepted since stays"
        );
        set_removed(conn, second.id, None).unwrap();
        assert_eq!(
            answer(conn),
            Some(second.id),
            "restoring what was not removed changes nothing"
        );
    }
}
