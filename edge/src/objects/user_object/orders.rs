//! The user's order index for the S2 list (`GET /api/payment/orders`, SPEC 3.1), in the
//! `UserObject`'s SQLite storage (the class is SQLite-backed from its creation,
//! `wrangler.toml` migration `v3`), so every filter is one exact query over the whole
//! history instead of a scan of the newest ids.
//!
//! Table `orders (id TEXT PRIMARY KEY, status INTEGER, created_ms INTEGER)`:
//! - `id`: the order id as 20 zero-padded digits. Ids are 63-bit and would lose
//!   precision as JavaScript numbers (which is what a SQL integer crosses the Worker's
//!   boundary as); padded text sorts as the ids do, which is creation order.
//! - `status`: the S2 status *code* (0–4), the list's `status` filter.
//! - `created_ms`: the order's creation time, for `start_time` / `end_time` (below 2^53,
//!   so an integer is exact).
//!
//! Rows are written when the merchant creates the order (`AddOrder`, a repeat is
//! harmless) and each time the order's S2 status changes (`OrderStatus`, sent by the
//! order's `OrderObject` after it commits the change). A status for an order not yet
//! indexed inserts it, so the two writes may arrive in either order.
//!
//! Orders indexed before the table (KV keys `o:<20 digits>` → the id, no status) are
//! moved into it on the object's next list ([`migrate_legacy`]) with the status
//! [`UNREAD`]; the list answers those ids as `unresolved` until the Worker has read
//! each one's status from its `OrderObject` and sent it ([`set_status`]), so a filter
//! never misses or wrongly includes a pre-table order (`routes/widget_api.rs`).

use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue};

use kassa_shared::id::Id;

use crate::error::EdgeError;

/// Idempotent: run before each use (cheap; the object may be new or predate the table).
const SCHEMA: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS orders (\
     id TEXT PRIMARY KEY, status INTEGER NOT NULL, created_ms INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS orders_created ON orders (created_ms)",
];

/// The status of a row moved from the pre-table KV index, not yet read from its order.
pub const UNREAD: u8 = u8::MAX;

/// Key prefix of the pre-table KV index.
const LEGACY_PREFIX: &str = "o:";
/// Keys moved per storage round trip.
const LEGACY_BATCH: usize = 256;

/// What the list asks the index: every bound inclusive, `limit` already clamped.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, Deserialize)]
pub struct OrderFilter {
    pub status: Option<u8>,
    pub from: Option<Id>,
    pub to: Option<Id>,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub limit: u32,
}

fn text(id: Id) -> String {
    format!("{:020}", id.get())
}

/// The largest integer a JavaScript number (what a SQL binding crosses as) holds
/// exactly: 2^53 − 1.
const MAX_EXACT: u64 = (1 << 53) - 1;

fn int(v: u64, what: &str) -> Result<SqlStorageValue, EdgeError> {
    if v > MAX_EXACT {
        return Err(EdgeError::Internal(format!(
            "order index: {what} out of range"
        )));
    }
    i64::try_from(v)
        .map(SqlStorageValue::Integer)
        .map_err(|_| EdgeError::Internal(format!("order index: {what} out of range")))
}

/// A time bound of the caller's (any whole number the query took): one beyond every
/// real millisecond means the same as the largest exact one, so it is clamped there
/// rather than refused.
fn time(v: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::try_from(v.min(MAX_EXACT)).unwrap_or(i64::MAX))
}

fn sql_error(e: worker::Error) -> EdgeError {
    EdgeError::Internal(format!("order index: {e}"))
}

fn schema(sql: &SqlStorage) -> Result<(), EdgeError> {
    for statement in SCHEMA {
        sql.exec(statement, None).map_err(sql_error)?;
    }
    Ok(())
}

/// Indexes a new order (its creation time and status); a second add changes nothing,
/// so a retried create cannot undo a status recorded meanwhile.
pub fn add(sql: &SqlStorage, id: Id, created_ms: u64, status: u8) -> Result<(), EdgeError> {
    schema(sql)?;
    sql.exec(
        "INSERT INTO orders (id, status, created_ms) VALUES (?, ?, ?) \
         ON CONFLICT (id) DO NOTHING",
        vec![
            SqlStorageValue::from(text(id)),
            int(u64::from(status), "status")?,
            int(created_ms, "created_ms")?,
        ],
    )
    .map_err(sql_error)?;
    Ok(())
}

/// Records the order's current S2 status (inserting the row if the add has not
/// arrived yet; its creation time is the id's, which is when it was made).
pub fn set_status(sql: &SqlStorage, id: Id, status: u8) -> Result<(), EdgeError> {
    schema(sql)?;
    sql.exec(
        "INSERT INTO orders (id, status, created_ms) VALUES (?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status",
        vec![
            SqlStorageValue::from(text(id)),
            int(u64::from(status), "status")?,
            int(id.unix_ms(), "created_ms")?,
        ],
    )
    .map_err(sql_error)?;
    Ok(())
}

/// The ids matching `f`, newest first, at most `f.limit`.
pub fn list(sql: &SqlStorage, f: &OrderFilter) -> Result<Vec<Id>, EdgeError> {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    if let Some(s) = f.status {
        clauses.push("status = ?");
        args.push(int(u64::from(s), "status")?);
    }
    if let Some(from) = f.from {
        clauses.push("id >= ?");
        args.push(SqlStorageValue::from(text(from)));
    }
    if let Some(to) = f.to {
        clauses.push("id <= ?");
        args.push(SqlStorageValue::from(text(to)));
    }
    if let Some(start) = f.start_ms {
        clauses.push("created_ms >= ?");
        args.push(time(start));
    }
    if let Some(end) = f.end_ms {
        clauses.push("created_ms <= ?");
        args.push(time(end));
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    args.push(int(u64::from(f.limit), "limit")?);
    let query = format!("SELECT id FROM orders{filter} ORDER BY id DESC LIMIT ?");
    ids(sql, &query, args)
}

fn ids(sql: &SqlStorage, query: &str, args: Vec<SqlStorageValue>) -> Result<Vec<Id>, EdgeError> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    schema(sql)?;
    let rows: Vec<Row> = sql
        .exec(query, args)
        .and_then(|c| c.to_array())
        .map_err(sql_error)?;
    rows.iter()
        .map(|r| {
            r.id.parse::<Id>()
                .map_err(|e| EdgeError::Internal(format!("order index: stored id {}: {e}", r.id)))
        })
        .collect()
}

/// Moves every pre-table KV index key into the table (status [`UNREAD`], created at its
/// id's time) and deletes it. Each batch is inserted before its keys are deleted, so a
/// run cut short loses nothing and the next one carries on. Cheap when done: one empty
/// list.
pub async fn migrate_legacy(storage: &worker::Storage) -> Result<(), EdgeError> {
    let sql = storage.sql();
    schema(&sql)?;
    loop {
        let opts = worker::ListOptions::new()
            .prefix(LEGACY_PREFIX)
            .limit(LEGACY_BATCH);
        let map = storage.list_with_options(opts).await?;
        let mut keys = Vec::new();
        for key in map.keys() {
            let key = key.map_err(|e| EdgeError::Internal(format!("order index: {e:?}")))?;
            let Some(key) = key.as_string() else { continue };
            // Only the old index wrote `o:` keys in this object; one that is not an id
            // is dropped with the rest (a key left behind would be listed forever).
            if let Some(id) = key
                .strip_prefix(LEGACY_PREFIX)
                .and_then(|d| d.parse::<Id>().ok())
            {
                add(&sql, id, id.unix_ms(), UNREAD)?;
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Ok(());
        }
        storage.delete_multiple(keys).await?;
    }
}

/// Up to `limit` rows whose status was never read (moved by [`migrate_legacy`]).
pub fn unread(sql: &SqlStorage, limit: u32) -> Result<Vec<Id>, EdgeError> {
    let q = format!("SELECT id FROM orders WHERE status = {UNREAD} ORDER BY id DESC LIMIT {limit}");
    ids(sql, &q, Vec::new())
}

/// Test helpers only: makes `ids` look indexed before the table (rows removed, KV
/// keys written as the old index wrote them), for the migration's test. Answers what
/// the storage then holds: `(rows, legacy keys)` of the whole index.
pub async fn plant_legacy(
    storage: &worker::Storage,
    planted: &[Id],
) -> Result<(usize, usize), EdgeError> {
    let sql = storage.sql();
    schema(&sql)?;
    for id in planted {
        sql.exec(
            "DELETE FROM orders WHERE id = ?",
            vec![SqlStorageValue::from(text(*id))],
        )
        .map_err(sql_error)?;
        storage
            .put(&format!("{LEGACY_PREFIX}{}", text(*id)), id.to_string())
            .await?;
    }
    let rows = ids(&sql, "SELECT id FROM orders", Vec::new())?.len();
    let keys = storage
        .list_with_options(worker::ListOptions::new().prefix(LEGACY_PREFIX))
        .await?
        .size() as usize;
    Ok((rows, keys))
}
