//! Secret bytes (merchant webhook secrets, `client_secret` keys, TOTP seeds) in a type
//! whose `Debug` prints `[redacted]`, so secrets never reach logs by accident (STYLE.md).

use core::fmt;

/// Owned secret bytes. Compare with [`Secret::ct_eq`], never with `==`.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    #[must_use]
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Constant-time equality with presented bytes (SPEC 4.4).
    #[must_use]
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        super::ct::eq(&self.0, other)
    }
}

impl AsRef<[u8]> for Secret {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.as_bytes().to_vec())
    }
}

impl From<&[u8]> for Secret {
    fn from(s: &[u8]) -> Self {
        Self(s.to_vec())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::from("whsec_very_secret");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert!(s.ct_eq(b"whsec_very_secret"));
        assert!(!s.ct_eq(b"whsec_very_secreT"));
    }
}
