import test from 'ava'
import { closeSync, constants as fsConstants, readdirSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'

import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  NamespaceFile,
  type NamespaceRef,
  getNstype,
  getOwnerUid,
  getParentns,
  getUserns,
  nstypeStr,
} from '../index.js'
import {
  OTHER_UID,
  asUid,
  effectiveUid,
  inode,
  isRoot,
  nsInode,
  startSleeper,
  stopAll,
  userNamespaceChain,
} from './helpers/procs.js'

const TYPES = {
  cgroup: CLONE_NEWCGROUP,
  ipc: CLONE_NEWIPC,
  mnt: CLONE_NEWNS,
  net: CLONE_NEWNET,
  pid: CLONE_NEWPID,
  time: CLONE_NEWTIME,
  user: CLONE_NEWUSER,
  uts: CLONE_NEWUTS,
} as const
type TypeName = keyof typeof TYPES
const TYPE_NAMES = Object.keys(TYPES) as TypeName[]

test.after.always(stopAll)

/** The inode of the namespace an open descriptor refers to, read with fstat(2). */
function fdInode(ns: NamespaceFile): number {
  try {
    return fstatSync(ns.fd).ino
  } finally {
    ns.close()
  }
}

/**
 * Calls `fn` with the namespace at `path` named each way a caller may name
 * it: path, raw fd, NamespaceFile and fs.promises.FileHandle.
 */
async function eachRef<T>(path: string, fn: (ref: NamespaceRef, kind: string) => T): Promise<T[]> {
  const results: T[] = [fn(path, 'path')]
  const fd = openSync(path, 'r')
  try {
    results.push(fn(fd, 'fd'))
  } finally {
    closeSync(fd)
  }
  const file = NamespaceFile.open(path)
  try {
    results.push(fn(file, 'NamespaceFile'))
  } finally {
    file.close()
  }
  const handle = await open(path, 'r')
  try {
    results.push(fn(handle, 'FileHandle'))
  } finally {
    await handle.close()
  }
  return results
}

/** A process in new namespaces of all eight types, all owned by a new user namespace. */
async function allTypesSleeper(): Promise<number> {
  const chain = await startSleeper([
    'unshare',
    '-Ur',
    '--net',
    '--uts',
    '--ipc',
    '--mount',
    '--cgroup',
    '--time',
    '--pid',
    '--fork',
    '--kill-child',
    'sleep',
    'infinity',
  ])
  return chain[chain.length - 1]!
}

test('the CLONE_NEW* constants are the values the kernel reports for each type', (t) => {
  for (const name of TYPE_NAMES) {
    t.is(getNstype(`/proc/self/ns/${name}`), TYPES[name], name)
    t.is(nstypeStr(TYPES[name]), name)
  }
})

test('getNstype names every type of a fresh set of namespaces, by every kind of reference', async (t) => {
  const pid = await allTypesSleeper()
  for (const name of TYPE_NAMES) {
    const path = `/proc/${pid}/ns/${name}`
    t.not(nsInode(pid, name), nsInode('self', name), `${name} is a new namespace`)
    for (const type of await eachRef(path, (ref) => getNstype(ref))) t.is(type, TYPES[name], name)
  }
})

test('getUserns gives the owning user namespace of every type, by every kind of reference', async (t) => {
  const pid = await allTypesSleeper()
  const owner = nsInode(pid, 'user')
  for (const name of TYPE_NAMES) {
    // A user namespace's owner is its parent: here the caller's own user namespace.
    const expected = name === 'user' ? nsInode('self', 'user') : owner
    const inodes = await eachRef(`/proc/${pid}/ns/${name}`, (ref) => fdInode(getUserns(ref)))
    t.deepEqual(inodes, [expected, expected, expected, expected], name)
  }
})

test('getUserns returns a user namespace that the other calls accept', async (t) => {
  const pid = await allTypesSleeper()
  using owner = getUserns(`/proc/${pid}/ns/net`)
  t.is(nstypeStr(getNstype(owner)), 'user')
  t.is(getOwnerUid(owner), effectiveUid(pid))
  using grandparent = getParentns(owner)
  t.is(fstatSync(grandparent.fd).ino, nsInode('self', 'user'))
})

test('getParentns walks a chain of three nested user namespaces, by every kind of reference', async (t) => {
  const pids = await userNamespaceChain(3)
  const expectedParents = [nsInode('self', 'user'), nsInode(pids[0]!, 'user'), nsInode(pids[1]!, 'user')]
  for (const [level, pid] of pids.entries()) {
    const parents = await eachRef(`/proc/${pid}/ns/user`, (ref) => fdInode(getParentns(ref)))
    t.deepEqual(new Set(parents), new Set([expectedParents[level]]), `level ${level + 1}`)
  }
  // Walking up from the bottom with the returned files reaches our own namespace.
  const seen: number[] = []
  let ns = NamespaceFile.open(`/proc/${pids[2]}/ns/user`)
  for (let i = 0; i < 3; i++) {
    const parent = getParentns(ns)
    ns.close()
    ns = parent
    seen.push(fstatSync(ns.fd).ino)
  }
  ns.close()
  t.deepEqual(seen, [...expectedParents].reverse())
})

test('getParentns walks a PID namespace two levels deep', async (t) => {
  const [, level1, level2] = await startSleeper([
    'unshare',
    '-Urpf',
    '--kill-child',
    'unshare',
    '-pf',
    '--kill-child',
    'sleep',
    'infinity',
  ])
  const p1 = nsInode(level1!, 'pid')
  const p2 = nsInode(level2!, 'pid')
  t.not(p1, p2)
  for (const parent of await eachRef(`/proc/${level2}/ns/pid`, (ref) => fdInode(getParentns(ref)))) t.is(parent, p1)
  for (const parent of await eachRef(`/proc/${level1}/ns/pid`, (ref) => fdInode(getParentns(ref))))
    t.is(parent, nsInode('self', 'pid'))
  // Both PID namespaces are owned by the user namespace the outer unshare made.
  t.is(fdInode(getUserns(`/proc/${level2}/ns/pid`)), nsInode(level1!, 'user'))
})

test('getOwnerUid gives the uid that created a user namespace, by every kind of reference', async (t) => {
  const [pid] = await startSleeper(['unshare', '-U', 'sleep', 'infinity'])
  const creator = effectiveUid(pid!)
  t.is(creator, process.geteuid!())
  t.deepEqual(await eachRef(`/proc/${pid}/ns/user`, (ref) => getOwnerUid(ref)), [creator, creator, creator, creator])
})

// Starting a process as another uid needs root; ava lists the test as skipped otherwise.
const rootTest = isRoot ? test : test.skip

rootTest(`getOwnerUid gives a non-root creator uid (uid ${OTHER_UID}; needs root)`, async (t) => {
  const [pid] = await startSleeper(asUid(OTHER_UID, ['unshare', '-U', 'sleep', 'infinity']))
  t.is(effectiveUid(pid!), OTHER_UID)
  t.not(nsInode(pid!, 'user'), nsInode('self', 'user'))
  t.is(getOwnerUid(`/proc/${pid}/ns/user`), OTHER_UID)
})

test('NamespaceFile: one read-only close-on-exec fd, closed once, disposable', (t) => {
  const file = NamespaceFile.open('/proc/self/ns/uts')
  const flags = Number.parseInt(/flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${file.fd}`, 'utf8'))![1]!, 8)
  t.is(flags & (fsConstants.O_WRONLY | fsConstants.O_RDWR), fsConstants.O_RDONLY, 'opened read-only')
  t.is(flags & 0o2000000, 0o2000000, 'O_CLOEXEC')
  t.is(fstatSync(file.fd).ino, inode('/proc/self/ns/uts'))
  const fd = file.fd
  file.close()
  t.is(file.fd, -1)
  t.notThrows(() => file.close())
  t.throws(() => fstatSync(fd), { code: 'EBADF' })

  let kept: number
  {
    using scoped = getUserns('/proc/self/ns/uts')
    kept = scoped.fd
    t.is(fstatSync(kept).ino, nsInode('self', 'user'))
  }
  t.throws(() => fstatSync(kept), { code: 'EBADF' }, 'using closed it')
})

// Each error as the caller sees it: an Error in the shape of Node's fs errors.
function expectSysError(
  t: import('ava').ExecutionContext,
  fn: () => unknown,
  code: string,
  syscall: string,
  path?: string,
): void {
  const err = t.throws(fn) as NodeJS.ErrnoException
  t.is(err.code, code)
  t.is(err.errno, -(constants.errno as Record<string, number>)[code]!)
  t.is(err.syscall, syscall)
  t.is(err.path, path)
  t.true(err.message.startsWith(`${code}: `), err.message)
  t.true(err.message.endsWith(path === undefined ? `, ${syscall}` : `, ${syscall} '${path}'`), err.message)
}

test('the top of the user hierarchy gives EPERM, for a parent and for an owner', (t) => {
  expectSysError(t, () => getParentns('/proc/self/ns/user'), 'EPERM', 'ioctl', '/proc/self/ns/user')
  const fd = openSync('/proc/self/ns/user', 'r')
  try {
    expectSysError(t, () => getUserns(fd), 'EPERM', 'ioctl')
  } finally {
    closeSync(fd)
  }
})

test('the parent of a flat namespace gives EINVAL; so does the owner uid of a non-user namespace', (t) => {
  for (const name of ['cgroup', 'ipc', 'mnt', 'net', 'time', 'uts']) {
    expectSysError(t, () => getParentns(`/proc/self/ns/${name}`), 'EINVAL', 'ioctl', `/proc/self/ns/${name}`)
  }
  expectSysError(t, () => getOwnerUid('/proc/self/ns/pid'), 'EINVAL', 'ioctl', '/proc/self/ns/pid')
})

test('a file that is no namespace gives ENOTTY', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-'))
  t.teardown(() => rmSync(dir, { recursive: true }))
  const regular = join(dir, 'plain')
  writeFileSync(regular, 'not a namespace')
  for (const path of ['/dev/null', regular, '/proc/self/status']) {
    for (const fn of [getNstype, getUserns, getParentns, getOwnerUid]) expectSysError(t, () => fn(path), 'ENOTTY', 'ioctl', path)
  }
  const fd = openSync('/dev/null', 'r')
  try {
    expectSysError(t, () => getNstype(fd), 'ENOTTY', 'ioctl')
  } finally {
    closeSync(fd)
  }
})

test('a missing path gives ENOENT from open', (t) => {
  expectSysError(t, () => getNstype('/proc/self/ns/nonexistent'), 'ENOENT', 'open', '/proc/self/ns/nonexistent')
  expectSysError(t, () => getUserns('/no/such/file'), 'ENOENT', 'open', '/no/such/file')
})

test('a namespace the caller may not read gives the same error open(2) gives', (t) => {
  // PID 1's namespaces need ptrace access: EACCES for other users, and here even for root.
  let expected: string | undefined
  try {
    closeSync(openSync('/proc/1/ns/net', 'r'))
  } catch (e) {
    expected = (e as NodeJS.ErrnoException).code
  }
  if (expected === undefined) {
    t.is(getNstype('/proc/1/ns/net'), CLONE_NEWNET)
  } else {
    t.is(expected, 'EACCES')
    expectSysError(t, () => getNstype('/proc/1/ns/net'), 'EACCES', 'open', '/proc/1/ns/net')
  }
})

test('a closed or invalid descriptor gives EBADF', async (t) => {
  const file = NamespaceFile.open('/proc/self/ns/net')
  file.close()
  const handle = await open('/proc/self/ns/net', 'r')
  await handle.close()
  for (const ref of [-1, 2 ** 30, file, handle]) {
    for (const fn of [getNstype, getUserns, getParentns, getOwnerUid]) expectSysError(t, () => fn(ref), 'EBADF', 'ioctl')
  }
})

test('anything but a path, an fd or an object with an fd is a TypeError', (t) => {
  const bad: unknown[] = [null, undefined, true, 1.5, Number.NaN, Infinity, Buffer.from('/proc/self/ns/net'), {}, { fd: '3' }, Symbol('x'), 10n]
  for (const value of bad) {
    for (const fn of [getNstype, getUserns, getParentns, getOwnerUid]) {
      const err = t.throws(() => fn(value as NamespaceRef), { instanceOf: TypeError })
      t.is((err as NodeJS.ErrnoException).code, 'ERR_INVALID_ARG_TYPE')
      t.regex(err!.message, /path string, an integer file descriptor, or an object with an integer fd/)
    }
  }
  t.throws(() => getNstype(2 ** 31), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  t.throws(() => NamespaceFile.open(3 as unknown as string), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
})

test('NamespaceFile.open() of a file that is no namespace fails with ENOTTY from ioctl, and leaves no descriptor open', (t) => {
  const before = readdirSync('/proc/self/fd').length
  for (const path of ['/etc/passwd', '/dev/null', '/proc/self/stat']) {
    const err = t.throws(() => NamespaceFile.open(path)) as NodeJS.ErrnoException
    t.like(err, { code: 'ENOTTY', syscall: 'ioctl', path }, path)
  }
  t.is(readdirSync('/proc/self/fd').length, before)
  using ns = NamespaceFile.open('/proc/self/ns/uts')
  t.true(ns.fd >= 0)
})

test('new NamespaceFile() takes only a descriptor number: a TypeError for anything else, a RangeError outside 0 to 2^31-1', (t) => {
  for (const value of ['3', null, undefined, { fd: 3 }, 3n]) {
    t.throws(() => new NamespaceFile(value as unknown as number), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' }, String(value))
  }
  for (const value of [1.5, -1, Number.NaN, Infinity, 2 ** 31]) {
    t.throws(() => new NamespaceFile(value), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' }, String(value))
  }
})

test('nstypeStr names every type and gives a RangeError naming an unknown value', (t) => {
  t.deepEqual(
    TYPE_NAMES.map((name) => nstypeStr(TYPES[name])),
    TYPE_NAMES,
  )
  for (const value of [0, 12345, CLONE_NEWNET | CLONE_NEWPID, -1]) {
    const err = t.throws(() => nstypeStr(value), { instanceOf: RangeError })
    t.true(err!.message.includes(String(value)), err!.message)
  }
})
