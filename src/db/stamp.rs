//! Stored times read by hand where SQLite keeps them as text.
//!
//! Diesel reads a SQLite time by trying chrono's patterns one after another, each parsed anew
//! on every call: 5–7% of a thread's context went to it. Times as Guild writes them
//! (`2026-01-02 03:04:05.678`) are read here digit by digit; any other shape, and
//! PostgreSQL's binary times, go through diesel as before. A field opts in with
//! `#[diesel(deserialize_as = Stamp)]` (`MaybeStamp` where it may be NULL).

use super::multi_connection_impl::{MultiBackend, MultiRawValue};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::{Nullable, Timestamp};
use diesel::sqlite::Sqlite;

#[derive(diesel::deserialize::FromSqlRow)]
pub struct Stamp(NaiveDateTime);

impl From<Stamp> for NaiveDateTime {
    fn from(stamp: Stamp) -> NaiveDateTime {
        stamp.0
    }
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        match parse(value.read_text()) {
            Some(time) => Ok(Stamp(time)),
            None => <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Stamp),
        }
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, MultiBackend> for Stamp {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Stamp, Timestamp>()
    }
}

/// A nullable time column, read as [`Stamp`].
#[derive(diesel::deserialize::FromSqlRow)]
pub struct MaybeStamp(Option<NaiveDateTime>);

impl From<MaybeStamp> for Option<NaiveDateTime> {
    fn from(stamp: MaybeStamp) -> Option<NaiveDateTime> {
        stamp.0
    }
}

impl<DB: Backend> FromSql<Nullable<Timestamp>, DB> for MaybeStamp
where
    Stamp: FromSql<Timestamp, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Stamp::from_sql(value).map(|stamp| MaybeStamp(Some(stamp.0)))
    }

    fn from_nullable_sql(value: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        value.map_or(Ok(MaybeStamp(None)), Self::from_sql)
    }
}

/// `YYYY-MM-DD HH:MM:SS` with up to nine digits of fraction; None for anything else.
fn parse(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if !separators.iter().all(|&(at, c)| b.get(at) == Some(&c)) {
        return None;
    }
    let nanos = match b.get(19) {
        None => 0,
        // One to nine digits of fraction, scaled to nanoseconds.
        Some(b'.') if (21..=29).contains(&b.len()) => {
            number(20..b.len())? * 10u32.pow(29 - b.len() as u32)
        }
        Some(_) => return None,
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)?.and_hms_nano_opt(
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
        nanos,
    )
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::store::statuses;
    use crate::testing::Fixture;
    use chrono::NaiveDateTime;
    use diesel::connection::SimpleConnection;

    /// A status's times come back as they were stored, read by hand or, in another shape
    /// written by something other than Guild, by diesel.
    #[test]
    fn stored_times_come_back() {
        let fixture = Fixture::new();
        let conn = &mut *fixture.conn();
        let ann = fixture.person(conn, "ann");
        let post = fixture.post(conn, &ann, "hello", None, None);
        let read = statuses::by_id(conn, post.id).unwrap().unwrap();
        assert_eq!(read.created_at, post.created_at);
        assert_eq!(read.edited_at, None);
        let at = |text| NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
        let sql = format!(
            "UPDATE statuses SET created_at = '2026-01-02T03:04:05', \
             edited_at = '2026-01-02 03:04:06.5' WHERE id = {}",
            post.id
        );
        conn.batch_execute(&sql).unwrap();
        let read = statuses::by_id(conn, post.id).unwrap().unwrap();
        assert_eq!(read.created_at, at("2026-01-02 03:04:05"));
        assert_eq!(read.edited_at, Some(at("2026-01-02 03:04:06.500")));
    }

    #[test]
    fn times_read_as_diesel_reads_them() {
        for text in [
            "2026-01-02 03:04:05.678",
            "2026-01-02 03:04:05",
            "1999-12-31 23:59:59.1",
            "2026-01-02 03:04:05.123456789",
        ] {
            let expected = NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
            assert_eq!(parse(text), Some(expected), "{text}");
        }
        // Left to diesel: other shapes, and what is no time at all.
        for text in [
            "2026-01-02T03:04:05Z",
            "2026-01-02 03:04",
            "2026-01-02 03:04:05.",
            "2026-01-02 03:04:05.1234567890",
            "2026-13-02 03:04:05",
            "2026-01-02 03:04:60",
            "2026-01-02 03:04:05+01:00",
            "20x6-01-02 03:04:05",
            "",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
