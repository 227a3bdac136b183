//! The typed seam between the Worker (and order objects) and a user's object (issue 15):
//! every request is a [`UserRequest`] posted to the object's one internal route
//! (`POST /rpc`) and every answer is read into its own type by [`UserClient`]. The S4
//! wallet's requests are [`S4Request`]s, carried inside.

use serde::{Deserialize, Serialize};
use worker::{Env, Stub};

use kassa_shared::envelope::ErrorCode;
use kassa_shared::id::Id;
use kassa_shared::risk::VelocityWindow;
use kassa_shared::second_factor::{LockLimits, SendLimits, StoredCode};
use kassa_shared::surfaces::s4::status::ClientStatus;

use super::orders::OrderFilter;
use super::s4_wallet::{Proven, SealedNonce};
use crate::error::EdgeError;
use crate::objects::{ask, tell, user_stub};
use kassa_shared::surfaces::s4::wallet::{Account, Withdrawal};

/// What is asked of a user's object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum UserRequest {
    /// Lists a new order in the user's index (adding twice is harmless).
    AddOrder {
        id: Id,
        created_ms: u64,
        status: u8,
    },
    /// The order's S2 status code changed (sent by its `OrderObject`).
    OrderStatus {
        id: Id,
        status: u8,
    },
    /// The user's order ids matching the filter, newest first (`orders.rs`); first
    /// moves a pre-table index into the table, and while rows of it have no status yet
    /// answers those instead (`unresolved`).
    ListOrders {
        filter: OrderFilter,
    },
    /// Test helpers only: `ids` as the pre-table index held them (`orders::plant_legacy`).
    PlantLegacyIndex {
        ids: Vec<Id>,
    },
    TokenEpoch,
    RevokeTokens,
    /// Records a code send, or refuses it (429 with the retry time).
    RecordSend {
        now_ms: u64,
        limits: SendLimits,
    },
    /// Enrols the authenticator once (409 when enrolled).
    EnrolGa {
        secret: String,
        now_ms: u64,
    },
    /// Checks a GA code, counting wrong ones across the user's orders.
    VerifyGa {
        code: String,
        now_ms: u64,
        limits: LockLimits,
    },
    Profile,
    /// Counts a pay attempt in the user's window unless it holds `limit` already.
    RecordAttempt {
        now_ms: u64,
        limit: Option<u32>,
    },
    SetTrusted {
        trusted: bool,
    },
    AddDevice {
        device_id: String,
    },
    S4(S4Request),
}

/// The S4 wallet's requests (`s4_wallet.rs`); plaintexts arrive already decrypted.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "s4", rename_all = "snake_case")]
pub enum S4Request {
    /// The sealed fields' nonces of one request, checked and recorded in one step.
    Sealed {
        nonces: Vec<SealedNonce>,
        now_ms: u64,
    },
    Check,
    Account,
    SetPasswd {
        passwd: String,
        proven: Proven,
    },
    SetQuestions {
        answers: Vec<String>,
        proven: Proven,
    },
    SmsCode {
        stored: StoredCode,
    },
    ChangeAccount {
        smscode: String,
        passwd: Option<String>,
        binding: Id,
        pepper: String,
        account: Account,
        now_ms: u64,
        limits: LockLimits,
    },
    Withdraw {
        passwd: String,
        amount: u64,
        month: String,
        now_ms: u64,
        limits: LockLimits,
    },
    Unannounced,
    Announced {
        id: String,
    },
    ClientStatus {
        pay_id: Id,
    },
    SetClientStatus {
        pay_id: Id,
        status: ClientStatus,
    },
}

/// The user's order ids, newest first; or, while the index holds orders whose status
/// it never read, up to 100 of those (`ids` empty): the caller reads and sends their
/// statuses, then asks again.
#[derive(Debug, Serialize, Deserialize)]
pub struct OrderIds {
    pub ids: Vec<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<Id>,
}

/// What a user's index holds after `PlantLegacyIndex`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Planted {
    pub rows: usize,
    pub legacy_keys: usize,
}

/// The user's token generation.
#[derive(Debug, Serialize, Deserialize)]
pub struct Epoch {
    pub epoch: u64,
}

/// A GA check's verdict.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct GaVerdict {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until_ms: Option<u64>,
}

/// What the risk engine and `load_pay_data` need from a user (never the GA secret).
/// Missing fields read as "nothing known", so a new user is simply untrusted.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RiskProfile {
    #[serde(default)]
    pub ga_enrolled: bool,
    #[serde(default)]
    pub trusted: bool,
    #[serde(default)]
    pub devices: Vec<String>,
    #[serde(default)]
    pub velocity: VelocityWindow,
    /// An S4 pay password is set (S2 `userInfo.bindTradePwd`).
    #[serde(default)]
    pub trade_pwd_set: bool,
}

impl RiskProfile {
    /// Reads `user_id`'s profile through their `UserObject`.
    pub async fn load(env: &Env, user_id: &str) -> Result<Self, EdgeError> {
        UserClient::new(env, user_id)?.profile().await
    }
}

/// Whether the window had room (and the attempt was counted).
#[derive(Debug, Serialize, Deserialize)]
pub struct Recorded {
    pub ok: bool,
}

/// Which wallet settings exist (S4 `checkInfo`).
#[derive(Debug, Serialize, Deserialize)]
pub struct S4Check {
    pub passwd: bool,
    pub questions: bool,
    pub withdraw: bool,
}

/// The withdrawal account, if set.
#[derive(Debug, Serialize, Deserialize)]
pub struct S4Account {
    pub account: Option<Account>,
}

/// The withdrawals not yet announced to the merchant.
#[derive(Debug, Serialize, Deserialize)]
pub struct Withdrawals {
    pub withdrawals: Vec<Withdrawal>,
}

/// What the browser last reported for a pay record.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClientStatusAnswer {
    pub client_status: ClientStatus,
}

/// A handle on one user's object.
pub struct UserClient {
    stub: Stub,
}

impl UserClient {
    pub fn new(env: &Env, user_id: &str) -> Result<Self, EdgeError> {
        Ok(Self {
            stub: user_stub(env, user_id)?,
        })
    }

    async fn done(&self, r: &UserRequest) -> Result<(), EdgeError> {
        tell(&self.stub, r).await
    }

    async fn s4<T: serde::de::DeserializeOwned>(&self, r: S4Request) -> Result<T, EdgeError> {
        ask(&self.stub, &UserRequest::S4(r)).await
    }

    pub async fn add_order(&self, id: Id, created_ms: u64, status: u8) -> Result<(), EdgeError> {
        self.done(&UserRequest::AddOrder {
            id,
            created_ms,
            status,
        })
        .await
    }

    pub async fn order_status(&self, id: Id, status: u8) -> Result<(), EdgeError> {
        self.done(&UserRequest::OrderStatus { id, status }).await
    }

    /// The user's order ids for `filter`, newest first. An index moved from before its
    /// SQLite table answers the orders whose status it never read (`orders.rs`): each
    /// is read from its order and sent back, then the index is asked again. At most 3
    /// rounds of 100 per call, so one request stays within the Worker's subrequest
    /// budget; a longer pre-table history is resolved across requests, meanwhile 503
    /// `index_migrating` (retry).
    pub async fn list_orders(&self, env: &Env, filter: OrderFilter) -> Result<Vec<Id>, EdgeError> {
        // Up to 3 rounds of resolving, and one more ask after the last.
        for round in 0..=3 {
            let r: OrderIds = ask(&self.stub, &UserRequest::ListOrders { filter }).await?;
            if r.unresolved.is_empty() {
                return Ok(r.ids);
            }
            if round == 3 {
                break;
            }
            for id in r.unresolved {
                let stored = crate::objects::order_object::OrderClient::new(env, id)?
                    .get()
                    .await?;
                self.order_status(id, crate::resources::s2_code(stored.order.status()))
                    .await?;
            }
        }
        Err(EdgeError::api(
            503,
            "api_error",
            ErrorCode::IndexMigrating,
            "orders: the order index is being moved to its new form; retry shortly",
            None,
        ))
    }

    pub async fn plant_legacy_index(&self, ids: Vec<Id>) -> Result<Planted, EdgeError> {
        ask(&self.stub, &UserRequest::PlantLegacyIndex { ids }).await
    }

    pub async fn token_epoch(&self) -> Result<u64, EdgeError> {
        let r: Epoch = ask(&self.stub, &UserRequest::TokenEpoch).await?;
        Ok(r.epoch)
    }

    pub async fn revoke_tokens(&self) -> Result<u64, EdgeError> {
        let r: Epoch = ask(&self.stub, &UserRequest::RevokeTokens).await?;
        Ok(r.epoch)
    }

    pub async fn record_send(&self, now_ms: u64, limits: SendLimits) -> Result<(), EdgeError> {
        self.done(&UserRequest::RecordSend { now_ms, limits }).await
    }

    pub async fn enrol_ga(&self, secret: String, now_ms: u64) -> Result<(), EdgeError> {
        self.done(&UserRequest::EnrolGa { secret, now_ms }).await
    }

    pub async fn verify_ga(
        &self,
        code: String,
        now_ms: u64,
        limits: LockLimits,
    ) -> Result<GaVerdict, EdgeError> {
        let r = UserRequest::VerifyGa {
            code,
            now_ms,
            limits,
        };
        ask(&self.stub, &r).await
    }

    pub async fn profile(&self) -> Result<RiskProfile, EdgeError> {
        ask(&self.stub, &UserRequest::Profile).await
    }

    pub async fn record_attempt(&self, now_ms: u64, limit: Option<u32>) -> Result<bool, EdgeError> {
        let r: Recorded = ask(&self.stub, &UserRequest::RecordAttempt { now_ms, limit }).await?;
        Ok(r.ok)
    }

    pub async fn set_trusted(&self, trusted: bool) -> Result<(), EdgeError> {
        self.done(&UserRequest::SetTrusted { trusted }).await
    }

    pub async fn add_device(&self, device_id: String) -> Result<(), EdgeError> {
        self.done(&UserRequest::AddDevice { device_id }).await
    }

    pub async fn s4_sealed(&self, nonces: Vec<SealedNonce>, now_ms: u64) -> Result<(), EdgeError> {
        self.s4_do(S4Request::Sealed { nonces, now_ms }).await
    }

    pub async fn s4_check(&self) -> Result<S4Check, EdgeError> {
        self.s4(S4Request::Check).await
    }

    pub async fn s4_account(&self) -> Result<Option<Account>, EdgeError> {
        let r: S4Account = self.s4(S4Request::Account).await?;
        Ok(r.account)
    }

    /// Any other S4 request whose answer is only success.
    pub async fn s4_do(&self, r: S4Request) -> Result<(), EdgeError> {
        self.done(&UserRequest::S4(r)).await
    }

    pub async fn s4_unannounced(&self) -> Result<Vec<Withdrawal>, EdgeError> {
        let r: Withdrawals = self.s4(S4Request::Unannounced).await?;
        Ok(r.withdrawals)
    }

    pub async fn s4_client_status(&self, pay_id: Id) -> Result<ClientStatus, EdgeError> {
        let r: ClientStatusAnswer = self.s4(S4Request::ClientStatus { pay_id }).await?;
        Ok(r.client_status)
    }
}
