//! The running containers with their init pids and namespaces, from the
//! engines' state alone, one line each (`list_containers`); or, with
//! `--time [ROUNDS]`, median milliseconds of the ways to find containers,
//! as one JSON object:
//!
//! - `list_ms`: the listing from the engines' state, with each init's
//!   eight namespace links (what `lscontainers` needs; no process scan);
//! - `scan_mnt_ms`: a readlink of `/proc/PID/ns/mnt` for every process
//!   (what a discovery scan reads anyway), the base of the two below;
//! - `scan_all_ms`: that, plus each process's containers from its
//!   `/proc/PID/cgroup` (cached by text);
//! - `scan_outside_ms`: that, reading the cgroup file only of processes
//!   outside the host's mount namespace (every engine gives its containers
//!   a mount namespace of their own).

use std::path::PathBuf;
use std::time::Instant;

use linuxns_rel::containers::{namespaces_of_pid, ContainerOptions, Engines};

fn pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .collect()
}

/// Each process's mount namespace link; how many processes are in
/// containers, reading their cgroup files as `read` says.
fn scan(read: impl Fn(&PathBuf, &PathBuf) -> bool) -> usize {
    let mut engines = Engines::new(ContainerOptions::default());
    let host_mnt = std::fs::read_link("/proc/2/ns/mnt").unwrap_or_default();
    let mut found = 0;
    for pid in pids() {
        let Ok(mnt) = std::fs::read_link(format!("/proc/{pid}/ns/mnt")) else {
            continue;
        };
        if read(&mnt, &host_mnt) && !engines.containers_of_pid(pid).is_empty() {
            found += 1;
        }
    }
    found
}

fn median_ms<T>(rounds: usize, mut run: impl FnMut() -> T) -> (f64, Option<T>) {
    let mut last = None;
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            last = Some(run());
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (samples.get(samples.len() / 2).copied().unwrap_or(0.0), last)
}

fn list() -> usize {
    let mut engines = Engines::new(ContainerOptions::default());
    engines
        .running()
        .iter()
        .map(|c| c.pid.map(namespaces_of_pid).unwrap_or_default().len())
        .sum()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--time") {
        let rounds = args.get(at + 1).and_then(|r| r.parse().ok()).unwrap_or(5);
        let (list_ms, links) = median_ms(rounds, list);
        let (mnt_ms, _) = median_ms(rounds, || scan(|_, _| false));
        let (all_ms, in_all) = median_ms(rounds, || scan(|_, _| true));
        let (outside_ms, in_outside) = median_ms(rounds, || scan(|mnt, host| mnt != host));
        println!(
            "{{\"list_ms\":{list_ms:.2},\"links\":{},\"processes\":{},\"scan_mnt_ms\":{mnt_ms:.2},\
             \"scan_all_ms\":{all_ms:.2},\"scan_outside_ms\":{outside_ms:.2},\
             \"in_containers\":[{},{}]}}",
            links.unwrap_or(0),
            pids().len(),
            in_all.unwrap_or(0),
            in_outside.unwrap_or(0)
        );
        return;
    }
    let mut engines = Engines::new(ContainerOptions::default());
    for c in engines.running() {
        let ns: Vec<String> = c
            .pid
            .map(namespaces_of_pid)
            .unwrap_or_default()
            .iter()
            .map(|(t, ino)| format!("{t}:{ino}"))
            .collect();
        println!(
            "{} {} {} pid {} image {} {}",
            c.engine,
            c.id.get(..12).unwrap_or(&c.id),
            c.name.as_deref().unwrap_or("-"),
            c.pid.map_or("-".to_owned(), |p| p.to_string()),
            c.image.as_deref().unwrap_or("-"),
            ns.join(" ")
        );
    }
    for note in engines.notes() {
        eprintln!("{note}");
    }
}
