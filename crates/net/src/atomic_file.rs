//! Writing a file so that its path always names a whole file: the old one, or the new one.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// What failed while writing a file atomically, and the system's reason.
#[derive(Debug)]
pub(crate) struct AtomicWriteError {
    /// The step that failed, as a phrase: "create a temporary file in data/".
    pub(crate) action: String,
    /// The system's error.
    pub(crate) source: io::Error,
}

/// Writes `path` through `write` into a temporary file in the same directory, flushes and
/// syncs it, renames it over `path`, then syncs the directory, so that a crash or a failed
/// write at any moment leaves either the old file or the new one under that name, never a
/// part of one, and no temporary file behind (it is deleted on every failure).
///
/// A new file gets the mode `File::create` would give it (0666 less the umask); a file
/// replaced keeps its permissions.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> Result<(), AtomicWriteError> {
    let failed = |action: String| move |source| AtomicWriteError { action, source };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let prefix = format!(
        ".{}.",
        path.file_name().map_or_else(|| "nn".into(), |name| name.to_string_lossy())
    );
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // tempfile's own default, 0600, would hide a saved file from other users.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut file = builder
        .tempfile_in(dir)
        .map_err(failed(format!("create a temporary file in {} to save into", dir.display())))?;
    let fill = |file: &mut tempfile::NamedTempFile| -> io::Result<()> {
        write(file.as_file_mut())?;
        file.as_file_mut().flush()?;
        if let Ok(existing) = fs::metadata(path)
            && existing.is_file()
        {
            file.as_file().set_permissions(existing.permissions())?;
        }
        file.as_file().sync_all()
    };
    fill(&mut file)
        .map_err(failed(format!("write the temporary file {}", file.path().display())))?;
    // On failure `e.file` is dropped, which deletes the temporary file.
    file.persist(path).map_err(|e| AtomicWriteError {
        action: "rename the temporary file over it".into(),
        source: e.error,
    })?;
    sync_dir(dir).map_err(failed(format!("sync the directory {} after the rename", dir.display())))
}

/// Makes a rename in `dir` durable. On filesystems that cannot sync a directory the
/// rename stands, and that is not reported as a failure.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    match fs::File::open(dir).and_then(|d| d.sync_all()) {
        Err(e) if matches!(e.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported) => {
            Ok(())
        }
        other => other,
    }
}

/// Directories cannot be opened as files to sync them here; the rename is left to the
/// filesystem.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_whole_file_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically(&path, |f| f.write_all(b"first")).unwrap();
        write_atomically(&path, |f| f.write_all(b"second")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        // A write that fails midway leaves the old file, and no temporary file.
        let failed = write_atomically(&path, |f| {
            f.write_all(b"thi")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err_and(|e| e.action.contains("write the temporary file")));
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically(&path, |f| f.write_all(b"first")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, |f| f.write_all(b"second")).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    }
}
