//! The reference for `npm run bench`: the same relations calls in a bare Rust
//! loop, with no JavaScript in between. Prints one JSON object of median
//! nanoseconds per call.
//!
//! Usage: ioctl_loop [CALLS] [ROUNDS]

use std::hint::black_box;
use std::os::fd::AsRawFd;
use std::time::Instant;

use linuxns_rel::{get_nstype, get_userns, open_ns, NsRef};

const NS: &str = "/proc/self/ns/net";

/// Median nanoseconds per call of `call`, over `rounds` rounds of `calls` calls.
fn per_call(calls: u32, rounds: u32, mut call: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                call();
            }
            start.elapsed().as_nanos() as f64 / f64::from(calls)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() -> Result<(), linuxns_rel::Error> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u32>());
    let calls = args.next().and_then(Result::ok).unwrap_or(200_000);
    let rounds = args.next().and_then(Result::ok).unwrap_or(5).max(1);
    let fd = open_ns(NS)?;
    let raw = fd.as_raw_fd();
    let nstype_request = nix::request_code_none!(0xb7, 3);
    let mt = std::env::var("MT").is_ok();
    let _t = if mt {
        Some(std::thread::spawn(|| {
            std::thread::sleep(std::time::Duration::from_secs(100))
        }))
    } else {
        None
    };
    let results = [
        (
            "ioctl",
            per_call(calls, rounds, || {
                // SAFETY: NS_GET_NSTYPE passes no data.
                black_box(unsafe { libc::ioctl(raw, nstype_request as _) });
            }),
        ),
        (
            "getNstype(fd)",
            per_call(calls, rounds, || {
                let _ = black_box(get_nstype(NsRef::Fd(raw)));
            }),
        ),
        (
            "getUserns(fd)",
            per_call(calls, rounds, || {
                let _ = black_box(get_userns(NsRef::Fd(raw)));
            }),
        ),
        (
            "getNstype(path)",
            per_call(calls / 4, rounds, || {
                let _ = black_box(get_nstype(NS));
            }),
        ),
        (
            "getUserns(path)",
            per_call(calls / 4, rounds, || {
                let _ = black_box(get_userns(NS));
            }),
        ),
    ];
    // Node runs several threads; the kernel's fd lookup takes a slower path in
    // a process whose file table is shared, so measure the bare ioctl that way too.
    let _idle = std::thread::spawn(std::thread::park);
    let threaded = per_call(calls, rounds, || {
        // SAFETY: NS_GET_NSTYPE passes no data.
        black_box(unsafe { libc::ioctl(raw, nstype_request as _) });
    });
    let fields: Vec<String> = results
        .iter()
        .chain([&("ioctl, 2 threads", threaded)])
        .map(|(name, ns)| format!("\"{name}\":{ns:.1}"))
        .collect();
    println!("{{{}}}", fields.join(","));
    Ok(())
}
