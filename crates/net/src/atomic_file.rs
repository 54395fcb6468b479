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
/// part of one, and no temporary file behind (it is deleted on every failure; only a
/// process killed mid-save leaves one, which [`remove_leftovers`] clears later).
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
    let prefix = temporary_prefix(path);
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

/// The start of the names of `path`'s temporary files: `.name.` (then random letters and
/// `.tmp`), hidden, and beside the file so the rename stays within one filesystem.
fn temporary_prefix(path: &Path) -> String {
    format!(".{}.", path.file_name().map_or_else(|| "nn".into(), |name| name.to_string_lossy()))
}

/// Removes the temporary files that saves of `path` left when their process was killed
/// mid-save (a kill runs no destructor, so [`write_atomically`] cannot delete them then).
/// Call it only where no other process is saving `path` at the same moment: that save's
/// temporary file would go, and its rename fail.
///
/// Best effort: a file that cannot be removed is left; it is never read, only takes room.
pub(crate) fn remove_leftovers(path: &Path) {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let prefix = temporary_prefix(path);
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let leftover = name.len() > prefix.len() + ".tmp".len()
            && name.starts_with(&prefix)
            && name.ends_with(".tmp");
        if leftover && entry.file_type().is_ok_and(|t| t.is_file()) {
            // Failing to remove one is not worth failing the caller over (see above).
            let _ = fs::remove_file(entry.path());
        }
    }
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

    #[test]
    fn leftovers_of_killed_saves_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically(&path, |f| f.write_all(b"kept")).unwrap();
        // What a save killed after creating its temporary file leaves (tempfile's names:
        // the prefix, six random characters, the suffix), beside files that only look alike.
        let names = [".out.txt.a1B2c3.tmp", ".out.txt..tmp", ".out.txt.x.tmp.keep", "out.txt.tmp"];
        for name in names {
            fs::write(dir.path().join(name), b"partial").unwrap();
        }
        fs::create_dir(dir.path().join(".out.txt.dir.tmp")).unwrap();
        remove_leftovers(&path);
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [".out.txt..tmp", ".out.txt.dir.tmp", ".out.txt.x.tmp.keep", "out.txt", "out.txt.tmp"]
        );
        assert_eq!(fs::read(&path).unwrap(), b"kept");
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
