// npm run bench:discover [-- N/M ...]: lsuserns and lspidns against lsns, and
// discover() against a bare readlink scan, on scenes of N processes in M
// user namespaces (default 2000/500 and 10000/2000). Prints medians and
// ratios; asserts nothing about time. Ends only the processes it started.
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { discover } from '../index.js'
import { ROUNDS, scenesFromArgs, startScene, timeCommands, timeInProcess } from './scene.js'

const repo = dirname(dirname(fileURLToPath(import.meta.url)))
const scenes = scenesFromArgs(['2000/500', '10000/2000'])

if (process.geteuid?.() !== 0) console.log('note: not root; lsns and discover() see only your own processes')
execFileSync('cargo', ['build', '--quiet', '--release', '-p', 'linuxns-rel', '--example', 'readlink_scan'], {
  cwd: repo,
  stdio: 'inherit',
})
const node = process.execPath
const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(34) : c.padStart(12))).join('')

for (const [n, m] of scenes) {
  const scene = await startScene(n, m)
  try {
    console.log(`\n${scene.processes} processes in ${m} user namespaces (+ ${2 * m} PID namespaces); median of ${ROUNDS}`)
    console.log(row(['', 'ms', 'peer ms', 'ratio', 'goal']))
    const goal = n <= 2000 ? 1 : 0.25
    for (const [tool, type] of [
      ['lsuserns', 'user'],
      ['lspidns', 'pid'],
    ] as const) {
      const [ours, lsns] = timeCommands([[node, join(repo, 'bin', tool)], ['lsns', '-t', type]]) as [number, number]
      console.log(row([`${tool} vs lsns -t ${type}`, ours.toFixed(0), lsns.toFixed(0), `${(ours / lsns).toFixed(2)}x`, `<= ${goal}x`]))
    }
    discover({ types: ['user', 'pid'] }) // warm the caches as the scan below finds them
    const inProcess = timeInProcess(() => discover({ types: ['user', 'pid'] }))
    const bare = JSON.parse(
      execFileSync(join(repo, 'target/release/examples/readlink_scan'), { encoding: 'utf8' }),
    ) as { bare_ms: number; discover_ms: number; namespaces: number }
    console.log(
      row(['discover() vs bare readlink scan', inProcess.toFixed(0), bare.bare_ms.toFixed(0), `${(inProcess / bare.bare_ms).toFixed(2)}x`, '<= 3x']),
    )
    console.log(row(['  (the Rust core alone)', bare.discover_ms.toFixed(0), '', `${(bare.discover_ms / bare.bare_ms).toFixed(2)}x`]))
  } finally {
    await scene.end()
  }
}
