// The fallbacks for kernels older than Linux 6.11, checked on this one: a
// node process runs under `older_kernel` (an example of the core crate), a
// seccomp filter that answers the newer nsfs and pidfd requests and nsfs
// file handles as an older kernel does. What it reports is compared with
// /proc, read by this process. Discovery runs under each scan: both must
// fall back.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { release } from 'node:os'
import { fileURLToPath } from 'node:url'

import type { NstypeName } from '../index.js'
import { nsInode, runPiped, startSleeper, stopAll } from './helpers/procs.js'
import { scanTest } from './helpers/scans.js'

const TYPES: NstypeName[] = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']
const ROOT = fileURLToPath(new URL('..', import.meta.url))

test.after.always(stopAll)

/** Builds the `older_kernel` example (cargo reuses an earlier build) and gives its path. */
function olderKernel(): string {
  const messages = execFileSync('cargo', ['build', '--quiet', '--example', 'older_kernel', '--message-format=json'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  for (const line of messages.split('\n')) {
    const m = (line.startsWith('{') ? JSON.parse(line) : {}) as { reason?: string; target?: { name?: string }; executable?: string | null }
    if (m.reason === 'compiler-artifact' && m.target?.name === 'older_kernel' && m.executable) return m.executable
  }
  throw new Error('cargo built no older_kernel example')
}

const launcher = olderKernel()

/** What the child reports: each newer call's error, and what still works. */
const SCRIPT = `
import * as ns from ${JSON.stringify(new URL('../index.js', import.meta.url).href)}
const failure = (call) => {
  try { call(); return null } catch (e) { return { code: e.code, errno: e.errno, syscall: e.syscall, message: e.message } }
}
const net = '/proc/self/ns/net', pid = '/proc/self/ns/pid'
const stat = ns.nsStat(net)
const [target, scan] = [Number(process.argv[1]), process.argv[2]]
// Well-formed (handle_bytes = 8, then the type and 8 bytes), so that only the kernel stands in the way.
const handle = Buffer.alloc(16)
new DataView(handle.buffer).setUint32(0, 8, (await import('node:os')).endianness() === 'LE')
console.log(JSON.stringify({
  features: ns.kernelFeatures(),
  failures: {
    getNsId: failure(() => ns.getNsId(net)),
    getMntnsId: failure(() => ns.getMntnsId('/proc/self/ns/mnt')),
    pidFromPidns: failure(() => ns.pidFromPidns(pid, 1)),
    tgidFromPidns: failure(() => ns.tgidFromPidns(pid, 1)),
    pidInPidns: failure(() => ns.pidInPidns(pid, process.pid)),
    tgidInPidns: failure(() => ns.tgidInPidns(pid, process.pid)),
    listMountNamespaces: failure(() => ns.listMountNamespaces()),
    nsFileHandle: failure(() => ns.nsFileHandle(net)),
    openNsFileHandle: failure(() => ns.openNsFileHandle(handle)),
  },
  nsStat: { type: stat.type, ino: stat.ino, id: stat.id },
  opened: Object.fromEntries(${JSON.stringify(TYPES)}.map((t) => {
    const file = ns.openProcessNamespace(target, t)
    try { return [t, ns.nsStat(file).ino] } finally { file.close() }
  })),
  discovered: ns.discover({ types: ${JSON.stringify(TYPES)}, scan }).namespaces.map((n) => ({ type: n.type, ino: n.ino, id: n.id, via: n.via })),
}))
`

interface Report {
  features: Record<string, boolean | string>
  failures: Record<string, { code: string; errno: number; syscall: string; message: string } | null>
  nsStat: { type: string; ino: number; id: string | null }
  opened: Record<string, number>
  discovered: { type: string; ino: number; id: string | null; via: string[] }[]
}

const NEEDS: Record<string, [since: string, syscall: string]> = {
  getNsId: ['6.18', 'ioctl'],
  getMntnsId: ['6.11', 'ioctl'],
  pidFromPidns: ['6.11', 'ioctl'],
  tgidFromPidns: ['6.11', 'ioctl'],
  pidInPidns: ['6.11', 'ioctl'],
  tgidInPidns: ['6.11', 'ioctl'],
  listMountNamespaces: ['6.12', 'ioctl'],
  nsFileHandle: ['6.18', 'name_to_handle_at'],
  openNsFileHandle: ['6.18', 'open_by_handle_at'],
}

scanTest({}, 'on a kernel older than 6.11 the newer functions throw ENOTSUP naming the release they need, and the rest falls back', async (t, scan) => {
  const chain = await startSleeper(['unshare', '-Ur', '--net', '--uts', '--ipc', '--mount', '--cgroup', '--time', '--pid', '--fork', '--kill-child', 'sleep', 'infinity'])
  const sleeper = chain[chain.length - 1]!
  const run = await runPiped([launcher, process.execPath, '--input-type=module', '-e', SCRIPT, String(sleeper), scan])
  t.is(run.status, 0, run.stderr)
  const report = JSON.parse(run.stdout) as Report

  t.deepEqual(report.features, {
    nsId: false,
    pidTranslation: false,
    mntnsId: false,
    mntnsList: false,
    nsFileHandle: false,
    pidfdNamespace: false,
    release: release(),
  })
  t.deepEqual(Object.keys(report.failures), Object.keys(NEEDS))
  for (const [name, [since, syscall]] of Object.entries(NEEDS)) {
    t.like(report.failures[name], { code: 'ENOTSUP', errno: -95, syscall }, name)
    t.true(report.failures[name]?.message.startsWith(`ENOTSUP: ${name}() needs Linux ${since} or later`), name)
    t.true(report.failures[name]?.message.endsWith(`this kernel is ${release()}`), name)
  }

  t.deepEqual(report.nsStat, { type: 'net', ino: nsInode('self', 'net'), id: null })
  // The sleeper's namespaces come through /proc instead of a pidfd.
  t.deepEqual(report.opened, Object.fromEntries(TYPES.map((type) => [type, nsInode(sleeper, type)])))
  // Discovery still finds them, and ours, without ids or the kernel's list of mount namespaces.
  t.true(report.discovered.every((ns) => ns.id === null && !ns.via.includes('mount-list')))
  const found = new Set(report.discovered.map((ns) => `${ns.type}:${ns.ino}`))
  for (const type of TYPES) {
    t.true(found.has(`${type}:${nsInode(sleeper, type)}`), `the sleeper's ${type}`)
    t.true(found.has(`${type}:${nsInode('self', type)}`), `our ${type}`)
  }
})

scanTest({}, 'lsallns runs on a kernel older than 6.11, with no ids', async (t, scan) => {
  const run = await runPiped([launcher, process.execPath, `${ROOT}bin/lsallns`, '--json', `--scan=${scan}`])
  t.is(run.status, 0, run.stderr)
  const { namespaces } = JSON.parse(run.stdout) as { namespaces: { type: string; ino: number; id: string | null }[] }
  t.true(namespaces.every((ns) => ns.id === null))
  const found = new Set(namespaces.map((ns) => `${ns.type}:${ns.ino}`))
  for (const type of TYPES) t.true(found.has(`${type}:${nsInode('self', type)}`), `our ${type}`)
})
