// Namespace ids, pid translation, the mount namespace list, file handles,
// pidfd opening and kernelFeatures(), each against ground truth read
// independently from /proc (a second path to the same namespace, NSpid:,
// readlink) or through a bind mount.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { fstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import {
  NamespaceFile,
  type NstypeName,
  getMntnsId,
  getNsId,
  kernelFeatures,
  listMountNamespaces,
  nsFileHandle,
  nsStat,
  openNsFileHandle,
  openProcessNamespace,
  pidFromPidns,
  pidInPidns,
  tgidFromPidns,
  tgidInPidns,
} from '../index.js'
import { featureTest, features, testNeeding } from './helpers/needs.js'
import { isRoot, nsInode, startSleeper, stop, stopAll } from './helpers/procs.js'

const TYPES: NstypeName[] = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']

test.after.always(stopAll)

async function allTypesSleeper(): Promise<number> {
  const chain = await startSleeper(['unshare', '-Ur', '--net', '--uts', '--ipc', '--mount', '--cgroup', '--time', '--pid', '--fork', '--kill-child', 'sleep', 'infinity'])
  return chain[chain.length - 1]!
}

test('kernelFeatures() is probed once and cached, and names the running release', (t) => {
  t.is(kernelFeatures(), features)
  t.true(Object.isFrozen(features))
  t.is(features.release, release())
})

const [major, minor] = release().split('.').map(Number)
const linux618 = major! > 6 || (major === 6 && minor! >= 18)

;(linux618 ? test : test.skip)(`kernelFeatures() reports every feature on Linux 6.18 or later${linux618 ? '' : ` (skipped: this is ${release()})`}`, (t) => {
  t.deepEqual(features, {
    nsId: true,
    pidTranslation: true,
    mntnsId: true,
    mntnsList: true,
    nsFileHandle: true,
    pidfdNamespace: true,
    release: release(),
  })
})

featureTest('nsId', '6.18', 'getNsId: the same id through /proc/PID/ns and /proc/PID/task/TID/ns, distinct ids for distinct namespaces', async (t) => {
  const pid = await allTypesSleeper()
  const ids = new Set<bigint>()
  for (const target of [process.pid, pid]) {
    for (const type of TYPES) {
      const id = getNsId(`/proc/${target}/ns/${type}`)
      t.is(typeof id, 'bigint')
      t.is(getNsId(`/proc/${target}/task/${target}/ns/${type}`), id, `${type} of ${target}`)
      using file = NamespaceFile.open(`/proc/${target}/ns/${type}`)
      t.is(getNsId(file), id)
      t.is(getNsId(file.fd), id)
      ids.add(id)
    }
  }
  t.is(ids.size, 16, 'sixteen namespaces, sixteen ids')
  t.like(t.throws(() => getNsId('/dev/null')), { code: 'ENOTTY', syscall: 'ioctl' })
})

featureTest('nsId', '6.18', 'nsStat gives type, inode, device and id', (t) => {
  const nsfsDev = statSync('/proc/self/ns/user').dev
  for (const type of TYPES) {
    const st = nsStat(`/proc/self/ns/${type}`)
    t.deepEqual(st, { type, ino: nsInode('self', type), dev: nsfsDev, id: getNsId(`/proc/self/task/${process.pid}/ns/${type}`) })
  }
  t.like(t.throws(() => nsStat('/nonexistent')), { code: 'ENOENT', syscall: 'open', path: '/nonexistent' })
})

/** The NSpid: line of /proc/PID/status: the pid in each PID namespace, outermost first. */
function nspid(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('NSpid:'))
  return line!.split(/\s+/).slice(1).filter(Boolean).map(Number)
}

featureTest('pidTranslation', '6.11', 'pid translation agrees with NSpid: for a process two PID namespaces deep', async (t) => {
  const [, level1, level2] = await startSleeper(['unshare', '-Urpf', '--kill-child', 'unshare', '-pf', '--kill-child', 'sleep', 'infinity'])
  const numbers = nspid(level2!)
  t.is(numbers.length, 3)
  t.is(numbers[0], level2)
  for (const [depth, owner] of [
    [1, level1!],
    [2, level2!],
  ] as const) {
    const ns = `/proc/${owner}/ns/pid`
    t.is(pidInPidns(ns, level2!), numbers[depth]!, `depth ${depth}`)
    t.is(tgidInPidns(ns, level2!), numbers[depth]!)
    t.is(pidFromPidns(ns, numbers[depth]!), level2!)
    t.is(tgidFromPidns(ns, numbers[depth]!), level2!)
  }
  const inner = `/proc/${level2}/ns/pid`
  t.like(t.throws(() => pidInPidns(inner, process.pid)), { code: 'ESRCH', errno: -3, syscall: 'ioctl', path: inner })
  t.throws(() => pidFromPidns(inner, 4_000_000), { code: 'ESRCH' })
  t.throws(() => pidFromPidns('/proc/self/ns/net', 1), { code: 'EINVAL' })
  t.throws(() => pidInPidns(inner, 0), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  t.throws(() => pidInPidns(inner, 1.5), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  t.throws(() => pidInPidns(inner, '1' as unknown as number), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => pidInPidns({} as unknown as string, 1), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
})

featureTest('mntnsList', '6.12', 'listMountNamespaces lists those of processes (root; else only our own), and (root) one kept only by a bind mount', async (t) => {
  const [pid] = await startSleeper(['unshare', '-Urm', 'sleep', 'infinity'])
  const list = listMountNamespaces()
  const byIno = new Map(list.map((m) => [m.ino, m]))
  // Walking the kernel's list needs CAP_SYS_ADMIN in the initial user namespace; without it, only our own is there.
  if (!isRoot) t.deepEqual(list.map((m) => m.ino), [nsInode('self', 'mnt')], 'only our own mount namespace')
  for (const target of isRoot ? [process.pid, pid!] : [process.pid]) {
    const m = byIno.get(nsInode(target, 'mnt'))
    if (!m) return t.fail(`mount namespace of ${target} not listed`)
    t.is(m.id, getMntnsId(`/proc/${target}/ns/mnt`))
    t.is(m.mounts, readFileSync(`/proc/${target}/mountinfo`, 'utf8').trim().split('\n').length, 'mounts')
  }
  t.deepEqual([...list].sort((a, b) => (a.id < b.id ? -1 : 1)), list, 'in id order')
  t.is(new Set(list.map((m) => m.id)).size, list.length)
  t.throws(() => getMntnsId('/proc/self/ns/net'), { code: 'EINVAL' })
  if (!isRoot) return t.log('skipped the bind-mount part: needs root')
  const [sleeper] = await startSleeper(['unshare', '-m', 'sleep', 'infinity'])
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-mntns-'))
  const file = join(dir, 'mnt')
  writeFileSync(file, '')
  execFileSync('mount', ['--bind', `/proc/${sleeper}/ns/mnt`, file])
  try {
    const id = getMntnsId(file)
    const ino = statSync(file).ino
    stop(sleeper!)
    for (let waited = 0; waited < 5000 && readlinkSafe(`/proc/${sleeper}/ns/mnt`) !== null; waited += 10) await sleep(10)
    const kept = listMountNamespaces().find((m) => m.id === id)
    t.deepEqual(kept && { id: kept.id, ino: kept.ino }, { id, ino }, 'the bind-mount-only mount namespace is listed')
  } finally {
    execFileSync('umount', ['-l', file])
    rmSync(dir, { recursive: true, force: true })
  }
})

function readlinkSafe(path: string): string | null {
  try {
    return readlinkSync(path)
  } catch {
    return null
  }
}

featureTest('nsFileHandle', '6.18', 'a file that is no namespace has no namespace file handle: ENOTTY from ioctl', (t) => {
  for (const path of ['/dev/null', '/etc/passwd']) {
    t.like(t.throws(() => nsFileHandle(path)), { code: 'ENOTTY', syscall: 'ioctl', path }, path)
  }
})

featureTest('nsFileHandle', '6.18', "a file handle of the caller's own namespace reopens it without a path", (t) => {
  const handle = nsFileHandle('/proc/self/ns/uts')
  using reopened = openNsFileHandle(handle)
  t.is(fstatSync(reopened.fd).ino, statSync('/proc/self/ns/uts').ino)
  t.is(nsStat(reopened).type, 'uts')
})

// The kernel reopens a handle of a namespace that another user namespace owns
// only for a caller privileged over it; to anyone else it is ESTALE, as if gone.
testNeeding(
  { root: true, feature: ['nsFileHandle', '6.18'] },
  'a file handle reopens the same namespace without a path, and gives ESTALE once it is gone',
  async (t) => {
    const [pid] = await startSleeper(['unshare', '-Ur', '--uts', 'sleep', 'infinity'])
    const path = `/proc/${pid}/ns/uts`
    const handle = nsFileHandle(path)
    t.true(Buffer.isBuffer(handle))
    using file = NamespaceFile.open(path)
    t.deepEqual(nsFileHandle(file), handle)
    {
      using reopened = openNsFileHandle(handle)
      t.true(reopened instanceof NamespaceFile)
      t.is(fstatSync(reopened.fd).ino, nsInode(pid!, 'uts'))
      t.is(nsStat(reopened).type, 'uts')
    }
    // A copy made elsewhere (a Uint8Array) works as well.
    openNsFileHandle(new Uint8Array(handle)).close()
    file.close()
    stop(pid!)
    let error: unknown
    for (let waited = 0; waited < 5000; waited += 20) {
      try {
        openNsFileHandle(handle).close()
      } catch (e) {
        error = e
        break
      }
      await sleep(20)
    }
    t.like(error, { code: 'ESTALE', syscall: 'open_by_handle_at' })
    t.throws(() => openNsFileHandle(Buffer.from([1, 2, 3])), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
    t.throws(() => openNsFileHandle('abc' as unknown as Buffer), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  },
)

test('openProcessNamespace opens each of the eight types, as readlink of /proc/PID/ns/TYPE names them', async (t) => {
  if (!features.pidfdNamespace) t.log(`no PIDFD_GET_*_NAMESPACE on Linux ${features.release}: through /proc`)
  const pid = await allTypesSleeper()
  for (const target of [process.pid, pid]) {
    for (const type of TYPES) {
      using file = openProcessNamespace(target, type)
      t.is(`${type}:[${fstatSync(file.fd).ino}]`, readlinkSync(`/proc/${target}/ns/${type}`), `${type} of ${target}`)
    }
  }
  t.throws(() => openProcessNamespace(2 ** 31 - 1, 'net'), { code: 'ESRCH' })
  t.throws(() => openProcessNamespace(pid, 'bogus' as NstypeName), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => openProcessNamespace(-1, 'net'), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
})
