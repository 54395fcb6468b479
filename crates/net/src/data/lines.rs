//! The line a CSV record starts on, as an editor shows it.
//!
//! The CSV reader dates a record from the place where it began looking for it: before the
//! blank lines it skips, and before the `\n` of a `\r\n` that ended the row above (the `\r`
//! ends that row; the `\n` is read with the next). Its line count at that place is right,
//! as it counts every `\n` it reads, so a record starts on that line plus the `\n`s in the
//! run of line breaks at that place. [`Breaks`] counts them as the content passes under
//! the CSV reader, keeping no more than the last piece it passed up.

use std::io::{self, Read};

/// A reader under the CSV reader that counts the `\n`s in the run of line breaks (`\r`
/// and `\n`) that starts at a marked place.
pub(super) struct Breaks<R> {
    inner: R,
    /// The last piece passed up. The CSV reader's buffer refills only once it is empty, so
    /// the bytes it has yet to parse are in this piece or still to come.
    last: Vec<u8>,
    /// The content's offset of `last`.
    last_at: u64,
    /// The run from the mark.
    run: Run,
}

/// A run of line breaks being counted.
#[derive(Default)]
struct Run {
    /// The `\n`s so far.
    newlines: u64,
    /// Whether it reaches the end of what has been passed up, and may go on.
    open: bool,
}

impl Run {
    /// Goes on through `piece` as far as it is line breaks.
    fn scan(&mut self, piece: &[u8]) {
        if !self.open {
            return;
        }
        for &b in piece {
            match b {
                b'\n' => self.newlines += 1,
                b'\r' => {}
                _ => {
                    self.open = false;
                    return;
                }
            }
        }
    }
}

impl<R> Breaks<R> {
    pub(super) fn new(inner: R) -> Self {
        Breaks { inner, last: Vec::new(), last_at: 0, run: Run::default() }
    }

    /// Starts counting the run of line breaks at `offset`, the CSV reader's position as it
    /// begins to look for a record.
    pub(super) fn mark(&mut self, offset: u64) {
        self.run = Run { newlines: 0, open: true };
        let rest = offset
            .checked_sub(self.last_at)
            .and_then(|skip| usize::try_from(skip).ok())
            .and_then(|skip| self.last.get(skip..));
        match rest {
            Some(rest) => self.run.scan(rest),
            // Outside the last piece, which the CSV reader's buffering rules out; count
            // nothing rather than guess.
            None => self.run.open = false,
        }
    }

    /// The `\n`s in the run from the mark: all of them once a record has been read after it
    /// (its first byte ends the run).
    pub(super) fn newlines(&self) -> u64 {
        self.run.newlines
    }
}

impl<R: Read> Read for Breaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let piece = buf.get(..n).unwrap_or_default();
        self.run.scan(piece);
        self.last_at += self.last.len() as u64;
        self.last.clear();
        self.last.extend_from_slice(piece);
        Ok(n)
    }
}
