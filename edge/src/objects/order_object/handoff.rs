//! What the object keeps for the shopper's way to the provider and back (issue 16): the
//! page each attempt returns to (`return_urls`: attempt id → URL, written by `pay.rs`,
//! read when Paytm's result comes back through the shopper's browser) and the latest
//! Ping++ charge as Ping++ answered it (`pingpp_charge`, S4 `GET /rest/pay/:id`).

use std::collections::BTreeMap;

use serde_json::Value;

use kassa_shared::id::Id;

use super::OrderObject;
use crate::error::EdgeError;

const RETURN_URLS_KEY: &str = "return_urls";
const CHARGE_KEY: &str = "pingpp_charge";

impl OrderObject {
    /// Remembers where `attempt`'s shopper comes back to.
    pub(super) async fn record_return_url(&self, attempt: Id, url: &str) -> Result<(), EdgeError> {
        let mut urls: BTreeMap<Id, String> = self.load(RETURN_URLS_KEY).await?.unwrap_or_default();
        urls.insert(attempt, url.to_owned());
        self.state
            .storage()
            .put(RETURN_URLS_KEY, serde_json::to_string(&urls)?)
            .await?;
        Ok(())
    }

    /// Where `attempt`'s shopper comes back to, if the widget named a page.
    pub(super) async fn return_url(&self, attempt: Id) -> Result<Option<String>, EdgeError> {
        let mut urls: BTreeMap<Id, String> = self.load(RETURN_URLS_KEY).await?.unwrap_or_default();
        Ok(urls.remove(&attempt))
    }

    /// Keeps the Ping++ charge just created (the newest attempt's).
    pub(super) async fn record_charge(&self, charge: &Value) -> Result<(), EdgeError> {
        self.state
            .storage()
            .put(CHARGE_KEY, serde_json::to_string(charge)?)
            .await?;
        Ok(())
    }

    /// The latest Ping++ charge, as Ping++ answered its creation.
    pub(super) async fn last_charge(&self) -> Result<Option<Value>, EdgeError> {
        self.load(CHARGE_KEY).await
    }
}
