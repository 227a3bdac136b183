//! HTTP handlers grouped by surface.

pub mod compat_s1;
pub mod compat_s4;
pub mod health;
pub mod live;
pub mod merchant_api;
pub mod widget_api;
