#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| linuxns_rel::fuzzing::btf_layout(data));
