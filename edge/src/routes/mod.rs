//! HTTP handlers grouped by surface.

pub mod callbacks;
pub mod compat_s1;
pub mod compat_s4;
pub mod health;
pub mod live;
pub mod merchant_api;
pub mod merchant_s0;
pub mod rejections;
pub mod test_helpers;
pub mod widget_api;
