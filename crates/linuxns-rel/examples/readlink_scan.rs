//! The bare reference for discovery's speed: one readdir of `/proc` and a
//! readlink of `/proc/PID/ns/user` and `/proc/PID/ns/pid` per process, as a
//! C scan would do it; then `discover(&DiscoverOptions::default())`, timed
//! the same way in the same run. Prints one JSON object of median
//! milliseconds over the rounds:
//! `{"bare_ms":..,"discover_ms":..,"namespaces":..}`, or `{"ms":..}` for the
//! bare scan alone with `--bare`.
//!
//! Usage: readlink_scan [--bare] [ROUNDS]

use std::ffi::CString;
use std::hint::black_box;
use std::time::Instant;

use linuxns_rel::discover::{discover, DiscoverOptions};

/// Median milliseconds of `rounds` runs of `run`, and the last run's result.
fn median_ms<T>(rounds: usize, mut run: impl FnMut() -> T) -> (f64, Option<T>) {
    let mut last = None;
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            let out = run();
            let ms = start.elapsed().as_secs_f64() * 1e3;
            last = Some(out);
            ms
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (samples.get(samples.len() / 2).copied().unwrap_or(0.0), last)
}

/// The bare scan; returns how many links it read, so nothing is optimised away.
fn bare_scan() -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut buf = [0u8; 64];
    let mut links = 0;
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        for t in ["user", "pid"] {
            let Ok(path) = CString::new(format!("/proc/{pid}/ns/{t}")) else {
                continue;
            };
            // SAFETY: `path` is NUL-terminated; the kernel writes at most `buf.len()` bytes.
            let n = unsafe { libc::readlink(path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                links += 1;
                black_box(&buf);
            }
        }
    }
    links
}

fn main() {
    let mut bare_only = false;
    let mut rounds = 5;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--bare" => bare_only = true,
            n => rounds = n.parse().unwrap_or(rounds).max(1),
        }
    }
    let (bare_ms, _) = median_ms(rounds, bare_scan);
    if bare_only {
        println!("{{\"ms\": {bare_ms:.2}}}");
        return;
    }
    let options = DiscoverOptions::default();
    let (discover_ms, found) = median_ms(rounds, || discover(&options));
    let namespaces = match found {
        Some(Ok(found)) => found.namespaces.len(),
        Some(Err(e)) => {
            eprintln!("discover: {e}");
            std::process::exit(1);
        }
        None => 0,
    };
    println!(
        "{{\"bare_ms\": {bare_ms:.2}, \"discover_ms\": {discover_ms:.2}, \"namespaces\": {namespaces}}}"
    );
}
