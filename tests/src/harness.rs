//! The edge under `wrangler dev` for integration tests (being written).
