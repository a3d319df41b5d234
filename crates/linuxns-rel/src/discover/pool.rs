//! Adds nothing to the model: the pool of threads the steps share their work out on.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Items are handed to the threads in blocks of this many; fewer items than
/// twice this per thread are not worth a thread.
const BLOCK: usize = 64;

/// `items.iter().map(..)` over the available cores. Each thread takes the
/// next block of items as it gets through the last, so a thread slowed down
/// by other work on its core holds up no one, and maps them with its own
/// `state()`. The results come back in the order of `items`.
pub(super) fn par_map<T: Sync, S, R: Send>(
    items: &[T],
    state: impl Fn() -> S + Sync,
    map: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / (2 * BLOCK))
        .max(1);
    if threads == 1 {
        let mut s = state();
        return items.iter().map(|item| map(&mut s, item)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut s = state();
        let mut done = Vec::new();
        loop {
            let block = next.fetch_add(1, Ordering::Relaxed);
            let Some(share) = items.chunks(BLOCK).nth(block) else {
                return done;
            };
            done.push((block, share.iter().map(|item| map(&mut s, item)).collect()));
        }
    };
    let mut blocks: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        // This thread takes its share too: where no other thread can be
        // started, it does all the work.
        let handles: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        let mut done = work();
        for h in handles {
            done.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        done
    });
    blocks.sort_unstable_by_key(|(block, _)| *block);
    blocks
        .into_iter()
        .flat_map(|(_, results)| results)
        .collect()
}
