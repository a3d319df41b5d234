// discover() and discoverAsync() against the namespace zoo, each test under
// both scans (BPF and /proc), compared with what the zoo and a scan of /proc
// of our own say.
import test, { type ExecutionContext } from 'ava'

import { execFileSync, spawn } from 'node:child_process'
import { fstatSync, mkdtempSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import {
  type DiscoveredNamespace,
  type DiscoverOptions,
  NamespaceFile,
  discover,
  discoverAsync,
  getNsId,
  getParentns,
} from '../index.js'
import { features } from './helpers/needs.js'
import { nsInode, startSleeper, stop, stopAll } from './helpers/procs.js'
import { scanTest } from './helpers/scans.js'
import { type Zoo, type ZooNamespace, buildZoo, processName, representative, scanProc, userName } from './helpers/zoo.js'

let zoo: Zoo

test.before(async () => {
  zoo = await buildZoo()
})

test.after.always(async () => {
  await zoo?.remove()
  await stopAll()
})

const key = (type: string, ino: number): string => `${type}:${ino}`

function index(namespaces: DiscoveredNamespace[]): Map<string, DiscoveredNamespace> {
  return new Map(namespaces.map((ns) => [key(ns.type, ns.ino), ns]))
}

/** Checks every field of every zoo namespace of `types` against the ground truth. */
function checkZoo(t: ExecutionContext, namespaces: DiscoveredNamespace[], types: readonly string[]): void {
  const found = index(namespaces)
  const scan = scanProc(types)
  const nsfsDev = statSync('/proc/self/ns/user').dev
  const expected = zoo.namespaces.filter((z) => types.includes(z.type))
  t.true(expected.length > 0)
  for (const z of expected) {
    const ns = found.get(key(z.type, z.ino))
    if (!ns) {
      t.fail(`${z.label} (${z.type}:[${z.ino}]) was not found`)
      continue
    }
    const what = `${z.label} ${z.type}:[${z.ino}]`
    t.is(ns.dev, nsfsDev, `${what} dev`)
    t.is(ns.parent, z.parent, `${what} parent`)
    t.is(ns.owner, z.owner, `${what} owner`)
    // Children: the zoo's namespaces are the only ones made inside its namespaces.
    const children = zoo.namespaces
      .filter((c) => c.parent === z.ino && c.type === z.type)
      .map((c) => c.ino)
      .sort((a, b) => a - b)
    t.deepEqual([...ns.children].sort((a, b) => a - b), children, `${what} children`)
    t.is(ns.ownerUid, z.ownerUid, `${what} ownerUid`)
    t.is(ns.ownerName, z.ownerUid === null ? null : userName(z.ownerUid), `${what} ownerName`)
    const pids = scan.members.get(key(z.type, z.ino)) ?? []
    t.deepEqual(pids, z.pids, `${what}: our scan agrees with the zoo`)
    t.deepEqual([...ns.pids].sort((a, b) => a - b), pids, `${what} pids`)
    t.is(ns.processes, pids.length, `${what} processes`)
    const rep = representative(pids, scan.ppid)
    t.is(ns.pid, rep, `${what} representative pid`)
    t.is(ns.process, rep === null ? null : processName(rep), `${what} process name`)
    t.deepEqual(ns.via, [z.via], `${what} via`)
    t.deepEqual(ns.fdHolders, z.fdHolder ? [z.fdHolder] : [], `${what} fdHolders`)
    t.deepEqual(ns.bindMounts, z.bindMount ? [z.bindMount] : [], `${what} bindMounts`)
  }
}

/** Every parent and child named is in the result, and of the same type; owners are user namespaces. */
function checkConsistent(t: ExecutionContext, namespaces: DiscoveredNamespace[], types: readonly string[]): void {
  const found = index(namespaces)
  const byIno = new Map(namespaces.map((ns) => [ns.ino, ns]))
  let bad = 0
  for (const ns of namespaces) {
    if (!types.includes(ns.type)) bad++, t.fail(`${ns.type}:[${ns.ino}] was not asked for`)
    if (ns.parent !== null && !found.has(key(ns.type, ns.parent))) bad++, t.fail(`${ns.type}:[${ns.ino}]: parent ${ns.parent} missing`)
    for (const child of ns.children) {
      if (byIno.get(child)?.parent !== ns.ino) bad++, t.fail(`${ns.type}:[${ns.ino}]: child ${child} does not name it as parent`)
    }
    if (types.includes('user') && ns.owner !== null && !found.has(key('user', ns.owner))) {
      bad++, t.fail(`${ns.type}:[${ns.ino}]: owner ${ns.owner} missing`)
    }
  }
  t.is(bad, 0)
}

scanTest({}, 'discover() finds every zoo namespace with its type, parent, children, owner, process and holders', (t, scan) => {
  t.log(zoo.skipped.length > 0 ? `zoo parts skipped (not root): ${zoo.skipped.join(', ')}` : 'whole zoo built')
  const { namespaces, scan: ran } = discover({ scan })
  t.is(ran, scan)
  checkZoo(t, namespaces, ['user', 'pid'])
  checkConsistent(t, namespaces, ['user', 'pid'])
  // The default is user and pid only.
  t.deepEqual([...new Set(namespaces.map((ns) => ns.type))].sort(), ['pid', 'user'])
})

scanTest({}, 'discoverAsync() finds the same', async (t, scan) => {
  const { namespaces, scan: ran } = await discoverAsync({ scan })
  t.is(ran, scan)
  checkZoo(t, namespaces, ['user', 'pid'])
  checkConsistent(t, namespaces, ['user', 'pid'])
})

scanTest({}, 'the namespaces of all five zoo types, asked for explicitly', async (t, scan) => {
  const types = ['user', 'pid', 'net', 'uts', 'ipc'] as const
  checkZoo(t, discover({ types, scan }).namespaces, types)
  checkZoo(t, (await discoverAsync({ types, scan })).namespaces, types)
})

scanTest({}, 'our own user and pid namespaces are there, with this process in them', (t, scan) => {
  const { namespaces } = discover({ scan })
  const found = index(namespaces)
  for (const type of ['user', 'pid'] as const) {
    const ns = found.get(key(type, zoo.self[type]))
    if (!ns) return t.fail(`our own ${type} namespace is missing`)
    t.true(ns.pids.includes(process.pid), type)
    t.true(ns.via.includes('process'), type)
    t.is(ns.processes, ns.pids.length)
    // We run in the initial namespaces (root) or, as an ordinary user, at the top of what we may see.
    t.is(ns.parent, null, `${type}: parent`)
    // The representative by the rule, among the processes we could read.
    const truth = scanProc([type])
    const rep = representative(truth.members.get(key(type, ns.ino)) ?? [], truth.ppid)
    t.is(ns.pid, rep, `${type}: representative`)
    if (rep !== null) t.is(ns.process, processName(rep))
  }
  // Every zoo user namespace at the top hangs under ours.
  const mine = found.get(key('user', zoo.self.user))!
  for (const z of zoo.namespaces.filter((z) => z.type === 'user' && z.parent === zoo.self.user)) {
    t.true(mine.children.includes(z.ino), z.label)
  }
})

scanTest({}, "options.types ['user'] alone still finds every zoo user namespace, also one kept only as the owner of an fd-held PID namespace", async (t, scan) => {
  for (const { namespaces } of [discover({ types: ['user'], scan }), await discoverAsync({ types: ['user'], scan })]) {
    t.true(namespaces.every((ns) => ns.type === 'user'))
    const found = index(namespaces)
    const missing = zoo.namespaces.filter((z) => z.type === 'user' && !found.has(key('user', z.ino))).map((z) => z.label)
    t.deepEqual(missing, [])
    checkConsistent(t, namespaces, ['user'])
  }
})

scanTest({}, "options.types ['net', 'uts'] returns only those types", async (t, scan) => {
  for (const { namespaces } of [discover({ types: ['net', 'uts'], scan }), await discoverAsync({ types: ['uts', 'net'], scan })]) {
    t.deepEqual([...new Set(namespaces.map((ns) => ns.type))].sort(), ['net', 'uts'])
    const found = index(namespaces)
    for (const label of ['details-net', 'details-uts']) {
      const z = zoo.byLabel.get(label)!
      const ns = found.get(key(z.type, z.ino))
      t.truthy(ns, label)
      t.is(ns?.owner, z.owner, label)
      t.is(ns?.parent, null, label)
    }
    t.truthy(found.get(key('net', statSync('/proc/self/ns/net').ino)), 'our own net namespace')
    checkConsistent(t, namespaces, ['net', 'uts'])
  }
})

const labels = (ns: DiscoveredNamespace[], zs: ZooNamespace[]): string[] => {
  const found = index(ns)
  return zs.filter((z) => found.has(key(z.type, z.ino))).map((z) => z.label)
}

scanTest({}, 'fds: false leaves out the namespaces held only by a descriptor', async (t, scan) => {
  const fdOnly = ['fd-user', 'fd-pid', 'fd-pid-owner']
  const userPid = zoo.namespaces.filter((z) => z.type === 'user' || z.type === 'pid')
  for (const { namespaces } of [discover({ fds: false, scan }), await discoverAsync({ fds: false, scan })]) {
    const present = labels(namespaces, userPid)
    t.deepEqual(present, userPid.map((z) => z.label).filter((l) => !fdOnly.includes(l)))
    t.true(namespaces.every((ns) => !ns.via.includes('fd') && ns.fdHolders.length === 0))
    checkConsistent(t, namespaces, ['user', 'pid'])
  }
  t.deepEqual(labels(discover({ fds: true, scan }).namespaces, userPid), userPid.map((z) => z.label))
})

scanTest({ root: true }, 'bindMounts: false leaves out the namespaces held only by a bind mount', async (t, scan) => {
  const mountOnly = ['bind-user', 'bind-pid']
  const userPid = zoo.namespaces.filter((z) => z.type === 'user' || z.type === 'pid')
  for (const { namespaces } of [discover({ bindMounts: false, scan }), await discoverAsync({ bindMounts: false, scan })]) {
    t.deepEqual(labels(namespaces, userPid), userPid.map((z) => z.label).filter((l) => !mountOnly.includes(l)))
    t.true(namespaces.every((ns) => !ns.via.includes('bind-mount') && ns.bindMounts.length === 0))
    checkConsistent(t, namespaces, ['user', 'pid'])
  }
  const both = discover({ fds: false, bindMounts: false, scan }).namespaces
  t.deepEqual(
    labels(both, userPid),
    userPid.map((z) => z.label).filter((l) => !mountOnly.includes(l) && !l.startsWith('fd-')),
  )
})

test('bad options are TypeErrors with a Node-style code, from discover() and discoverAsync()', async (t) => {
  const cases: [unknown, string][] = [
    [{ types: ['user', 'bogus'] }, 'ERR_INVALID_ARG_VALUE'],
    [{ types: 'user' }, 'ERR_INVALID_ARG_VALUE'],
    [{ types: [1] }, 'ERR_INVALID_ARG_VALUE'],
    [{ fds: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    [{ bindMounts: 1 }, 'ERR_INVALID_ARG_TYPE'],
    [{ tasks: null }, 'ERR_INVALID_ARG_TYPE'],
    [null, 'ERR_INVALID_ARG_TYPE'],
    [42, 'ERR_INVALID_ARG_TYPE'],
    ['user', 'ERR_INVALID_ARG_TYPE'],
  ]
  for (const [options, code] of cases) {
    const what = JSON.stringify(options)
    t.throws(() => discover(options as DiscoverOptions), { instanceOf: TypeError, code }, `discover(${what})`)
    await t.throwsAsync(() => discoverAsync(options as DiscoverOptions), { instanceOf: TypeError, code }, `discoverAsync(${what})`)
  }
})

scanTest({}, 'the model is plain data: a JSON round trip gives it back', (t, scan) => {
  const model = discover({ types: ['user', 'pid', 'net'], scan })
  t.deepEqual(JSON.parse(JSON.stringify(model)), model)
  for (const ns of model.namespaces) t.is(Object.getPrototypeOf(ns), Object.prototype)
  // Sorted by type name, then inode.
  const order = model.namespaces.map((ns) => [ns.type, ns.ino] as const)
  const sorted = [...order].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]))
  t.deepEqual(order, sorted)
})

/** Starts short-lived processes that make and drop namespaces until `stop` is called. */
function churn(): { stop: () => Promise<number> } {
  const commands: string[][] = [
    ['unshare', '-Ur', 'true'],
    ['sh', '-c', 'exec 3</proc/self/ns/user; true'],
    ['unshare', '-Urpf', 'true'],
    ['unshare', '-Ur', 'unshare', '-Ur', 'true'],
    ['sh', '-c', 'unshare -Ur sleep 0.01 & exec 4</proc/self/ns/pid; wait'],
  ]
  let running = true
  let count = 0
  const loops = [0, 1, 2].map(async (lane) => {
    for (let i = lane; running; i++) {
      const [cmd, ...args] = commands[i % commands.length]!
      await new Promise<void>((resolve) => {
        const child = spawn(cmd!, args, { stdio: 'ignore' })
        child.once('error', () => resolve())
        child.once('exit', () => resolve())
      })
      count++
    }
  })
  return {
    stop: async () => {
      running = false
      await Promise.all(loops)
      return count
    },
  }
}

scanTest({}, 'discovery runs many times while processes come and go: no error, and a consistent tree', async (t, scan) => {
  const load = churn()
  try {
    for (let round = 0; round < 8; round++) {
      const types = round % 2 === 0 ? (['user', 'pid'] as const) : (['user', 'pid', 'net', 'mnt'] as const)
      const [sync, async1, async2] = await Promise.all([
        // The sync call blocks this thread; the async ones run on the pool beside it.
        Promise.resolve().then(() => discover({ types, tasks: round % 3 === 0, scan })),
        discoverAsync({ types, scan }),
        discoverAsync({ types, tasks: true, scan }),
      ])
      for (const model of [sync, async1, async2]) {
        checkConsistent(t, model.namespaces, types)
        // The zoo stays put through the churn.
        const found = index(model.namespaces)
        for (const z of zoo.namespaces.filter((z) => (types as readonly string[]).includes(z.type))) {
          t.true(found.has(key(z.type, z.ino)), `${z.label} in round ${round}`)
        }
      }
    }
  } finally {
    const started = await load.stop()
    t.log(`${started} short-lived processes ran meanwhile`)
    t.true(started > 0)
  }
})

const ALL_TYPES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'] as const

/** A path to a zoo namespace other than the one discover() opened it by, or null for hierarchy-only ones. */
function zooPath(z: ZooNamespace): string | null {
  if (z.pids.length > 0) return `/proc/${z.pids[0]}/task/${z.pids[0]}/ns/${z.type}`
  if (z.fdHolder) return `/proc/${z.fdHolder.pid}/fd/${z.fdHolder.fd}`
  return z.bindMount ?? null
}

scanTest(
  { feature: ['nsId', '6.18'] },
  'every namespace carries its id, equal to getNsId() of the same namespace',
  async (t, scan) => {
    const types = ['user', 'pid', 'net', 'uts', 'ipc'] as const
    for (const { namespaces } of [discover({ types, scan }), await discoverAsync({ types, scan })]) {
      const found = index(namespaces)
      for (const z of zoo.namespaces) {
        const ns = found.get(key(z.type, z.ino))
        const path = zooPath(z)
        t.is(typeof ns?.id, 'string', z.label)
        if (path !== null) t.is(ns?.id, getNsId(path).toString(), z.label)
      }
      const ids = namespaces.map((ns) => ns.id)
      t.true(ids.every((id) => id !== null && /^\d+$/.test(id)))
      t.is(new Set(ids).size, ids.length, 'distinct namespaces, distinct ids')
    }
    // All eight types, ours among them.
    const found = index(discover({ types: ALL_TYPES, scan }).namespaces)
    for (const type of ALL_TYPES) {
      t.is(found.get(key(type, nsInode('self', type)))?.id, getNsId(`/proc/self/ns/${type}`).toString(), type)
    }
  },
)

// Opening an empty pid_for_children needs PIDFD_GET_PID_FOR_CHILDREN_NAMESPACE.
scanTest({ feature: ['pidfdNamespace', '6.11'] }, 'a pending pid_for_children namespace, with no process yet, is found via pending', async (t, scan) => {
  const [pid] = await startSleeper(['unshare', '-Ur', '--pid', 'sleep', 'infinity'])
  try {
    // The kernel shows it as an empty link: /proc alone cannot name it.
    t.throws(() => readlinkSync(`/proc/${pid}/ns/pid_for_children`), { code: 'ENOENT' })
    const owner = nsInode(pid!, 'user')
    for (const { namespaces } of [discover({ types: ['pid'], scan }), await discoverAsync({ types: ALL_TYPES, scan })]) {
      const pending = namespaces.filter((ns) => ns.type === 'pid' && ns.owner === owner)
      t.is(pending.length, 1)
      t.like(pending[0], { via: ['pending'], pids: [], processes: 0, pid: null, parent: nsInode(pid!, 'pid') })
      t.true(index(namespaces).get(key('pid', nsInode(pid!, 'pid')))?.children.includes(pending[0]!.ino))
    }
  } finally {
    stop(pid!)
  }
})

scanTest({ root: true }, 'a mount namespace with no process, kept only by a bind mount, is found', async (t, scan) => {
  const [pid] = await startSleeper(['unshare', '-m', 'sleep', 'infinity'])
  const ino = nsInode(pid!, 'mnt')
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-mnt-'))
  const file = join(dir, 'mnt')
  writeFileSync(file, '')
  execFileSync('mount', ['--bind', `/proc/${pid}/ns/mnt`, file])
  try {
    stop(pid!)
    for (let waited = 0; waited < 5000; waited += 10) {
      try {
        readlinkSync(`/proc/${pid}/ns/mnt`)
      } catch {
        break
      }
      await sleep(10)
    }
    const byMount = index(discover({ types: ['mnt'], scan }).namespaces).get(key('mnt', ino))
    t.like(byMount, { via: ['bind-mount'], bindMounts: [file], pids: [], processes: 0 })
    if (!features.mntnsList) return t.log(`the mount-list part skipped: NS_MNT_GET_NEXT needs Linux 6.12, this is ${features.release}`)
    for (const { namespaces } of [discover({ types: ['mnt'], bindMounts: false, scan }), await discoverAsync({ types: ALL_TYPES, bindMounts: false, scan })]) {
      t.like(index(namespaces).get(key('mnt', ino)), { via: ['mount-list'], bindMounts: [], pids: [] })
    }
  } finally {
    execFileSync('umount', ['-l', file])
    rmSync(dir, { recursive: true, force: true })
  }
})

scanTest({}, 'a user namespace 32 levels below ours, all its ancestors hidden, is found with its whole chain', async (t, scan) => {
  // 32 is the kernel's nesting limit below the initial user namespace; from inside one, less is left.
  const depth = nsInode('self', 'user') === 4026531837 ? 32 : 8
  const chain = await startSleeper([...Array.from({ length: depth }, () => ['unshare', '-Ur']).flat(), 'sleep', 'infinity'])
  const leafPath = `/proc/${chain[chain.length - 1]}/ns/user`
  // Ground truth: the kernel's parents, walked up from the leaf to our own namespace.
  const truth = [nsInode(chain[chain.length - 1]!, 'user')]
  let file = NamespaceFile.open(leafPath)
  for (let level = 0; level < depth; level++) {
    const parent = getParentns(file)
    file.close()
    file = parent
    truth.push(fstatSync(file.fd).ino)
  }
  file.close()
  t.is(truth[depth], nsInode('self', 'user'))

  const byIno = new Map(discover({ types: ['user'], scan }).namespaces.map((ns) => [ns.ino, ns]))
  for (const [level, ino] of truth.slice(0, depth).entries()) {
    const ns = byIno.get(ino)
    t.is(ns?.parent, truth[level + 1], `level ${depth - level}`)
    t.deepEqual(ns?.via, level === 0 ? ['process'] : ['hierarchy'], `level ${depth - level}`)
  }
})

scanTest({ root: true, feature: ['mntnsList', '6.12'] }, 'a bind mount inside a mount namespace that no process is in is found, and its namespace opened', async (t, scan) => {
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-mntns-'))
  const netFile = join(dir, 'net')
  const mntFile = join(dir, 'mnt')
  writeFileSync(netFile, '')
  writeFileSync(mntFile, '')
  t.teardown(() => {
    execFileSync('umount', ['-l', mntFile])
    rmSync(dir, { recursive: true })
  })
  const [netPid] = await startSleeper(['unshare', '--net', 'sleep', 'infinity'])
  const net = nsInode(netPid!, 'net')
  // The bind mount exists only inside the new mount namespace.
  const [mntPid] = await startSleeper([
    'unshare', '--mount', '--propagation', 'private', 'sh', '-c', `mount --bind /proc/${netPid}/ns/net ${netFile} && exec sleep infinity`,
  ])
  const mnt = nsInode(mntPid!, 'mnt')
  execFileSync('mount', ['--bind', `/proc/${mntPid}/ns/mnt`, mntFile])
  stop(netPid!)
  stop(mntPid!)
  await sleep(200)
  t.is(statSync(mntFile).ino, mnt, 'our bind mount keeps the mount namespace')

  const found = index(discover({ types: ['net', 'mnt'], scan }).namespaces)
  t.like(found.get(key('mnt', mnt)), { via: ['bind-mount'], bindMounts: [mntFile], processes: 0 })
  t.like(found.get(key('net', net)), { via: ['bind-mount'], bindMounts: [`mnt:[${mnt}]:${netFile}`], processes: 0 })
  // It was opened from inside: the kernel's relations and id are there.
  t.is(found.get(key('net', net))?.owner, nsInode('self', 'user'))
  if (features.nsId) t.not(found.get(key('net', net))?.id, null)
})
