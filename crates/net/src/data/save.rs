//! Writing a data file atomically, gzip-compressed when its name ends in `.gz`.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use tempfile::NamedTempFile;

use super::DataError;

/// Writes `path` through `write`: into a temporary file beside it, renamed over `path`
/// only once complete, so a failure never leaves a half-written file under that name.
/// Compressed with gzip when the name ends in `.gz`.
pub(crate) fn save(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), DataError> {
    let error = |error| DataError::Write { path: path.to_owned(), error };
    let directory = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file = NamedTempFile::new_in(directory).map_err(error)?;
    let gzip = path.extension().is_some_and(|e| e == "gz");
    {
        let mut out = BufWriter::new(file.as_file());
        if gzip {
            let mut encoder = GzEncoder::new(&mut out, Compression::default());
            write(&mut encoder).map_err(error)?;
            encoder.finish().map_err(error)?;
        } else {
            write(&mut out).map_err(error)?;
        }
        out.flush().map_err(error)?;
    }
    file.as_file().sync_all().map_err(error)?;
    file.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}
