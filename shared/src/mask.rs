//! Masking of contact details for `load_pay_data.userInfo` (S2 `load_pay_data` example,
//! SPEC 3.1): the widget shows *which* phone or mailbox a code goes to without the edge
//! ever handing the full value to the browser.
//!
//! Rules (all counting Unicode scalar values, never bytes, so no input can split a
//! character or panic):
//!
//! - **Mobile** ([`mobile`]): 11 characters or more (mainland numbers are 11 digits) keep
//!   the first 3 and the last 4 and star the rest — `18600000001` → `186****0001`, as in
//!   the seed. Shorter values keep `n / 4` characters at each end, so at least half is
//!   always hidden. The length is preserved.
//! - **E-mail** ([`email`]): the local part (before the *last* `@`) becomes its first
//!   character, eight `*` and its last character; the domain is kept —
//!   `zhangsan@163.com` → `z********n@163.com`, exactly the seed's example. The star
//!   count is fixed (the seed shows 8 stars for an 8-character local part) so the mask
//!   also hides the local part's length. Local parts of 1 or 2 characters would be
//!   revealed entirely by "first + last", so they become `********` alone. A value with
//!   no `@` is masked as a local part with no domain; an empty value stays empty.

/// The mask character S2 uses.
const STAR: char = '*';
/// Fixed number of stars in a masked e-mail local part (the seed's example has 8).
const EMAIL_STARS: usize = 8;

/// Masks a mobile number: `18600000001` → `186****0001`. Never panics; preserves the
/// number of characters.
#[must_use]
pub fn mobile(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let (head, tail) = if n >= 11 { (3, 4) } else { (n / 4, n / 4) };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { *c } else { STAR })
        .collect()
}

/// Masks an e-mail address: `zhangsan@163.com` → `z********n@163.com`. Never panics.
#[must_use]
pub fn email(value: &str) -> String {
    let (local, domain) = match value.rfind('@') {
        Some(at) => (&value[..at], Some(&value[at..])),
        None => (value, None),
    };
    if local.is_empty() && domain.is_none() {
        return String::new();
    }
    let chars: Vec<char> = local.chars().collect();
    let mut out = String::with_capacity(value.len() + EMAIL_STARS);
    let stars = core::iter::repeat_n(STAR, EMAIL_STARS);
    match chars.as_slice() {
        [first, .., last] if chars.len() >= 3 => {
            out.push(*first);
            out.extend(stars);
            out.push(*last);
        }
        _ => out.extend(stars),
    }
    if let Some(domain) = domain {
        out.push_str(domain);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seed_examples() {
        assert_eq!(mobile("18600000001"), "186****0001");
        assert_eq!(email("zhangsan@163.com"), "z********n@163.com");
    }

    #[test]
    fn mobile_odd_inputs() {
        assert_eq!(mobile(""), "");
        assert_eq!(mobile("1"), "*");
        assert_eq!(mobile("1234"), "1**4");
        assert_eq!(mobile("12345678"), "12****78");
        assert_eq!(mobile("+8618600000001"), "+86*******0001");
        assert_eq!(mobile("電話番号電話番号電話番"), "電話番****号電話番");
    }

    #[test]
    fn email_odd_inputs() {
        assert_eq!(email(""), "");
        assert_eq!(email("@163.com"), "********@163.com");
        assert_eq!(email("a@x.cn"), "********@x.cn");
        assert_eq!(email("ab@x.cn"), "********@x.cn");
        assert_eq!(email("abc@x.cn"), "a********c@x.cn");
        assert_eq!(email("noatsign"), "n********n");
        assert_eq!(email("a@b@c.com"), "a********b@c.com");
        assert_eq!(email("张三丰@例子.中国"), "张********丰@例子.中国");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = mobile(&s);
            let _ = email(&s);
            prop_assert_eq!(mobile(&s).chars().count(), s.chars().count());
        }

        #[test]
        fn ascii_mobiles_keep_length_and_hide_middle(s in "[0-9]{0,20}") {
            let m = mobile(&s);
            prop_assert_eq!(m.len(), s.len());
            let hidden = m.chars().filter(|c| *c == '*').count();
            prop_assert!(hidden * 2 >= s.len() || s.len() >= 11);
            if s.len() == 11 {
                prop_assert_eq!(&m[..3], &s[..3]);
                prop_assert_eq!(&m[7..], &s[7..]);
                prop_assert_eq!(&m[3..7], "****");
            }
        }

        #[test]
        fn email_keeps_domain(local in "[a-z0-9.]{3,30}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,4}") {
            let m = email(&format!("{local}@{domain}"));
            let want_domain = format!("@{domain}");
            prop_assert!(m.ends_with(&want_domain));
            prop_assert_eq!(m.chars().count(), 10 + 1 + domain.len());
        }
    }
}
