//! Seconds left until a deadline, re-rendering once a second.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use yew::{hook, use_effect_with, use_state};

/// The browser clock in Unix milliseconds (the reducer never reads it itself).
#[must_use]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
// `Date.now()` is a non-negative integral f64 far below 2^53: the cast is exact.
pub fn now_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}

/// Whole seconds (rounded up) until `deadline_ms`; 0 once it has passed.
#[hook]
pub fn use_countdown(deadline_ms: u64) -> u64 {
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with(deadline_ms, move |_| {
            let alive = Rc::new(Cell::new(true));
            let running = alive.clone();
            now.set(now_ms());
            wasm_bindgen_futures::spawn_local(async move {
                while running.get() {
                    yew::platform::time::sleep(Duration::from_secs(1)).await;
                    if !running.get() {
                        break;
                    }
                    let t = now_ms();
                    now.set(t);
                    if t >= deadline_ms {
                        break;
                    }
                }
            });
            move || alive.set(false)
        });
    }
    deadline_ms.saturating_sub(*now).div_ceil(1000)
}
