//! Writing a data file atomically, gzip-compressed when its name ends in `.gz`.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::DataError;

/// Writes `path` through `write`: into a temporary file beside it, renamed over `path`
/// only once complete, so a failure never leaves a half-written file under that name.
/// Compressed with gzip when the name ends in `.gz`.
pub(crate) fn save(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), DataError> {
    let gzip = path.extension().is_some_and(|e| e == "gz");
    crate::atomic_file::write_atomically(path, |file| {
        let mut out = BufWriter::new(file);
        if gzip {
            let mut encoder = GzEncoder::new(&mut out, Compression::default());
            write(&mut encoder)?;
            encoder.finish()?;
        } else {
            write(&mut out)?;
        }
        out.flush()
    })
    .map_err(|e| DataError::Write { path: path.to_owned(), error: e.source })
}
