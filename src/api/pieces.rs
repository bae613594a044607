//! Long JSON answers (a thread's context is megabytes), written in pieces and sent as they
//! are.

use crate::error::Error;
use actix_web::{body::SizedStream, web::Bytes};
use serde::Serialize;
use std::io::Write;

/// A JSON answer written in pieces of 64 KiB. Written into one buffer, a context of
/// megabytes grew by doubling, each step copying what was written into fresh pages mapped
/// from the system and faulted in one by one: about a tenth of its time. Pieces come from
/// the allocator's heap and go to actix as they are (it copies what it sends through a
/// write buffer of its own).
#[derive(Default)]
pub struct Pieces {
    done: Vec<Bytes>,
    current: Vec<u8>,
}

/// From how many items an array is serialised in two halves at once: below it, starting a
/// thread costs about what it saves.
const HALVES_FROM: usize = 200;

impl Pieces {
    const SIZE: usize = 64 * 1024;

    /// `value` serialised.
    pub fn of<T: Serialize>(value: &T) -> Result<Pieces, Error> {
        let mut pieces = Pieces::default();
        serde_json::to_writer(&mut pieces, value).map_err(unserialisable)?;
        Ok(pieces)
    }

    /// `items` written as a JSON array. A long one is serialised in two halves at once, the
    /// second on another thread: serialising a thread's context is about a sixth of its time.
    pub fn write_array<T: Serialize + Sync>(&mut self, items: &[T]) -> Result<(), Error> {
        self.push(b"[");
        if items.len() < HALVES_FROM {
            self.write_items(items)?;
        } else {
            let (first, second) = items.split_at(items.len() / 2);
            let mut later = Pieces::default();
            std::thread::scope(|scope| {
                let writing = scope.spawn(|| later.write_items(second));
                let written = self.write_items(first);
                let joined = writing
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                written.and(joined)
            })?;
            self.push(b",");
            self.append(later);
        }
        self.push(b"]");
        Ok(())
    }

    /// `items` separated by commas.
    fn write_items<T: Serialize>(&mut self, items: &[T]) -> Result<(), Error> {
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                self.push(b",");
            }
            serde_json::to_writer(&mut *self, item).map_err(unserialisable)?;
        }
        Ok(())
    }

    /// `other`'s pieces after these, as they are: the last piece here stays short.
    fn append(&mut self, other: Pieces) {
        if !self.current.is_empty() {
            self.done
                .push(Bytes::from(std::mem::take(&mut self.current)));
        }
        self.done.extend(other.done);
        self.current = other.current;
    }

    /// `bytes` after what is written.
    pub fn push(&mut self, mut bytes: &[u8]) {
        // serde_json writes in fragments of a few bytes: most fit the current piece.
        if bytes.len() < self.current.capacity() - self.current.len() {
            return self.current.extend_from_slice(bytes);
        }
        while !bytes.is_empty() {
            if self.current.capacity() == 0 {
                self.current.reserve_exact(Self::SIZE);
            }
            let room = Self::SIZE - self.current.len();
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.current.extend_from_slice(now);
            if self.current.len() == Self::SIZE {
                self.done
                    .push(Bytes::from(std::mem::take(&mut self.current)));
            }
            bytes = rest;
        }
    }

    pub fn into_body(mut self) -> SizedStream<impl futures::Stream<Item = Result<Bytes, Error>>> {
        if !self.current.is_empty() {
            self.done.push(Bytes::from(self.current));
        }
        let len = self.done.iter().map(Bytes::len).sum::<usize>();
        SizedStream::new(
            len as u64,
            futures::stream::iter(self.done.into_iter().map(Ok)),
        )
    }
}

fn unserialisable(e: serde_json::Error) -> Error {
    Error::caused_by("cannot serialise the answer", e)
}

impl Write for Pieces {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.push(bytes);
        Ok(bytes.len())
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.push(bytes);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Pieces;
    use std::io::Write;

    async fn sent(pieces: Pieces) -> Vec<u8> {
        let body = actix_web::body::to_bytes(pieces.into_body()).await;
        body.ok().unwrap().to_vec()
    }

    /// What is written comes out whole and in order, in full pieces and a last one.
    #[actix_web::test]
    async fn pieces_hold_what_was_written() {
        let text: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut pieces = Pieces::default();
        for part in text.chunks(7000) {
            pieces.write_all(part).unwrap();
        }
        assert_eq!(pieces.done.len(), 3);
        assert!(pieces.done.iter().all(|p| p.len() == Pieces::SIZE));
        assert_eq!(sent(pieces).await, text);
    }

    /// Arrays long enough to be written in halves read as serde_json writes them, in order.
    #[actix_web::test]
    async fn arrays_read_as_serde_writes_them() {
        for n in [0, 1, 2, super::HALVES_FROM - 1, super::HALVES_FROM, 5001] {
            let items: Vec<String> = (0..n).map(|i| format!("item \"{i}\"")).collect();
            let mut pieces = Pieces::default();
            pieces.write_all(b"{\"items\":").unwrap();
            pieces.write_array(&items).unwrap();
            pieces.write_all(b"}").unwrap();
            let expected = serde_json::to_vec(&serde_json::json!({ "items": items })).unwrap();
            assert_eq!(sent(pieces).await, expected, "{n} items");
        }
    }
}
