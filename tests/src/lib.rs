//! Kassa's cross-crate test support: the edge under `wrangler dev` (`harness`) and the
//! provider sandbox (`sandbox`, the `kassa-sandbox` crate re-exported under its old path:
//! simulated upstreams over real HTTP on loopback, with no `kassa-shared` inside).

pub mod e2e;
pub mod edge_client;
pub mod harness;

/// The provider sandbox lives in its own crate (`sandbox/`) so it cannot link
/// `kassa-shared`; every `kassa_tests::sandbox::…` path keeps working.
pub use kassa_sandbox as sandbox;
