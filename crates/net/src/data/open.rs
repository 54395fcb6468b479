//! Opening a data file, through gzip when its content is gzip whatever its name.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;

use super::DataError;

/// The two bytes every gzip stream starts with (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The bytes read first, to tell gzip from the rest (a buffer's worth).
const HEAD: usize = 8 * 1024;

/// An open data file: its content, decompressed when it is gzip, and what is known of it.
pub(crate) struct Source {
    /// The file, for messages.
    pub(crate) path: PathBuf,
    /// The content.
    pub(crate) reader: Box<dyn BufRead>,
    /// Whether the content is decompressed from gzip.
    pub(crate) gzip: bool,
    /// The file's size on disk: the content's size when it is not compressed.
    pub(crate) file_len: u64,
    /// Bytes of content read so far, counted by the readers that use [`Source::read_full`].
    pub(crate) offset: u64,
}

impl Source {
    /// Opens `path`, refusing a directory, and decompresses it when it starts with the gzip
    /// magic bytes (so `x.csv.gz` and a gzip file named `x.csv` both work).
    pub(crate) fn open(path: &Path) -> Result<Source, DataError> {
        let open_error = |error| DataError::Open { path: path.to_owned(), error };
        let mut file = File::open(path).map_err(open_error)?;
        // On Linux a directory opens and fails only when read; say what it is instead.
        let metadata = file.metadata().map_err(open_error)?;
        if metadata.is_dir() {
            return Err(DataError::Directory { path: path.to_owned() });
        }
        // The first block, read (rather than peeked from a buffer, which may hold fewer
        // bytes) and put back in front of the rest. Whole, not just the two bytes that
        // tell gzip: the reader above sees it as its first read, and the CSV parser finds
        // a byte-order mark only if the first read holds all three of its bytes.
        let mut head = Vec::with_capacity(HEAD);
        (&mut file).take(HEAD as u64).read_to_end(&mut head).map_err(|error| DataError::Read {
            path: path.to_owned(),
            gzip: false,
            offset: 0,
            error,
        })?;
        let gzip = head.starts_with(&GZIP_MAGIC);
        let head = Cursor::new(head);
        let raw = BufReader::new(head.chain(file));
        let reader: Box<dyn BufRead> = if gzip {
            // Multi-member, as `cat a.gz b.gz` and some compressors produce.
            Box::new(BufReader::new(MultiGzDecoder::new(raw)))
        } else {
            Box::new(raw)
        };
        Ok(Source { path: path.to_owned(), reader, gzip, file_len: metadata.len(), offset: 0 })
    }

    /// The content's size, when known before reading it (not for gzip).
    pub(crate) fn content_len(&self) -> Option<u64> {
        (!self.gzip).then_some(self.file_len)
    }

    /// Fills `buf` as far as the content goes; returns the bytes read, fewer than
    /// `buf.len()` only at the end. A read failure is an error naming the offset.
    pub(crate) fn read_full(&mut self, buf: &mut [u8]) -> Result<usize, DataError> {
        let got = fill(&mut self.reader, buf).map_err(|error| self.read_error(error))?;
        self.offset += got as u64;
        Ok(got)
    }

    /// A read failure at the current offset.
    pub(crate) fn read_error(&self, error: io::Error) -> DataError {
        DataError::Read { path: self.path.clone(), gzip: self.gzip, offset: self.offset, error }
    }
}

/// Reads into `buf` until it is full or the reader ends; returns the bytes read.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
