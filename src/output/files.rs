//! Writing results safely, in one place. A file is written to a hidden temporary name beside it
//! (`.NAME.tmp-PID`), synced and renamed ([`AtomicFile`]); a result folder is written into a hidden
//! staging folder (`.NAME.partial-PID`) and swapped in by renames ([`OutputDir`]): the old folder
//! is moved aside (`.NAME.old-PID`), the new one renamed in, and only then the old one deleted,
//! so a kill at any instant leaves either the old results or the new ones, never a mixture.
//! Leftovers of killed processes (whose pid is no longer alive) are removed by [`remove_stale`];
//! a folder set aside by a process killed mid-swap is put back. [`FolderLock`] keeps two
//! processes from writing one output folder at once.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::manifest::FileRecord;
pub use crate::scenario::types::{FOLDER_NAME_HELP, MAX_FOLDER_NAME_CHARS, is_folder_name};

/// A failure to write results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The target folder holds earlier results and `--force` was not given.
    #[error(
        "output folder `{0}` already exists and is not empty; choose another with --out, or pass --force to replace it"
    )]
    NotEmpty(PathBuf),
    /// The output folder cannot be used at all (a file, the working folder, read-only, a name
    /// too long): fix the arguments, do not retry.
    #[error("output folder `{path}` cannot be used: {reason}")]
    Unusable {
        /// The folder.
        path: PathBuf,
        /// Why, and what to do.
        reason: String,
    },
    /// Another process is writing the same output folder.
    #[error(
        "output folder `{path}` is being written by another chokepoint process ({holder}); wait for it to finish, or choose another --out"
    )]
    Locked {
        /// The folder.
        path: PathBuf,
        /// What the lock file says about its holder (pid and command line).
        holder: String,
    },
    /// An I/O error, with the path it happened on.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

impl OutputError {
    /// Whether this is the user's to fix (exit 2) rather than a failure worth retrying (exit 1).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, OutputError::Io { .. })
    }
}

/// Wraps an I/O error with its path.
pub fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Best-effort fsync of a folder, so a rename or new file survives power loss.
pub fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A file written through a temporary name beside it, hashed and counted as it is written, and
/// renamed into place by [`AtomicFile::commit`]; dropped uncommitted, it leaves nothing behind.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
    hasher: Sha256,
    rows: usize,
    committed: bool,
}

impl AtomicFile {
    /// Starts writing `path` (its folder must exist).
    pub fn create(path: &Path) -> Result<AtomicFile, OutputError> {
        let mut file = AtomicFile::for_encoder(path);
        let handle = File::create(&file.tmp).map_err(io_error(&file.tmp))?;
        file.writer = Some(BufWriter::with_capacity(1 << 16, handle));
        Ok(file)
    }

    /// Reserves a temporary name for a writer that needs a path of its own (an image encoder that
    /// picks the format from the extension, which the temporary name keeps): write to
    /// [`AtomicFile::temp_path`], then [`AtomicFile::commit`].
    pub fn for_encoder(path: &Path) -> AtomicFile {
        AtomicFile {
            path: path.to_path_buf(),
            tmp: temp_path(path),
            writer: None,
            hasher: Sha256::new(),
            rows: 0,
            committed: false,
        }
    }

    /// The temporary file's path.
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// Writes one line (a newline is added) and counts it as a row.
    pub fn line(&mut self, text: &str) -> Result<(), OutputError> {
        self.rows += 1;
        self.write(text.as_bytes())?;
        self.write(b"\n")
    }

    /// Writes bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        self.hasher.update(bytes);
        match self.writer.as_mut() {
            Some(w) => w.write_all(bytes).map_err(io_error(&self.tmp)),
            None => Ok(()),
        }
    }

    /// Flushes, syncs and renames into place; returns the record (rows exclude `header_lines`;
    /// the digest covers what went through [`AtomicFile::write`]).
    pub fn commit(mut self, header_lines: usize) -> Result<FileRecord, OutputError> {
        let writer = self.writer.take();
        let result = (|| -> io::Result<()> {
            let file = match writer {
                Some(w) => w.into_inner().map_err(|e| e.into_error())?,
                None => File::open(&self.tmp)?,
            };
            file.sync_all()?;
            fs::rename(&self.tmp, &self.path)
        })();
        result.map_err(io_error(&self.path))?;
        self.committed = true;
        let digest = std::mem::take(&mut self.hasher).finalize();
        Ok(FileRecord {
            rows: Some(self.rows.saturating_sub(header_lines)),
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            self.writer = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// `.NAME.tmp-PID`, or `.NAME.tmp-PID.EXT` when NAME has an extension (encoders read it).
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let pid = std::process::id();
    let tmp = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!(".{name}.tmp-{pid}.{ext}"),
        None => format!(".{name}.tmp-{pid}"),
    };
    path.with_file_name(tmp)
}

/// Name prefix (then the process id) of the empty file a command creates and removes at once to
/// learn whether it may write into a folder. Another process may see one for a moment: it is
/// never a result, nor anybody's foreign file.
pub const PROBE_PREFIX: &str = ".chokepoint-probe-";

/// Writes `bytes` to `path` atomically, creating its folder if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = parent_of(path);
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let mut file = AtomicFile::create(path)?;
    file.write(bytes)?;
    file.commit(0).map(|_| ())
}

/// The folder holding `path` (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A result folder being written: files go into a staging folder that replaces the target only
/// on [`OutputDir::publish`]. Dropping it unpublished removes the staging folder.
#[derive(Debug)]
pub struct OutputDir {
    target: PathBuf,
    staging: PathBuf,
    published: bool,
    _lock: FolderLock,
}

impl OutputDir {
    /// Checks the target and creates the staging folder. Fails without touching anything if the
    /// target holds files and `force` is false, or cannot be an output folder at all.
    pub fn create(target: &Path, force: bool) -> Result<OutputDir, OutputError> {
        check_usable(target)?;
        if !force && is_nonempty_dir(target) {
            return Err(OutputError::NotEmpty(target.to_path_buf()));
        }
        let parent = parent_of(target);
        fs::create_dir_all(parent).map_err(|e| unusable_or_io(parent, e))?;
        let lock = FolderLock::acquire(target)?;
        remove_stale(parent);
        let name = folder_name(target);
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io_error(&staging))?;
        }
        fs::create_dir_all(&staging).map_err(|e| unusable_or_io(parent, e))?;
        Ok(OutputDir {
            target: target.to_path_buf(),
            staging,
            published: false,
            _lock: lock,
        })
    }

    /// Where to write a file named `name` before publishing.
    pub fn path(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// The folder the results will have once published.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Replaces the target with the staging folder by renames: old aside, new in, old deleted.
    pub fn publish(mut self) -> Result<PathBuf, OutputError> {
        let parent = parent_of(&self.target);
        if self.target.exists() {
            let aside = parent.join(format!(
                ".{}.old-{}",
                folder_name(&self.target),
                std::process::id()
            ));
            if aside.exists() {
                fs::remove_dir_all(&aside).map_err(io_error(&aside))?;
            }
            fs::rename(&self.target, &aside).map_err(io_error(&self.target))?;
            if let Err(e) = fs::rename(&self.staging, &self.target) {
                let _ = fs::rename(&aside, &self.target);
                return Err(io_error(&self.target)(e));
            }
            sync_dir(parent);
            // The new results are in place; a failure to delete the old ones only leaves a
            // hidden folder that the next run in this folder removes.
            let _ = fs::remove_dir_all(&aside);
        } else {
            fs::rename(&self.staging, &self.target).map_err(io_error(&self.target))?;
            sync_dir(parent);
        }
        self.published = true;
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// The last component of a folder path, for hidden names beside it.
fn folder_name(target: &Path) -> String {
    target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output")
        .to_string()
}

/// A permission or name-length error on an output folder is the user's to fix.
fn unusable_or_io(path: &Path, e: io::Error) -> OutputError {
    use io::ErrorKind as K;
    match e.kind() {
        K::PermissionDenied | K::ReadOnlyFilesystem | K::InvalidFilename | K::NotADirectory => {
            OutputError::Unusable {
                path: path.to_path_buf(),
                reason: format!("{e}; choose another --out"),
            }
        }
        _ => OutputError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    }
}

/// Refuses, before anything is written, an output folder that cannot work or must never be
/// replaced: a file, a name too long, the working folder or one of its ancestors, a folder that
/// exists but cannot be written.
pub fn check_usable(target: &Path) -> Result<(), OutputError> {
    let unusable = |reason: String| OutputError::Unusable {
        path: target.to_path_buf(),
        reason,
    };
    if target.as_os_str().is_empty() {
        return Err(unusable("the path is empty".into()));
    }
    if target.exists() && !target.is_dir() {
        return Err(unusable(
            "it exists and is not a folder; choose another --out".into(),
        ));
    }
    if target
        .file_name()
        .is_some_and(|n| n.len() > MAX_FOLDER_NAME_CHARS + 100)
        || target.file_name().is_none()
    {
        return Err(unusable(
            "its last component is missing (`.`, `..`, `/`) or longer than 200 bytes; name a folder"
                .into(),
        ));
    }
    if let (Ok(folder), Ok(cwd)) = (
        target.canonicalize(),
        std::env::current_dir().and_then(|d| d.canonicalize()),
    ) && cwd.starts_with(&folder)
    {
        return Err(unusable(
            "it is the working folder or one of its parents, which a run must never replace; \
             name a new folder with --out"
                .into(),
        ));
    }
    if target.is_dir() {
        let probe = target.join(format!("{PROBE_PREFIX}{}", std::process::id()));
        let written = File::create(&probe).map(drop);
        let _ = fs::remove_file(&probe);
        if let Err(e) = written {
            return Err(unusable_or_io(target, e));
        }
    }
    Ok(())
}

/// Whether `path` is a folder with at least one entry.
pub fn is_nonempty_dir(path: &Path) -> bool {
    fs::read_dir(path)
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false)
}

/// The pid of a hidden leftover `.NAME.tmp-PID[.EXT]`, `.NAME.partial-PID[.EXT]` or
/// `.NAME.old-PID`, with its kind.
fn leftover_pid(name: &str) -> Option<(&'static str, u32)> {
    if !name.starts_with('.') {
        return None;
    }
    for kind in [".tmp-", ".partial-", ".old-"] {
        if let Some(at) = name.rfind(kind) {
            let digits: String = name[at + kind.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let rest = &name[at + kind.len() + digits.len()..];
            if !digits.is_empty() && (rest.is_empty() || rest.starts_with('.')) {
                return digits.parse().ok().map(|pid| (kind, pid));
            }
        }
    }
    None
}

/// Whether a process with this pid is alive (ours always is).
pub fn pid_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes the temporary files and staging folders that killed processes left in `dir`; a folder
/// set aside by a process killed between the two renames of a swap is put back when nothing
/// replaced it. Best effort: what cannot be removed stays, to be tried again next time.
pub fn remove_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        let Some((kind, pid)) = leftover_pid(name) else {
            continue;
        };
        if pid_alive(pid) {
            continue;
        }
        let path = entry.path();
        if kind == ".old-" {
            let original = &name[1..name.rfind(kind).unwrap_or(1)];
            let target = dir.join(original);
            if !original.is_empty() && !target.exists() && fs::rename(&path, &target).is_ok() {
                continue;
            }
        }
        let _ = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
    }
}

/// An advisory lock (`flock`) on an output folder, held for as long as the value lives, in a
/// hidden file beside the folder (`.NAME.lock`) that names the holder. A second writer is refused
/// at once with the holder's pid and command line.
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
    file: File,
}

impl FolderLock {
    /// Locks `folder` for writing, or says who holds it.
    pub fn acquire(folder: &Path) -> Result<FolderLock, OutputError> {
        let parent = parent_of(folder);
        let path = parent.join(format!(".{}.lock", folder_name(folder)));
        Self::acquire_file(folder, path)
    }

    /// Locks `folder` through a lock file of a given path (several shards of one sweep share a
    /// folder, each with its own lock).
    pub fn acquire_file(folder: &Path, path: PathBuf) -> Result<FolderLock, OutputError> {
        use std::os::unix::io::AsRawFd;
        loop {
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| unusable_or_io(parent_of(&path), e))?;
            // SAFETY: flock on a file descriptor we own.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc != 0 {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                return Err(OutputError::Locked {
                    path: folder.to_path_buf(),
                    holder: if holder.is_empty() {
                        "unknown process".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            // The holder before us may have removed the file after we opened it: then our lock is
            // on an orphan and another process may lock a new file; start again.
            if !same_file(&file, &path) {
                continue;
            }
            let text = format!(
                "pid {}: {}\n",
                std::process::id(),
                std::env::args().collect::<Vec<_>>().join(" ")
            );
            let _ = file.set_len(0);
            let _ = (&file).write_all(text.as_bytes());
            return Ok(FolderLock { path, file });
        }
    }
}

fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Removed while still locked, so a waiting process sees the file change and retries.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.set_len(0);
    }
}
