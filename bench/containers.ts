// npm run bench:containers [-- N/M [CONTAINERS]]: what naming containers
// costs, on the scene of N processes in M user namespaces (default
// 10000/2000) plus CONTAINERS running Docker containers (default 50), as
// root: lsallns against lsallns --no-containers, and lscontainers against
// `docker inspect $(docker ps -q)` (what a user runs by hand, two calls of
// the Docker CLI). Whole processes, output discarded, NODE_EXTRA_CA_CERTS
// unset (Node reads those certificates at start-up). Medians; asserts
// nothing about time. Ends only the processes and containers it started.
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { NSTYPE_NAMES, discover, listContainers } from '../index.js'
import { ROUNDS, startScene, timeCommand, timeCommands, timeInProcess } from './scene.js'

const repo = dirname(dirname(fileURLToPath(import.meta.url)))
const DOCKER = '/usr/bin/docker'
const IMAGE = 'linuxns-rel-busybox:test'
const [sceneArg = '10000/2000', countArg = '50'] = process.argv.slice(2)
const [n, m] = sceneArg.split('/').map(Number)
const count = Number(countArg)
if (!n || !m || !Number.isInteger(count)) throw new Error(`usage: bench/containers.ts [N/M [CONTAINERS]], not ${process.argv.slice(2).join(' ')}`)
if (process.geteuid?.() !== 0) throw new Error('bench:containers runs containers: as root only')

execFileSync('bash', [join(repo, '.ci/docker-testbed.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] })
const tag = `lnsrel-bench-${process.pid}`
const docker = (...args: string[]): string => execFileSync(DOCKER, args, { encoding: 'utf8' }).trim()
const removeOurs = (): void => {
  const ids = docker('ps', '-aq', '--filter', `label=${tag}`).split('\n').filter(Boolean)
  if (ids.length > 0) docker('rm', '-f', ...ids)
}

const node = process.execPath
const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(44) : c.padStart(10))).join('')
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

try {
  for (let i = 0; i < count; i++) {
    docker('run', '-d', '--label', tag, '--label', 'com.docker.compose.project=bench', IMAGE, 'sleep', '3600')
  }
  const scene = await startScene(n, m)
  try {
    const running = docker('ps', '-q').split('\n').filter(Boolean).length
    console.log(`${scene.processes} processes in ${m} user namespaces, ${running} running Docker containers; median of ${ROUNDS}; load average ${load()}`)
    console.log(row(['', 'ms', 'peer ms', 'ratio', 'goal']))
    // Interleaved, so that both see the same machine.
    const lsallns = join(repo, 'bin', 'lsallns')
    const [withContainers, without] = timeCommands([[node, lsallns], [node, lsallns, '--no-containers']]) as [number, number]
    console.log(row(['lsallns vs lsallns --no-containers', withContainers.toFixed(0), without.toFixed(0), `${(withContainers / without).toFixed(2)}x`, '<= 1.1x']))
    const [lscontainers, inspect] = timeCommands([
      [node, join(repo, 'bin', 'lscontainers')],
      ['sh', '-c', `${DOCKER} inspect $(${DOCKER} ps -q)`],
    ]) as [number, number]
    console.log(row(['lscontainers vs docker inspect $(docker ps -q)', lscontainers.toFixed(0), inspect.toFixed(0), `${(lscontainers / inspect).toFixed(2)}x`, '<= 0.7x']))
    const json = timeCommand([node, join(repo, 'bin', 'lscontainers'), '--json'])
    const bare = timeCommand([node, '-e', '0'])
    console.log(`  lscontainers --json ${json.toFixed(0)} ms; node -e 0 ${bare.toFixed(0)} ms`)
    // In this process: what the containers step adds to a scan, and what listing costs.
    const options = { types: [...NSTYPE_NAMES], tasks: true, fds: true, bindMounts: true }
    discover(options) // warm the caches as the scans below find them
    const on = timeInProcess(() => discover({ ...options, containers: true }))
    const off = timeInProcess(() => discover({ ...options, containers: false }))
    const list = timeInProcess(() => listContainers())
    console.log(`  in-process: discover() all types ${on.toFixed(0)} ms with containers, ${off.toFixed(0)} ms without; listContainers() ${list.toFixed(1)} ms`)
  } finally {
    await scene.end()
  }
} finally {
  removeOurs()
}
console.log(`load average at the end: ${load()}`)
