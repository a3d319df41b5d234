// npm run bench:bpf [-- N/M ...]: the BPF scan against the /proc scan, on
// scenes of N processes in M user namespaces (default 2000/500 and
// 10000/2000): loading its programs and running them, apart and as scan()
// overlaps them (the core's bpf_scan example), discover() in-process with
// each scan against the bare readlink scan, and lsuserns, lspidns and
// lsallns with each scan against lsns.
// Prints medians and ratios; asserts nothing about time. Root only (the BPF
// scan needs it); ends only the processes it started.
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { discover } from '../index.js'
import { ROUNDS, scenesFromArgs, startScene, timeCommands, timeInProcess } from './scene.js'

const repo = dirname(dirname(fileURLToPath(import.meta.url)))
const scenes = scenesFromArgs(['2000/500', '10000/2000'])

if (process.geteuid?.() !== 0) {
  console.error('bench:bpf: the BPF scan needs root')
  process.exit(1)
}
execFileSync('cargo', ['build', '--quiet', '--release', '-p', 'linuxns-rel', '--example', 'readlink_scan', '--example', 'bpf_scan'], {
  cwd: repo,
  stdio: 'inherit',
})
const example = (name: string, args: string[] = []): Record<string, number> =>
  JSON.parse(execFileSync(join(repo, 'target/release/examples', name), args, { encoding: 'utf8' })) as Record<string, number>
const node = process.execPath
const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(36) : c.padStart(13))).join('')
const ms = (n: number): string => n.toFixed(1)

for (const [n, m] of scenes) {
  const scene = await startScene(n, m)
  try {
    console.log(`\n${scene.processes} processes in ${m} user namespaces (+ ${2 * m} PID namespaces); median of ${ROUNDS}`)
    const core = example('bpf_scan', [String(ROUNDS)])
    const bare = example('readlink_scan', ['--bare'])
    console.log(`BPF scan in the core: load ${ms(core.load_ms!)} ms, both iterators ${ms(core.scan_ms!)} ms, and scan() with each iterator run as soon as it is loaded ${ms(core.total_ms!)} ms (${core.tasks} tasks, ${core.namespaces} namespaces, ${core.files} files); bare readlink scan ${ms(bare.ms!)} ms`)
    console.log(row(['', 'bpf ms', 'procfs ms', 'peer ms', 'bpf ratio', 'procfs ratio']))
    for (const scan of ['procfs', 'bpf'] as const) discover({ types: ['user', 'pid'], scan }) // warm the caches
    const inProcess = (scan: 'bpf' | 'procfs'): number => timeInProcess(() => discover({ types: ['user', 'pid'], scan }))
    const [dBpf, dProc] = [inProcess('bpf'), inProcess('procfs')]
    console.log(row(['discover() vs bare readlink scan', ms(dBpf), ms(dProc), ms(bare.ms!), `${(dBpf / bare.ms!).toFixed(2)}x`, `${(dProc / bare.ms!).toFixed(2)}x`]))
    for (const [tool, peer] of [
      ['lsuserns', ['lsns', '-t', 'user']],
      ['lspidns', ['lsns', '-t', 'pid']],
      ['lsallns', ['lsns']],
    ] as const) {
      const run = (scan: string): string[] => [node, join(repo, 'bin', tool), `--scan=${scan}`]
      const [bpf, procfs, lsns] = timeCommands([run('bpf'), run('procfs'), [...peer]]) as [number, number, number]
      console.log(row([`${tool} vs ${peer.join(' ')}`, ms(bpf), ms(procfs), ms(lsns), `${(bpf / lsns).toFixed(2)}x`, `${(procfs / lsns).toFixed(2)}x`]))
    }
  } finally {
    await scene.end()
  }
}
