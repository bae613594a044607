//! Hashtags people follow: the public posts that carry them come to their home timeline.

use crate::db::DbConn;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::tags;

/// A tag's name as kept: without `#`, lowercase; 404 for what cannot be a tag.
pub fn normalise(name: &str) -> Result<String, Error> {
    let name = name.trim_start_matches('#').to_lowercase();
    let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if valid {
        Ok(name)
    } else {
        Err(Error::NotFound)
    }
}

pub fn follow(conn: &mut DbConn, account_id: i64, tag: &str) -> Result<(), Error> {
    tags::follow(conn, next_id(), account_id, &normalise(tag)?)
}

pub fn unfollow(conn: &mut DbConn, account_id: i64, tag: &str) -> Result<(), Error> {
    tags::unfollow(conn, account_id, &normalise(tag)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn followed_tags_are_kept_by_their_plain_name() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let ann = f.person(conn, "ann");
        follow(conn, ann.id, "#Rust").unwrap();
        let names = ["rust".to_string(), "go".to_string()];
        assert_eq!(tags::followed(conn, ann.id, &names).unwrap(), ["rust"]);
        unfollow(conn, ann.id, "RUST").unwrap();
        assert!(tags::followed(conn, ann.id, &names).unwrap().is_empty());
        assert!(matches!(
            follow(conn, ann.id, "no spaces"),
            Err(Error::NotFound)
        ));
    }
}
