//! Constant-time comparison for secrets and signatures (SPEC 4.4).

use subtle::ConstantTimeEq;

/// Equal in time independent of where the inputs differ (length is not secret).
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
