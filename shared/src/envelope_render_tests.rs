//! Every kind of failure: its status, code, message, and each surface's body.

use serde_json::json;

use super::*;

fn all() -> Vec<(Failure, u16, &'static str, &'static str, &'static str)> {
    use ErrorCode as C;
    vec![
        (
            Failure::BadRequest {
                param: "amount".into(),
                message: "amount: bad".into(),
            },
            400,
            "parameter_invalid",
            "invalid_request_error",
            "amount: bad",
        ),
        (
            Failure::InvalidJson("eof".into()),
            400,
            "invalid_json",
            "invalid_request_error",
            "body: malformed JSON (eof)",
        ),
        (
            Failure::PayloadTooLarge,
            413,
            "body_too_large",
            "invalid_request_error",
            "body: larger than 65536 bytes",
        ),
        (
            Failure::Unauthorized,
            401,
            "invalid_api_key",
            "authentication_error",
            "missing or invalid bearer credential",
        ),
        (
            Failure::Forbidden("client_secret: other order"),
            403,
            "forbidden",
            "permission_error",
            "client_secret: other order",
        ),
        (
            Failure::NotFound("order"),
            404,
            "resource_missing",
            "invalid_request_error",
            "no such order",
        ),
        (
            Failure::RouteNotFound,
            404,
            "route_not_found",
            "invalid_request_error",
            "no such route",
        ),
        (
            Failure::MethodNotAllowed,
            405,
            "method_not_allowed",
            "invalid_request_error",
            "method not allowed on this route",
        ),
        (
            Failure::Conflict {
                code: C::OrderNotCancellable,
                message: "order: paid".into(),
            },
            409,
            "order_not_cancellable",
            "invalid_request_error",
            "order: paid",
        ),
        (
            Failure::TooManyRequests {
                code: C::CodeSendTooSoon,
                message: "wait".into(),
                retry_after_ms: 1_001,
            },
            429,
            "code_send_too_soon",
            "invalid_request_error",
            "wait",
        ),
        (
            Failure::Upstream {
                code: C::S0Unavailable,
                message: "S0: down".into(),
            },
            502,
            "s0_unavailable",
            "api_error",
            "S0: down",
        ),
        (
            Failure::WrongCode {
                message: "verify_code: wrong".into(),
                attempts_left: 2,
            },
            400,
            "wrong_verify_code",
            "invalid_request_error",
            "verify_code: wrong",
        ),
        (
            Failure::Config("the merchant key's variable"),
            500,
            "misconfigured",
            "api_error",
            "the edge is misconfigured; its operator can see why in the Worker's logs",
        ),
        (
            Failure::Internal("boom".into()),
            500,
            "internal",
            "api_error",
            "internal error",
        ),
    ]
}

#[test]
fn every_kind_has_its_status_code_and_message() {
    for (f, status, code, kind, message) in all() {
        assert_eq!(f.status(), status, "{f:?}");
        assert_eq!(f.code(), code, "{f:?}");
        assert_eq!(f.error_code().map(ErrorCode::as_str), Some(code));
        let r = f.clone().render();
        assert_eq!(r.status, status);
        assert_eq!(r.error.code, code);
        assert_eq!(r.error.kind, kind);
        assert_eq!(r.error.message, message);
    }
}

#[test]
fn only_settings_and_internal_failures_log_and_their_detail_stays_there() {
    for (f, ..) in all() {
        let r = f.clone().render();
        match f {
            Failure::Config(_) => {
                assert_eq!(
                    r.log.as_deref(),
                    Some("configuration error: the merchant key's variable")
                );
            }
            Failure::Internal(_) => assert_eq!(r.log.as_deref(), Some("internal error: boom")),
            _ => assert_eq!(r.log, None),
        }
        assert!(!r.error.message.contains("the merchant key's variable"));
        assert!(!r.error.message.contains("boom"));
    }
}

#[test]
fn params_limits_and_attempts() {
    let r = Failure::BadRequest {
        param: "amount".into(),
        message: "amount: bad".into(),
    }
    .render();
    assert_eq!(r.error.param.as_deref(), Some("amount"));
    let r = Failure::WrongCode {
        message: "verify_code: wrong".into(),
        attempts_left: 2,
    }
    .render();
    assert_eq!(r.error.param.as_deref(), Some("verify_code"));
    assert_eq!(r.error.attempts_left, Some(2));
    assert_eq!(r.retry_after_secs(), None);
    let r = Failure::TooManyRequests {
        code: ErrorCode::CodeSendTooSoon,
        message: "wait".into(),
        retry_after_ms: 1_001,
    }
    .render();
    assert_eq!(r.error.retry_after_ms, Some(1_001));
    assert_eq!(r.retry_after_secs(), Some(2));
    assert_eq!(r.error.param, None);
}

#[test]
fn an_api_error_passes_through_unchanged() {
    let error = ApiError {
        kind: "invalid_request_error".into(),
        code: "order_locked".into(),
        message: "verify_code: locked".into(),
        param: Some("verify_code".into()),
        retry_after_ms: Some(500),
        attempts_left: None,
    };
    let f = Failure::Api {
        status: 429,
        error: error.clone(),
    };
    assert_eq!(
        (f.status(), f.code(), f.error_code()),
        (429, "order_locked", None)
    );
    let r = f.render();
    assert_eq!((r.status, &r.error, &r.log), (429, &error, &None));
    assert_eq!(r.retry_after_secs(), Some(1));
}

#[test]
fn every_surface_shows_the_same_parts() {
    let r = Failure::Conflict {
        code: ErrorCode::OrderNotPayable,
        message: "order_id: closed".into(),
    }
    .render();
    assert_eq!(
        r.merchant(),
        json!({"error": {"type": "invalid_request_error", "code": "order_not_payable",
            "message": "order_id: closed", "param": null}})
    );
    assert_eq!(
        serde_json::to_value(r.widget()).unwrap_or_default(),
        json!({"status": 409, "code": "order_not_payable", "message": "order_id: closed", "field": null})
    );
    assert_eq!(
        serde_json::to_value(r.s4()).unwrap_or_default(),
        json!({"code": 409, "msg": "order_id: closed", "error": "order_not_payable", "field": null})
    );
    let s1 = serde_json::to_value(r.s1()).unwrap_or_default();
    assert_eq!(s1["code"], 400);
    assert_eq!(s1["message"], "order_id: closed");
    let s1 = serde_json::to_value(Failure::Internal("x".into()).render().s1()).unwrap_or_default();
    assert_eq!(s1["code"], 500);
    let s1 = serde_json::to_value(
        Failure::Upstream {
            code: ErrorCode::S0Unavailable,
            message: "S0: down".into(),
        }
        .render()
        .s1(),
    )
    .unwrap_or_default();
    assert_eq!(s1["code"], 500);
}
