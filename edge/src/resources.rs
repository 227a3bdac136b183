//! The order's merchant data and its views, as the edge names them: they are the core's
//! (`kassa_shared::surfaces::merchant::resource`, `kassa_shared::surfaces::s2::order_view`),
//! re-exported here so the routes and objects read `crate::resources::StoredOrder`.

pub use kassa_shared::surfaces::merchant::resource::{
    order_view, refund_view, s2_code, OrderMeta, RefundMeta, StoredOrder,
};
pub use kassa_shared::surfaces::s2::order_view::s2_order;
