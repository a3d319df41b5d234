//! The BPF scan's speed: loading its programs, and running both iterators,
//! timed apart ([`Loaded`]), then the whole of `bpf_scan::scan()`, which
//! runs each iterator as soon as its program is loaded; each naming the
//! first process of every user and PID namespace, as `discover()` of those
//! types has it do. Prints one JSON object of median milliseconds over the
//! rounds:
//! `{"load_ms":..,"scan_ms":..,"total_ms":..,"tasks":..,"namespaces":..,"files":..,"named":..}`,
//! or the reason the scan cannot run here, on stderr, with exit status 1.
//!
//! Usage: bpf_scan [ROUNDS]

use std::time::Instant;

use linuxns_rel::bpf_scan::Loaded;
use linuxns_rel::NsType;

const NAMES: [NsType; 2] = [NsType::User, NsType::Pid];

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let (mut load, mut scan, mut total) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        let loaded = Loaded::load().unwrap_or_else(|why| {
            eprintln!("bpf_scan: {why}");
            std::process::exit(1)
        });
        let loaded_at = Instant::now();
        let snapshot = loaded.scan(&NAMES).unwrap_or_else(|why| {
            eprintln!("bpf_scan: {why}");
            std::process::exit(1)
        });
        scan.push(loaded_at.elapsed().as_secs_f64() * 1e3);
        load.push((loaded_at - start).as_secs_f64() * 1e3);
        last = Some(snapshot);
        let start = Instant::now();
        if let Err(why) = linuxns_rel::bpf_scan::scan(&NAMES) {
            eprintln!("bpf_scan: {why}");
            std::process::exit(1)
        }
        total.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let snap = last.unwrap_or_default();
    println!(
        "{{\"load_ms\":{:.2},\"scan_ms\":{:.2},\"total_ms\":{:.2},\"tasks\":{},\"processes\":{},\"namespaces\":{},\"files\":{},\"named\":{}}}",
        median(load),
        median(scan),
        median(total),
        snap.tasks.len(),
        snap.tasks.iter().filter(|t| t.pid == t.tgid).count(),
        snap.namespaces.len(),
        snap.files.len(),
        snap.argv0.len()
    );
}
