//! Provenance shared by every layer: the build that produced a result (crate version and git
//! commit) and SHA-256 digests written as lowercase hex. The one place digests become text, so
//! that manifests, journals, shard files and sweep ids spell them alike. Imports nothing from the
//! crate.

use sha2::{Digest, Sha256};

/// The crate version and git commit the binary was built from, when known. The commit is read
/// by `build.rs` at build time (see there for when it is refreshed).
pub fn build_info() -> (String, Option<String>) {
    let commit = env!("CHOKEPOINT_GIT_COMMIT");
    (
        env!("CARGO_PKG_VERSION").to_string(),
        (!commit.is_empty()).then(|| commit.to_string()),
    )
}

/// A digest (any bytes) as lowercase hex, two digits per byte.
pub fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(digest.len() * 2);
    for b in digest {
        let _ = write!(text, "{b:02x}");
    }
    text
}

/// Lowercase hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
