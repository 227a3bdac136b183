//! Constant-time comparison of byte strings (SPEC 4.4: every shared secret, MAC and
//! checksum is compared without an early exit).

use subtle::ConstantTimeEq;

/// `true` when `a` and `b` are equal. The time taken depends on the lengths only, never on
/// where the first difference is; lengths are public (MACs and digests have fixed sizes).
#[must_use]
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    // `subtle`'s slice comparison returns 0 for different lengths without reading content.
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::eq;

    #[test]
    fn compares() {
        assert!(eq(b"", b""));
        assert!(eq(b"abc", b"abc"));
        assert!(!eq(b"abc", b"abd"));
        assert!(!eq(b"abc", b"abcd"));
        assert!(!eq(b"", b"a"));
    }
}
