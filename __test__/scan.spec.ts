// One model, two scans: discover({ scan: 'bpf' }) and discover({ scan:
// 'procfs' }) compared field by field on the namespace zoo and on a scene of
// 2,000 processes (the containers: containers.spec.ts), the choice of
// scan and its errors, and the fallback to /proc where bpf(2) is denied by
// a seccomp filter (`no_bpf`, an example of the core crate) or the caller
// is not root.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { startScene } from '../bench/scene.js'
import { type DiscoveredNamespace, type NstypeName, discover, discoverAsync } from '../index.js'
import { OTHER_UID, asUid, isRoot, nsInode, runPiped, startSleeper, stop, stopAll } from './helpers/procs.js'
import { testNeeding } from './helpers/needs.js'
import { checkSameModel } from './helpers/scans.js'
import { packageCopy } from './helpers/package-copy.js'
import { type Zoo, buildZoo } from './helpers/zoo.js'

const TYPES: NstypeName[] = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']
const ROOT = fileURLToPath(new URL('..', import.meta.url))

let zoo: Zoo

test.before(async () => {
  zoo = await buildZoo()
})

test.after.always(async () => {
  await zoo?.remove()
  await stopAll()
})

/** Builds the `no_bpf` example (cargo reuses an earlier build) and gives its path. */
function noBpf(): string {
  const messages = execFileSync('cargo', ['build', '--quiet', '--example', 'no_bpf', '--message-format=json'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  for (const line of messages.split('\n')) {
    const m = (line.startsWith('{') ? JSON.parse(line) : {}) as { reason?: string; target?: { name?: string }; executable?: string | null }
    if (m.reason === 'compiler-artifact' && m.target?.name === 'no_bpf' && m.executable) return m.executable
  }
  throw new Error('cargo built no no_bpf example')
}

testNeeding({ root: true }, 'discover() gives the same zoo namespaces, field by field, through BPF and through /proc', async (t) => {
  for (const options of [{ types: TYPES }, { types: TYPES, tasks: true }, { types: ['user', 'pid'] as NstypeName[] }]) {
    const procfs = discover({ ...options, scan: 'procfs' })
    const bpf = discover({ ...options, scan: 'bpf' })
    const bpfAsync = await discoverAsync({ ...options, scan: 'bpf' })
    t.is(procfs.scan, 'procfs')
    t.is(bpf.scan, 'bpf')
    t.is(bpfAsync.scan, 'bpf')
    const inos = zoo.namespaces.filter((z) => options.types.includes(z.type)).map((z) => z.ino)
    t.true(inos.length > 0)
    checkSameModel(t, procfs, bpf, inos, JSON.stringify(options))
    checkSameModel(t, procfs, bpfAsync, inos, `${JSON.stringify(options)}, async`)
  }
})

testNeeding({ root: true }, 'discover() gives the same namespaces of 2,000 processes in 500 user namespaces, field by field, through BPF and through /proc', async (t) => {
  t.timeout(180_000)
  const scene = await startScene(2000, 500)
  try {
    const procfs = discover({ types: TYPES, scan: 'procfs' })
    const bpf = discover({ types: TYPES, scan: 'bpf' })
    // The scene's user namespaces, and the PID namespaces they own.
    const users = new Set(scene.pids.map((pid) => nsInode(pid, 'user')))
    const inos = procfs.namespaces.filter((ns) => users.has(ns.ino) || (ns.owner !== null && users.has(ns.owner))).map((ns) => ns.ino)
    t.is(inos.length, 3 * scene.userNamespaces, 'each user namespace with its two PID namespaces')
    checkSameModel(t, procfs, bpf, inos, `${scene.processes} processes`)
  } finally {
    await scene.end()
  }
})

testNeeding({ root: true }, 'as root, discover() runs the BPF scan unless told otherwise, and says so', (t) => {
  t.is(discover().scan, 'bpf')
  t.is(discover({ scan: 'auto' }).scan, 'bpf')
  t.is(discover({ scan: 'procfs' }).scan, 'procfs')
})

test('options.scan must be auto, bpf or procfs', (t) => {
  for (const scan of ['BPF', 'proc', '', 1, null, ['bpf']]) {
    t.throws(() => discover({ scan: scan as never }), { code: 'ERR_INVALID_ARG_VALUE', message: /options\.scan must be one of 'auto', 'bpf', 'procfs'/ })
  }
})

/** What a child reports of discover() with each choice of scan, the package's index given by its URL. */
const scriptOf = (index: string): string => `
import { discover } from ${JSON.stringify(index)}
const run = (scan) => {
  try { return { scan: discover({ scan }).scan } } catch (e) { return { code: e.code, errno: e.errno, syscall: e.syscall, message: e.message } }
}
console.log(JSON.stringify({ auto: run('auto'), bpf: run('bpf'), procfs: run('procfs') }))
`
const SCRIPT = scriptOf(new URL('../index.js', import.meta.url).href)

interface Report {
  auto: { scan?: string }
  bpf: { scan?: string; code?: string; errno?: number; syscall?: string; message?: string }
  procfs: { scan?: string }
}

testNeeding({ root: true }, 'where a seccomp filter denies bpf(2), auto falls back to /proc and bpf is an error naming why', async (t) => {
  const launcher = noBpf()
  const run = await runPiped([launcher, process.execPath, '--input-type=module', '-e', SCRIPT], { LINUXNS_REL_DEBUG: '1' })
  t.is(run.status, 0, run.stderr)
  const report = JSON.parse(run.stdout) as Report
  t.deepEqual(report.auto, { scan: 'procfs' })
  t.deepEqual(report.procfs, { scan: 'procfs' })
  t.like(report.bpf, { code: 'EPERM', errno: -1, syscall: 'bpf' })
  t.regex(report.bpf.message ?? '', /^EPERM: the BPF scan cannot run: bpf\(2\) denied .*seccomp/)
  t.regex(run.stderr, /linuxns-rel: scanning \/proc: no BPF scan: bpf\(2\) denied/)

  const quiet = await runPiped([launcher, process.execPath, '--input-type=module', '-e', SCRIPT], { LINUXNS_REL_DEBUG: undefined })
  t.is(quiet.stderr, '', 'auto falls back silently')

  const tool = await runPiped([launcher, process.execPath, `${ROOT}bin/lsuserns`, '--scan=bpf'])
  t.is(tool.status, 1)
  t.regex(tool.stderr, /^lsuserns: EPERM: the BPF scan cannot run: bpf\(2\) denied/)
  const json = await runPiped([launcher, process.execPath, `${ROOT}bin/lsuserns`, '--json'])
  t.is(json.status, 0, json.stderr)
  t.is((JSON.parse(json.stdout) as { scan: string }).scan, 'procfs')
})

test('for a user who is not root, auto falls back to /proc and bpf is an error naming why', async (t) => {
  if (!isRoot) {
    const run = await runPiped([process.execPath, '--input-type=module', '-e', SCRIPT])
    t.is(run.status, 0, run.stderr)
    return check(JSON.parse(run.stdout) as Report)
  }
  // As another uid, from a copy that uid can read (the clone's folder may be root's alone).
  const copy = packageCopy()
  t.teardown(() => copy.remove())
  const script = scriptOf(pathToFileURL(join(copy.dir, 'index.js')).href)
  const run = await runPiped(asUid(OTHER_UID, ['--inh-caps=-all', process.execPath, '--input-type=module', '-e', script]))
  t.is(run.status, 0, run.stderr)
  check(JSON.parse(run.stdout) as Report)
  function check(report: Report): void {
    t.deepEqual(report.auto, { scan: 'procfs' })
    t.like(report.bpf, { code: 'EPERM', syscall: 'bpf', message: 'EPERM: the BPF scan cannot run: not root, and without CAP_BPF and CAP_PERFMON' })
  }
})

testNeeding({ root: true }, 'the tools take --scan and say in --json which scan ran', async (t) => {
  for (const tool of ['lsuserns', 'lspidns', 'lsallns']) {
    for (const scan of ['bpf', 'procfs']) {
      const run = await runPiped([process.execPath, `${ROOT}bin/${tool}`, '--json', `--scan=${scan}`])
      t.is(run.status, 0, run.stderr)
      const out = JSON.parse(run.stdout) as { scan: string; namespaces: unknown[] }
      t.deepEqual(Object.keys(out), ['scan', 'namespaces'])
      t.is(out.scan, scan)
    }
  }
  const bad = await runPiped([process.execPath, `${ROOT}bin/lsallns`, '--scan=ebpf'])
  t.is(bad.status, 2)
  t.regex(bad.stderr, /option '--scan' must be auto, bpf or procfs, not 'ebpf'/)
})

testNeeding({ root: true }, 'the BPF scan loads while signals keep arriving (a profiler samples every 100 µs), and finds a PID namespace as /proc shows it', async (t) => {
  // The kernel's verifier gives up on a pending signal; the core holds them
  // back while its programs load.
  const chain = await startSleeper(['unshare', '--pid', '--fork', '--kill-child', 'sleep', 'infinity'])
  const sleeper = chain[chain.length - 1]!
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-prof-'))
  try {
    const profiled = await runPiped([process.execPath, '--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir, `${ROOT}bin/lspidns`, '--json', '--scan=bpf'])
    t.is(profiled.status, 0, profiled.stderr)
    t.true(readdirSync(dir).some((f) => f.endsWith('.cpuprofile')), 'the profiler ran')
    const { namespaces } = JSON.parse(profiled.stdout) as { namespaces: DiscoveredNamespace[] }
    const ns = namespaces.find((n) => n.ino === nsInode(sleeper, 'pid'))
    t.like(ns, { type: 'pid', parent: nsInode('self', 'pid'), owner: nsInode(sleeper, 'user'), pid: sleeper })
  } finally {
    stop(chain[0]!)
    rmSync(dir, { recursive: true, force: true })
  }
})

testNeeding({ root: true }, 'a user namespace no process is in that owns a network namespace a process is in: found by discover({ owners }) through either scan, and by plain lsuserns', async (t) => {
  const [maker] = await startSleeper(['unshare', '-Ur', '--net', 'sleep', 'infinity'])
  const user = nsInode(maker!, 'user')
  await startSleeper(['nsenter', `--net=/proc/${maker}/ns/net`, 'sleep', 'infinity'])
  stop(maker!)
  for (let waited = 0; existsSync(`/proc/${maker}`) && waited < 10_000; waited += 10) await sleep(10)
  for (const scan of ['bpf', 'procfs'] as const) {
    const found = (owners: boolean) => discover({ types: ['user'], scan, owners }).namespaces.find((n) => n.ino === user)
    t.like(found(true), { type: 'user', via: ['hierarchy'], processes: 0 }, scan)
    t.is(found(false), undefined, scan)
  }
  const run = await runPiped([process.execPath, `${ROOT}bin/lsuserns`, '--json'])
  t.is(run.status, 0, run.stderr)
  const ns = (JSON.parse(run.stdout) as { namespaces: DiscoveredNamespace[] }).namespaces.find((n) => n.ino === user)
  t.like(ns, { type: 'user', via: ['hierarchy'], processes: 0 })
})
