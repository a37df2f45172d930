//! Writing result folders safely: a run writes into a hidden staging folder beside the target and
//! renames it into place only when every file is complete; single files are written to a
//! temporary name, synced, and renamed.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A failure to write results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The target folder holds earlier results and `--force` was not given.
    #[error(
        "output folder `{0}` already exists and is not empty; choose another with --out, or pass --force to replace it"
    )]
    NotEmpty(PathBuf),
    /// An I/O error, with the path it happened on.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// Wraps an I/O error with its path.
pub fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically: temporary file in the same folder, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_error(path))
}

/// A result folder being written: files go into a staging folder that replaces the target only
/// on [`OutputDir::publish`]. Dropping it unpublished removes the staging folder.
#[derive(Debug)]
pub struct OutputDir {
    target: PathBuf,
    staging: PathBuf,
    published: bool,
}

impl OutputDir {
    /// Checks the target and creates the staging folder. Fails without touching anything if the
    /// target holds files and `force` is false.
    pub fn create(target: &Path, force: bool) -> Result<OutputDir, OutputError> {
        if !force && is_nonempty_dir(target) {
            return Err(OutputError::NotEmpty(target.to_path_buf()));
        }
        if target.exists() && !target.is_dir() {
            return Err(OutputError::Io {
                path: target.to_path_buf(),
                source: io::Error::new(io::ErrorKind::AlreadyExists, "exists and is not a folder"),
            });
        }
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io_error(parent))?;
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("output");
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io_error(&staging))?;
        }
        fs::create_dir_all(&staging).map_err(io_error(&staging))?;
        Ok(OutputDir {
            target: target.to_path_buf(),
            staging,
            published: false,
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

    /// Replaces the target with the staging folder.
    pub fn publish(mut self) -> Result<PathBuf, OutputError> {
        if self.target.exists() {
            fs::remove_dir_all(&self.target).map_err(io_error(&self.target))?;
        }
        fs::rename(&self.staging, &self.target).map_err(io_error(&self.target))?;
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

/// Whether `path` is a folder with at least one entry.
pub fn is_nonempty_dir(path: &Path) -> bool {
    fs::read_dir(path)
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false)
}
