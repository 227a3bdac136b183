//! HTTP handlers grouped by surface.

pub mod health;
pub mod merchant_api;
