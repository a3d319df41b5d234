// A namespace zoo: real processes in real user and PID namespaces, some of
// them hidden (no process left), some held only by an open descriptor or a
// bind mount, with the ground truth read straight from /proc (and, for the
// namespaces no process is in any more, through getParentns + fstat, which
// relations.spec.ts tests against /proc on its own).
import { execFileSync } from 'node:child_process'
import { fstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { getParentns } from '../../index.js'
import { OTHER_UID, asUid, effectiveUid, isRoot, nsInode, startSleeper, stop, userNamespaceChain } from './procs.js'

/** What the zoo knows about one of its namespaces, read independently of discover(). */
export interface ZooNamespace {
  /** A name for messages, such as `chain[2]` or `hidden-upper`. */
  label: string
  type: 'user' | 'pid' | 'net' | 'uts' | 'ipc'
  ino: number
  /** The parent (user and pid), or null for the flat types. */
  parent: number | null
  /** The owning user namespace (a user namespace's parent). */
  owner: number
  /** For user namespaces: the creator's uid as we see it. */
  ownerUid: number | null
  /** How discover() must find it. */
  via: 'process' | 'fd' | 'bind-mount' | 'hierarchy'
  /** The processes in it (only for via 'process'; the zoo's namespaces hold no other process). */
  pids: number[]
  /** For via 'fd': the one process and descriptor that keep it. */
  fdHolder?: { pid: number; fd: number }
  /** For via 'bind-mount': the file it is mounted on. */
  bindMount?: string
}

export interface Zoo {
  namespaces: ZooNamespace[]
  /** The zoo's entries by label. */
  byLabel: Map<string, ZooNamespace>
  /** Our own user and pid namespaces. */
  self: { user: number; pid: number }
  /** Labels of the parts not built, and why. */
  skipped: string[]
  /** The uid-1000 part, when built: its sleeping process. */
  otherUidPid: number | null
  /** The `unshare -Ur --net --uts --ipc --pid` part: the process in the new pid namespace. */
  detailsPid: number
  /** Kills the zoo's own processes, unmounts its bind mounts and removes its directory. */
  remove(): Promise<void>
}

/** Field 22 of /proc/PID/stat (start time), to tell a pid from a reused one. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

interface Started {
  top: number
  pids: { pid: number; start: string | undefined }[]
  stopped: boolean
}

/** `type:[inode]` of a link such as /proc/PID/fd/N. */
function linkInode(path: string, type: string): number {
  const link = readlinkSync(path)
  const match = new RegExp(`^${type}:\\[(\\d+)\\]$`).exec(link)
  if (!match) throw new Error(`${path} is ${link}, not a ${type} namespace`)
  return Number(match[1])
}

/** The inode of the parent of the namespace at `path`, through NS_GET_PARENT. */
function parentOf(path: string | number): number {
  const parent = getParentns(path)
  try {
    return fstatSync(parent.fd).ino
  } finally {
    parent.close()
  }
}

/**
 * Builds the zoo. On failure it removes what it had built and rethrows.
 */
export async function buildZoo(): Promise<Zoo> {
  const started: Started[] = []
  const mounts: string[] = []
  let dir: string | undefined
  const skipped: string[] = []
  const namespaces: ZooNamespace[] = []
  const self = { user: nsInode('self', 'user'), pid: nsInode('self', 'pid') }

  const start = async (argv: string[]): Promise<number[]> => {
    const chain = await startSleeper(argv)
    started.push({ top: chain[0]!, pids: chain.map((pid) => ({ pid, start: startTime(pid) })), stopped: false })
    return chain
  }
  const kill = async (entry: Started): Promise<void> => {
    if (!entry.stopped) {
      entry.stopped = true
      try {
        stop(entry.top)
      } catch {}
    }
    // Wait until every process of the chain is gone (not even a zombie, which
    // still shows its user and pid namespace links).
    for (let waited = 0; waited < 10_000; waited += 10) {
      if (entry.pids.every(({ pid, start }) => startTime(pid) !== start || start === undefined)) return
      await sleep(10)
    }
    throw new Error(`processes ${entry.pids.map((p) => p.pid).join(', ')} did not exit`)
  }
  const killChainOf = async (pid: number): Promise<void> => {
    const entry = started.find((s) => s.pids.some((p) => p.pid === pid))
    if (!entry) throw new Error(`pid ${pid} is not the zoo's`)
    await kill(entry)
  }

  let removed = false
  const remove = async (): Promise<void> => {
    if (removed) return
    removed = true
    const errors: unknown[] = []
    for (const entry of started) {
      try {
        await kill(entry)
      } catch (e) {
        errors.push(e)
      }
    }
    for (const mount of mounts.reverse()) {
      try {
        execFileSync('umount', ['-l', mount], { stdio: 'pipe' })
      } catch (e) {
        errors.push(e)
      }
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    if (errors.length > 0) throw new AggregateError(errors, 'the zoo was not removed cleanly')
  }

  const user = (
    label: string,
    ino: number,
    parent: number,
    ownerUid: number,
    via: ZooNamespace['via'],
    pids: number[] = [],
  ): ZooNamespace => {
    const ns: ZooNamespace = { label, type: 'user', ino, parent, owner: parent, ownerUid, via, pids }
    namespaces.push(ns)
    return ns
  }
  const pidns = (label: string, ino: number, parent: number, owner: number, via: ZooNamespace['via'], pids: number[] = []): ZooNamespace => {
    const ns: ZooNamespace = { label, type: 'pid', ino, parent, owner, ownerUid: null, via, pids }
    namespaces.push(ns)
    return ns
  }

  try {
    // 1. Four nested user namespaces, one sleeping process each.
    const chain = await userNamespaceChain(4)
    for (const pid of chain) started.push({ top: pid, pids: [{ pid, start: startTime(pid) }], stopped: false })
    chain.forEach((pid, level) => {
      const parent = level === 0 ? self.user : nsInode(chain[level - 1]!, 'user')
      user(`chain[${level}]`, nsInode(pid, 'user'), parent, effectiveUid(pid), 'process', [pid])
    })

    // 2. Two hidden user namespaces in a row above a live one.
    {
      const [pid] = await start(['unshare', '-Ur', 'unshare', '-Ur', 'unshare', '-Ur', 'sleep', 'infinity'])
      const leaf = nsInode(pid!, 'user')
      const lower = parentOf(`/proc/${pid}/ns/user`)
      const parentFile = getParentns(`/proc/${pid}/ns/user`)
      let upper: number
      let top: number
      try {
        upper = parentOf(parentFile.fd)
        using upperFile = getParentns(parentFile.fd)
        top = parentOf(upperFile.fd)
      } finally {
        parentFile.close()
      }
      if (top !== self.user) throw new Error(`the hidden chain does not start at our user namespace (${top})`)
      const uid = effectiveUid(pid!)
      user('hidden-upper', upper, self.user, uid, 'hierarchy')
      user('hidden-lower', lower, upper, uid, 'hierarchy')
      user('hidden-leaf', leaf, lower, uid, 'process', [pid!])
    }

    // 3. A PID namespace two levels deep.
    {
      const [outer, level1, level2] = await start(['unshare', '-Urpf', '--kill-child', 'unshare', '-pf', '--kill-child', 'sleep', 'infinity'])
      const owner = nsInode(level1!, 'user')
      user('pid2-owner', owner, self.user, effectiveUid(outer!), 'process', [outer!, level1!, level2!])
      const p1 = pidns('pid2-level1', nsInode(level1!, 'pid'), self.pid, owner, 'process', [level1!])
      pidns('pid2-level2', nsInode(level2!, 'pid'), p1.ino, owner, 'process', [level2!])
    }

    // 4. A user and a PID namespace held only by an open descriptor of another process.
    {
      const [a] = await start(['unshare', '-Ur', 'sleep', 'infinity'])
      const [b0, b1] = await start(['unshare', '-Urpf', '--kill-child', 'sleep', 'infinity'])
      const userA = nsInode(a!, 'user')
      const pidB = nsInode(b1!, 'pid')
      const userB = nsInode(b1!, 'user')
      const uidA = effectiveUid(a!)
      const uidB = effectiveUid(b1!)
      const [holder] = await start(['sh', '-c', `exec 3</proc/${a}/ns/user 4</proc/${b1}/ns/pid; exec sleep infinity`])
      await killChainOf(a!)
      await killChainOf(b0!)
      if (linkInode(`/proc/${holder}/fd/3`, 'user') !== userA) throw new Error('fd 3 lost the user namespace')
      if (linkInode(`/proc/${holder}/fd/4`, 'pid') !== pidB) throw new Error('fd 4 lost the pid namespace')
      user('fd-user', userA, self.user, uidA, 'fd').fdHolder = { pid: holder!, fd: 3 }
      pidns('fd-pid', pidB, self.pid, userB, 'fd').fdHolder = { pid: holder!, fd: 4 }
      // The fd-held pid namespace keeps its owner, which no process is in any more.
      user('fd-pid-owner', userB, self.user, uidB, 'hierarchy')
    }

    // 5. A user and a PID namespace held only by a bind mount (root only).
    if (isRoot) {
      dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-zoo-'))
      const [x0, x1] = await start(['unshare', '-Urpf', '--kill-child', 'sleep', 'infinity'])
      const userX = nsInode(x1!, 'user')
      const pidX = nsInode(x1!, 'pid')
      const uidX = effectiveUid(x1!)
      for (const type of ['user', 'pid']) {
        const file = join(dir, type)
        writeFileSync(file, '')
        execFileSync('mount', ['--bind', `/proc/${x1}/ns/${type}`, file], { stdio: 'pipe' })
        mounts.push(file)
      }
      await killChainOf(x0!)
      if (statSync(join(dir, 'user')).ino !== userX || statSync(join(dir, 'pid')).ino !== pidX) {
        throw new Error('the bind mounts do not keep the namespaces')
      }
      user('bind-user', userX, self.user, uidX, 'bind-mount').bindMount = join(dir, 'user')
      pidns('bind-pid', pidX, self.pid, userX, 'bind-mount').bindMount = join(dir, 'pid')
    } else {
      skipped.push('bind-user', 'bind-pid')
    }

    // 6. A user namespace created by another uid (root only).
    let otherUidPid: number | null = null
    if (isRoot) {
      const [pid] = await start(asUid(OTHER_UID, ['unshare', '-U', 'sleep', 'infinity']))
      otherUidPid = pid!
      user('uid1000', nsInode(pid!, 'user'), self.user, effectiveUid(pid!), 'process', [pid!])
    } else {
      skipped.push('uid1000')
    }

    // 7. Two sibling user namespaces under a parent of their own.
    {
      const [parent] = await start(['unshare', '-Ur', 'sleep', 'infinity'])
      const enter = ['nsenter', '--preserve-credentials', '-U', '-t', String(parent)]
      const [s1] = await start([...enter, 'unshare', '-Ur', 'sleep', 'infinity'])
      const [s2] = await start([...enter, 'unshare', '-Ur', 'sleep', 'infinity'])
      const p = user('siblings-parent', nsInode(parent!, 'user'), self.user, effectiveUid(parent!), 'process', [parent!])
      user('sibling-a', nsInode(s1!, 'user'), p.ino, effectiveUid(s1!), 'process', [s1!])
      user('sibling-b', nsInode(s2!, 'user'), p.ino, effectiveUid(s2!), 'process', [s2!])
    }

    // 8. A user namespace owning namespaces of other types (for -d and options.types).
    let detailsPid: number
    {
      const [d0, d1] = await start(['unshare', '-Ur', '--net', '--uts', '--ipc', '--pid', '--fork', '--kill-child', 'sleep', 'infinity'])
      detailsPid = d1!
      const owner = nsInode(d1!, 'user')
      user('details-user', owner, self.user, effectiveUid(d1!), 'process', [d0!, d1!])
      pidns('details-pid', nsInode(d1!, 'pid'), self.pid, owner, 'process', [d1!])
      for (const type of ['net', 'uts', 'ipc'] as const) {
        namespaces.push({ label: `details-${type}`, type, ino: nsInode(d1!, type), parent: null, owner, ownerUid: null, via: 'process', pids: [d0!, d1!] })
      }
    }

    for (const ns of namespaces) ns.pids.sort((a, b) => a - b)
    return {
      namespaces,
      byLabel: new Map(namespaces.map((ns) => [ns.label, ns])),
      self,
      skipped,
      otherUidPid,
      detailsPid,
      remove,
    }
  } catch (err) {
    await remove().catch(() => {})
    throw err
  }
}

/** Processes found in /proc, with what the specs compare against. */
export interface ProcScan {
  /** Members of each namespace, by `type:inode`, sorted. */
  members: Map<string, number[]>
  /** Parent pid of each scanned process. */
  ppid: Map<number, number>
}

/** Reads /proc/*\/ns/<type> for every process we may read: our own view of who is where. */
export function scanProc(types: readonly string[]): ProcScan {
  const members = new Map<string, number[]>()
  const ppid = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    for (const type of types) {
      let link: string
      try {
        link = readlinkSync(`/proc/${pid}/ns/${type}`)
      } catch {
        continue
      }
      const match = /^\w+:\[(\d+)\]$/.exec(link)
      if (!match) continue
      const key = `${type}:${match[1]}`
      const list = members.get(key)
      if (list) list.push(pid)
      else members.set(key, [pid])
    }
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      ppid.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {}
  }
  for (const list of members.values()) list.sort((a, b) => a - b)
  return { members, ppid }
}

/** The linuxns_rel rule: the lowest pid in the namespace, then up its parents while they stay inside. */
export function representative(pids: readonly number[], ppid: ReadonlyMap<number, number>): number | null {
  if (pids.length === 0) return null
  const inside = new Set(pids)
  let pid = Math.min(...pids)
  for (let parent = ppid.get(pid); parent !== undefined && inside.has(parent); parent = ppid.get(pid)) pid = parent
  return pid
}

/** The name lsuserns shows for a process: argv[0]'s base name without a leading '-', or `[comm]`. */
export function processName(pid: number): string {
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  if (cmdline === '') return `[${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`
  const argv0 = cmdline.split('\0')[0]!
  return argv0.slice(argv0.lastIndexOf('/') + 1).replace(/^-/, '')
}

/** The user name of a uid from `getent passwd`, or null where there is none. */
export function userName(uid: number): string | null {
  try {
    return execFileSync('getent', ['passwd', String(uid)], { encoding: 'utf8' }).split(':')[0] || null
  } catch {
    return null
  }
}
