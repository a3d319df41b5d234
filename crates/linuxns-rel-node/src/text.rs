//! Text from the system (process names, paths, user names) as JavaScript
//! strings that lose nothing: valid UTF-8 as it is, and each byte that is not
//! as the lone surrogate U+DC80 + byte, as Python's `surrogateescape` does.
//! `JSON.stringify` writes those as `\udcXX`; the tools show them as `\xXX`.

use napi::bindgen_prelude::Utf16String;

/// The UTF-16 code units of `bytes`, each invalid byte as U+DC80 + byte.
pub(crate) fn js_text(bytes: &[u8]) -> Utf16String {
    let mut units = Vec::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        units.extend(chunk.valid().encode_utf16());
        units.extend(chunk.invalid().iter().map(|&b| 0xdc00 | u16::from(b)));
    }
    Utf16String::from(units)
}

#[cfg(test)]
mod tests {
    use super::js_text;

    #[test]
    fn bytes_that_are_not_utf8_become_lone_surrogates() {
        let units = |b: &[u8]| js_text(b).to_vec();
        assert_eq!(units(b"sleep"), "sleep".encode_utf16().collect::<Vec<_>>());
        assert_eq!(
            units("日\u{202e}".as_bytes()),
            "日\u{202e}".encode_utf16().collect::<Vec<_>>()
        );
        assert_eq!(units(b"a\xff\xfeb"), vec![0x61, 0xdcff, 0xdcfe, 0x62]);
        // A sequence cut short: each of its bytes on its own.
        assert_eq!(units(b"\xe2\x80"), vec![0xdce2, 0xdc80]);
    }
}
