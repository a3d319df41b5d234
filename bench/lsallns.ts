// npm run bench:lsallns [-- N/M ...]: lsallns against lsns (all types), each
// run as a whole process with its output discarded, on scenes of N processes
// in M user namespaces (default 2000/500 and 10000/2000). Prints medians and
// ratios, and where lsallns spends its time (discover() with every type, then
// the output); asserts nothing about time. Ends only the processes it started.
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { NSTYPE_NAMES, discover } from '../index.js'
import { ROUNDS, scenesFromArgs, startScene, timeCommand, timeCommands, timeInProcess } from './scene.js'

const repo = dirname(dirname(fileURLToPath(import.meta.url)))
const scenes = scenesFromArgs(['2000/500', '10000/2000'])

if (process.geteuid?.() !== 0) console.log('note: not root; lsns and lsallns see only your own processes')
const node = process.execPath
const lsallns = join(repo, 'bin', 'lsallns')
const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(38) : c.padStart(10))).join('')
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

for (const [n, m] of scenes) {
  const scene = await startScene(n, m)
  try {
    console.log(`\n${scene.processes} processes in ${m} user namespaces (+ ${2 * m} PID namespaces); median of ${ROUNDS}; load average ${load()}`)
    console.log(row(['', 'ms', 'lsns ms', 'ratio', 'goal']))
    const goal = n <= 2000 ? 0.5 : 0.15
    // Interleaved, so that both see the same machine.
    const [ours, lsns] = timeCommands([[node, lsallns], ['lsns']]) as [number, number]
    console.log(row(['lsallns vs lsns', ours.toFixed(0), lsns.toFixed(0), `${(ours / lsns).toFixed(2)}x`, `<= ${goal}x`]))
    const [json, lsnsJson] = timeCommands([[node, lsallns, '--json'], ['lsns', '--json']]) as [number, number]
    console.log(row(['lsallns --json vs lsns --json', json.toFixed(0), lsnsJson.toFixed(0), `${(json / lsnsJson).toFixed(2)}x`]))
    // Where lsallns's time goes.
    const nodeStart = timeCommand([node, '-e', ''])
    const options = { types: [...NSTYPE_NAMES], tasks: true, fds: true, bindMounts: true }
    discover(options) // warm the caches as the scan below finds them
    const all = timeInProcess(() => discover(options))
    const noTasks = timeInProcess(() => discover({ ...options, tasks: false }))
    const userPid = timeInProcess(() => discover({ types: ['user', 'pid'] }))
    const count = discover(options).namespaces.length
    console.log(`  where it goes: node start ${nodeStart.toFixed(0)} ms; discover() all types ${all.toFixed(0)} ms (${count} namespaces),`)
    // Medians of separate runs: the rest can come out a little below zero.
    const rest = Math.max(0, ours - nodeStart - all)
    console.log(`  without threads' own namespaces (tasks: false) ${noTasks.toFixed(0)} ms, user+pid only ${userPid.toFixed(0)} ms; the rest (loading, output) about ${rest.toFixed(0)} ms`)
  } finally {
    await scene.end()
  }
}
console.log(`\nload average at the end: ${load()}`)
