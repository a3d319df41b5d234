//! Text from the system (process names, paths, user names) as JavaScript
//! strings that lose nothing: valid UTF-8 as it is, and each byte that is not
//! as the lone surrogate U+DC80 + byte, as Python's `surrogateescape` does.
//! `JSON.stringify` writes those as `\udcXX`; the tools show them as `\xXX`.

use std::fmt::Write;

/// `bytes` as a JSON string literal: valid UTF-8 as it is, each invalid
/// byte as the escape `\udcXX`, which `JSON.parse` reads as that lone
/// surrogate.
pub(crate) fn json_text(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c < ' ' => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        for &b in chunk.invalid() {
            let _ = write!(out, "\\u{:04x}", 0xdc00 | u16::from(b));
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::json_text;

    #[test]
    fn json_text_escapes_what_json_must_and_each_invalid_byte() {
        let json = |b: &[u8]| {
            let mut out = String::new();
            json_text(&mut out, b);
            out
        };
        assert_eq!(json(b"sleep"), "\"sleep\"");
        assert_eq!(json(b"a\"b\\c\n\x1b[31m"), r#""a\"b\\c\u000a\u001b[31m""#);
        assert_eq!(json("日\u{202e}".as_bytes()), "\"日\u{202e}\"");
        assert_eq!(json(b"a\xff\xfeb"), r#""a\udcff\udcfeb""#);
        assert_eq!(json(b"\xe2\x80"), r#""\udce2\udc80""#);
    }
}
