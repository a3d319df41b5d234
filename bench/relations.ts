// npm run bench: the per-call cost of the relations API next to the same
// calls in a bare Rust loop (crates/linuxns-rel/examples/ioctl_loop.rs),
// both measured in this run. Prints figures; asserts nothing about time.
import { execFileSync } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

import { getNstype, getUserns } from '../index.js'

const CALLS = 200_000
const ROUNDS = 5
const NS = '/proc/self/ns/net'
const repo = dirname(dirname(fileURLToPath(import.meta.url)))

/** Median nanoseconds per call of `call`, over ROUNDS rounds of `calls` calls. */
function perCall(calls: number, call: () => void): number {
  const samples: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < calls; i++) call()
    samples.push(Number(process.hrtime.bigint() - start) / calls)
  }
  return samples.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!
}

execFileSync('cargo', ['build', '--quiet', '--release', '-p', 'linuxns-rel', '--example', 'ioctl_loop'], {
  cwd: repo,
  stdio: 'inherit',
})
const rust = JSON.parse(
  execFileSync(`${repo}/target/release/examples/ioctl_loop`, [String(CALLS), String(ROUNDS)], { encoding: 'utf8' }),
) as Record<string, number>

const fd = openSync(NS, 'r')
const node: Record<string, number> = {
  'getNstype(fd)': perCall(CALLS, () => getNstype(fd)),
  'getUserns(fd)': perCall(CALLS, () => getUserns(fd).close()),
  'getNstype(path)': perCall(CALLS / 4, () => getNstype(NS)),
  'getUserns(path)': perCall(CALLS / 4, () => getUserns(NS).close()),
}
closeSync(fd)

const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(18) : c.padStart(13))).join('')
const ioctl = rust.ioctl!
const threaded = rust['ioctl, 2 threads']!
console.log(`median ns per call, ${ROUNDS} rounds of up to ${CALLS} calls on ${NS}`)
console.log(row(['call', 'linuxns-rel', 'Rust loop', 'ratio']))
for (const [name, ns] of Object.entries(node)) {
  console.log(row([name, ns.toFixed(0), rust[name]!.toFixed(0), `${(ns / rust[name]!).toFixed(2)}x`]))
}
console.log(row(['bare ioctl', '', ioctl.toFixed(0)]))
console.log(row(['  with 2 threads', '', threaded.toFixed(0)]))
const nstype = node['getNstype(fd)']!
console.log(
  `getNstype(fd): ${(nstype / ioctl).toFixed(2)}x the bare NS_GET_NSTYPE ioctl, ` +
    `${(nstype / threaded).toFixed(2)}x the same ioctl from a process with a second thread, as every Node process has ` +
    '(goal: at most 1.5x)',
)
