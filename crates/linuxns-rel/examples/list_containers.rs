//! The running containers with their init pids and namespaces, from the
//! engines' state alone (`list_containers`), or every process's containers
//! from a scan of /proc (`list_containers --scan`): what the benchmarks
//! time next to `docker inspect`.

use std::time::Instant;

use linuxns_rel::containers::{namespaces_of_pid, ContainerOptions, Engines};

fn main() {
    let scan = std::env::args().any(|a| a == "--scan");
    let started = Instant::now();
    let mut engines = Engines::new(ContainerOptions::default());
    if scan {
        let mut processes = 0;
        let mut in_containers = 0;
        let pids = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok());
        for pid in pids {
            processes += 1;
            if !engines.containers_of_pid(pid).is_empty() {
                in_containers += 1;
            }
        }
        println!("{processes} processes, {in_containers} in containers");
    } else {
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
                &c.id.get(..12).unwrap_or(&c.id),
                c.name.as_deref().unwrap_or("-"),
                c.pid.map_or("-".to_owned(), |p| p.to_string()),
                c.image.as_deref().unwrap_or("-"),
                ns.join(" ")
            );
        }
    }
    for note in engines.notes() {
        eprintln!("{note}");
    }
    eprintln!("{:.1} ms", started.elapsed().as_secs_f64() * 1e3);
}
