//! English (United States).

use super::Key;

pub const TABLE: &[(Key, &str)] = &[
    (Key::Title, "Checkout"),
    (Key::Loading, "Loading your order…"),
    (Key::OrderRef, "Order"),
    (Key::Pay, "Pay"),
    (Key::Cancel, "Cancel"),
    (Key::PayItems, "You pay"),
    (Key::ProductItems, "For"),
    (Key::ExpiresIn, "Expires in {time}"),
    (Key::Expired, "This order has expired."),
    (Key::CodeTitleGa, "Enter your authenticator code"),
    (Key::CodeTitleSms, "Enter the code we texted you"),
    (Key::CodeTitleEmail, "Enter the code we e-mailed you"),
    (Key::CodeLabel, "6-digit code"),
    (
        Key::CodeHintGa,
        "Open your authenticator app and enter the current code.",
    ),
    (Key::CodeSentTo, "Code sent to {to}."),
    (Key::SendCode, "Send code"),
    (Key::Resend, "Resend code"),
    (Key::ResendIn, "Resend in {n} s"),
    (Key::Submit, "Confirm payment"),
    (Key::WrongCode, "That code is not right."),
    (
        Key::WrongCodeAttempts,
        "That code is not right. {n} attempts left.",
    ),
    (
        Key::Locked,
        "Too many wrong codes. Try again in {n} minutes.",
    ),
    (Key::PasteRefused, "Paste a 6-digit code."),
    (Key::Paying, "Paying…"),
    (Key::Processing, "Waiting for confirmation…"),
    (Key::Redirecting, "Taking you to the payment page…"),
    (Key::Paid, "Payment complete."),
    (Key::Failed, "The payment did not go through."),
    (Key::TryAgain, "Try again"),
    (Key::Cancelled, "This payment was cancelled."),
    (Key::NetworkError, "We could not reach the payment service."),
    (Key::Retry, "Retry"),
    (Key::UnknownToken, "unknown amount"),
];
