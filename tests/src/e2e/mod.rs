//! End-to-end support: the demo stack as `cargo xtask dev` runs it ([`stack`]) and a
//! blocking WebDriver session over `fantoccini` for the browser tests ([`webdriver`]; a
//! phone-sized one with keyboard actions for the widget's own test, [`phone`]).

pub mod phone;
pub mod shop;
pub mod stack;
pub mod webdriver;
