//! Kassa's own merchant API (SPEC 3.2, `edge/openapi.json`): the request bodies it
//! takes, parsed from the JSON the edge read into their typed form, every refusal a
//! [`FieldError`] naming the field (SPEC 3: "every error names what was wrong"). The
//! edge keeps what needs the Worker (the body's bytes, the environment's settings).
//!
//! - [`fields`]: the field readers every body shares (strings, whole numbers).
//! - [`order`]: `POST /v1/orders` — [`order::CreateOrder`] and the order's merchant
//!   data ([`order::Item`], [`order::User`]).
//! - [`requests`]: the other routes' parameters and bodies, and the events, webhook and
//!   GA enrolment views.
//! - [`resource`]: the order as the edge stores it ([`resource::StoredOrder`]) and the
//!   order and refund objects the merchant API and webhooks show.

pub mod fields;
pub mod order;
pub mod requests;
pub mod resource;

pub use fields::FieldError;
