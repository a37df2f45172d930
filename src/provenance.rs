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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_matches_the_published_test_vector() {
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
