// A long run: discoverAsync() of every type, with threads, again and again
// for a minute, through each scan in turn (BPF only as root), while
// processes and namespaces are made and ended around it.
// Every scan succeeds, and the process's descriptors, threads and memory end
// where they were once it had warmed up.
import test from 'ava'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

import { NSTYPE_NAMES, discoverAsync } from '../index.js'
import { isRoot } from './helpers/procs.js'
import { SCANS } from './helpers/scans.js'

const SECONDS = 60
const TURNS = isRoot ? SCANS : (['procfs'] as const)

function descriptors(): number {
  return readdirSync('/proc/self/fd').length
}

function threads(): number {
  return readdirSync('/proc/self/task').length
}

/** Resident memory in MiB, after a full collection. */
function rss(): number {
  ;(globalThis as { gc?: () => void }).gc?.()
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))
  return Number(line?.split(/\s+/)[1]) / 1024
}

test(`discoverAsync() for ${SECONDS} s amid processes and namespaces that come and go: no failure, nothing left behind`, async (t) => {
  t.timeout((SECONDS + 60) * 1000)
  // Warm up: libuv's thread pool starts on the first call, and V8 and the allocator settle.
  for (let i = 0; i < 20; i++) await discoverAsync({ types: NSTYPE_NAMES, tasks: true, scan: TURNS[i % TURNS.length] })
  const before = { fds: descriptors(), threads: threads() }

  // Around it: user, PID, network and mount namespaces made and ended, about fifty a second,
  // some kept a moment by a process that holds one open on a descriptor.
  const churn = spawn(
    'bash',
    ['-c', 'while :; do unshare -Ur --pid --fork --net --mount sleep 0.2 & unshare -Ur bash -c "exec 3</proc/self/ns/net; unshare -n sleep 0.1" & sleep 0.04; done'],
    { stdio: 'ignore', detached: true },
  )
  const steady: number[] = []
  let scans = 0
  let most = { fds: 0, threads: 0 }
  const start = Date.now()
  try {
    while (Date.now() - start < SECONDS * 1000) {
      const turn = TURNS[scans % TURNS.length]!
      const { namespaces, scan } = await discoverAsync({ types: NSTYPE_NAMES, tasks: true, scan: turn })
      t.true(namespaces.length > 0)
      t.is(scan, turn)
      scans++
      most = { fds: Math.max(most.fds, descriptors()), threads: Math.max(most.threads, threads()) }
      if (scans % 50 === 0) steady.push(rss())
    }
  } finally {
    // The whole churn group: the loop and what it started, by its process group id.
    process.kill(-churn.pid!, 'SIGKILL')
  }
  await sleep(500)
  const after = { fds: descriptors(), threads: threads() }
  t.log(`${scans} scans (${TURNS.join(' and ')} in turn); descriptors ${before.fds} -> at most ${most.fds} -> ${after.fds}; threads ${before.threads} -> at most ${most.threads} -> ${after.threads}; RSS (MiB) from ${Math.min(...steady).toFixed(0)} to ${Math.max(...steady).toFixed(0)}`)
  t.true(scans > 100, 'the loop ran')
  t.is(after.fds, before.fds, 'descriptors end where they started')
  t.is(after.threads, before.threads, 'threads end where they started')
  // Memory: the second half of the run holds no more than the first half's peak, give or take 16 MiB.
  const half = Math.floor(steady.length / 2)
  const firstPeak = Math.max(...steady.slice(0, half))
  const lastPeak = Math.max(...steady.slice(half))
  t.true(steady.length >= 4, 'RSS sampled through the run')
  t.true(lastPeak <= firstPeak + 16, `RSS ${firstPeak.toFixed(0)} MiB in the first half, ${lastPeak.toFixed(0)} MiB in the second`)
})
