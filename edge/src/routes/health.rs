//! Liveness probe used by `cargo xtask dev` and the integration tests.

use worker::{Response, Result};

pub fn health() -> Result<Response> {
    Response::from_json(&serde_json::json!({ "ok": true, "service": "kassa-edge" }))
}
