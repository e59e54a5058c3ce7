//! Any bytes given to the DNS answer readers: an error or an answer, never a panic, a
//! hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = orgpass_core::dns::read_txt_answer(data, 0xBEEF, "_orgpass-challenge.acme-example.com");
    let _ = orgpass_core::dns::json::read_json_answer(data, "_orgpass-challenge.acme-example.com");
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = orgpass_core::dns::json::unquote_txt(text);
    }
});
