//! Tests of `src/provenance.rs`.

use chokepoint::provenance::*;

#[test]
fn sha256_hex_matches_the_published_test_vector() {
    // FIPS 180-2, appendix B.1: SHA-256("abc").
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(hex(&[0, 15, 255]), "000fff");
}
