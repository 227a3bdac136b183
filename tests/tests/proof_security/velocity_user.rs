//! Issue 14, low item "concurrent pays cannot overshoot the per-user velocity window":
//! `pay` read the user's window for the risk check and recorded the attempt later,
//! unconditionally, so pays of one user on several orders launched together all read
//! the same not-yet-full window and all reached the provider. The user's object now
//! checks the limit again where it records (as `IpObject` does per address), and a pay
//! that finds the window filled by a concurrent one is refused `velocity_user`.

use serde_json::Value;

use super::proof_support::Rig;

#[test]
fn velocity_per_user_holds_under_concurrency() {
    let vars = [
        ("KASSA_RISK_VELOCITY_USER_10M", "3"),
        // Eight codes for one user, sent back to back.
        ("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0"),
        ("KASSA_RISK_CODE_SEND_PER_HOUR", "100"),
        // Eight pays at once on a busy machine: S0 must not fail them closed.
        ("KASSA_S0_TIMEOUT_MS", "15000"),
    ];
    let rig = Rig::start("sec-user-race", &vars);
    let api = &rig.api;
    let ready: Vec<(String, Value)> = (0..8)
        .map(|_| {
            let (id, secret) = api.order("u-race-one");
            let body = api.pay_body(&id, &secret);
            (secret, body)
        })
        .collect();
    let results: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let running: Vec<_> = ready
            .iter()
            .map(|(secret, body)| scope.spawn(move || api.widget("pay", secret, None, body)))
            .collect();
        running.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let paid = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(paid, 3, "{results:?}");
    for (s, v) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*s, 403, "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap_or("")
                .contains("velocity_user"),
            "{v}"
        );
    }
    assert_eq!(rig.sandbox.counter("wallet.pay"), 3);
}
