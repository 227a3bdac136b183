//! End-to-end support: the demo stack as `cargo xtask dev` runs it ([`stack`]) and a
//! blocking WebDriver session over `fantoccini` for the browser tests ([`webdriver`]).

pub mod shop;
pub mod stack;
pub mod webdriver;
