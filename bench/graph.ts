// npm run bench:graph [-- N/M ...]: `graphns -o x.svg` as a whole process on
// scenes of N processes in M user namespaces (default 2000/500: about 1,500
// user and PID namespaces), with the time of each phase as graphns reports it
// (LINUXNS_REL_TIMING=1). Prints medians; asserts nothing about time. Ends
// only the processes it started.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { ROUNDS, median, scenesFromArgs, startScene } from './scene.js'

const GOAL_MS = 3000
const repo = dirname(dirname(fileURLToPath(import.meta.url)))


const scenes = scenesFromArgs(['2000/500'])

if (process.geteuid?.() !== 0) console.log('note: not root; graphns sees only your own processes')
const dir = mkdtempSync(join(tmpdir(), 'bench-graph-'))
const out = join(dir, 'x.svg')

try {
  for (const [n, m] of scenes) {
    const scene = await startScene(n, m)
    try {
      const phases = new Map<string, number[]>()
      const wall: number[] = []
      let counts = ''
      for (let round = 0; round < ROUNDS; round++) {
        const start = process.hrtime.bigint()
        const run = spawnSync(process.execPath, [join(repo, 'bin', 'graphns'), '-o', out], {
          env: { ...process.env, LINUXNS_REL_TIMING: '1' },
          encoding: 'utf8',
        })
        wall.push(Number(process.hrtime.bigint() - start) / 1e6)
        if (run.status !== 0) throw new Error(`graphns exited with ${run.status ?? run.signal}: ${run.stderr}`)
        for (const m of run.stderr.matchAll(/timing: ([a-z ]+?)(?: \((.*)\))? (\d+) ms/g)) {
          phases.set(m[1]!, [...(phases.get(m[1]!) ?? []), Number(m[3])])
          if (m[1] === 'graph') counts = m[2] ?? ''
        }
      }
      console.log(`\n${scene.processes} processes in ${m} user namespaces; graph: ${counts}; median of ${ROUNDS}`)
      for (const [phase, samples] of phases) console.log(`  ${phase.padEnd(16)}${median(samples).toFixed(0).padStart(8)} ms`)
      const total = median(wall)
      console.log(`  ${'whole process'.padEnd(16)}${total.toFixed(0).padStart(8)} ms   (goal < ${GOAL_MS} ms: ${total < GOAL_MS ? 'met' : 'missed'})`)
      console.log(`  SVG size: ${(statSync(out).size / 1e6).toFixed(1)} MB`)
    } finally {
      await scene.end()
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
