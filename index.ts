/**
 * linuxns-rel: how Linux namespaces relate, asked of the kernel through the
 * nsfs ioctls (owning user namespace, parent, owner uid, type).
 */
import { closeSync } from 'node:fs'

type Binding = typeof import('./binding.js')

const native: Binding = await import('./binding.js').catch((cause: unknown) => {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header
  const target = `${process.platform}-${process.arch}-${header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
  throw new Error(
    `linuxns-rel: the native addon for ${target} could not be loaded (the loader's errors follow as the cause). ` +
      'In a clone of the repository, run `npm install`: it builds the addon with cargo. ' +
      `From the registry, install again without --omit=optional, so that linuxns-rel-${target} comes along.`,
    { cause },
  )
})

/** cgroup namespace type. */
export const CLONE_NEWCGROUP = 0x02000000
/** Inter-process communication namespace type. */
export const CLONE_NEWIPC = 0x08000000
/** Network namespace type. */
export const CLONE_NEWNET = 0x40000000
/** Mount namespace type. */
export const CLONE_NEWNS = 0x00020000
/** PID namespace type. */
export const CLONE_NEWPID = 0x20000000
/** Time namespace type (Linux 5.6). */
export const CLONE_NEWTIME = 0x00000080
/** User namespace type. */
export const CLONE_NEWUSER = 0x10000000
/** UTS (host and domain name) namespace type. */
export const CLONE_NEWUTS = 0x04000000

/** The name of a namespace type, as in `/proc/PID/ns/NAME` and `NAME:[inode]`. */
export type NstypeName = 'cgroup' | 'ipc' | 'mnt' | 'net' | 'pid' | 'time' | 'user' | 'uts'

const nstypeNames = new Map<number, NstypeName>([
  [CLONE_NEWCGROUP, 'cgroup'],
  [CLONE_NEWIPC, 'ipc'],
  [CLONE_NEWNS, 'mnt'],
  [CLONE_NEWNET, 'net'],
  [CLONE_NEWPID, 'pid'],
  [CLONE_NEWTIME, 'time'],
  [CLONE_NEWUSER, 'user'],
  [CLONE_NEWUTS, 'uts'],
])

/**
 * A namespace: a path such as `'/proc/self/ns/net'` (opened read-only and
 * closed again inside the call), a file descriptor (never closed by the call),
 * or any object with a numeric `fd`, such as a {@link NamespaceFile} or a
 * `fs.promises.FileHandle`.
 */
export type NamespaceRef = string | number | { readonly fd: number }

const INT32_MAX = 2 ** 31 - 1
const INT32_MIN = -(2 ** 31)

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return Buffer.isBuffer(value) ? 'an instance of Buffer' : 'an object without a numeric fd'
  return `type ${typeof value} (${String(value)})`
}

function invalidArgType(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' })
}

/** The fd or path that the native calls take, or a TypeError/RangeError in Node's style. */
function nsArg(ref: unknown): number | string {
  // An int32 descriptor first: it is the case that runs in loops.
  if ((typeof ref === 'number' && (ref | 0) === ref) || typeof ref === 'string') return ref
  const fd =
    typeof ref === 'object' && ref !== null && !Buffer.isBuffer(ref) ? (ref as { fd?: unknown }).fd : ref
  if (typeof fd === 'number' && Number.isInteger(fd)) {
    if (fd >= INT32_MIN && fd <= INT32_MAX) return fd
    throw Object.assign(new RangeError(`The file descriptor must be a 32-bit integer. Received ${fd}`), {
      code: 'ERR_OUT_OF_RANGE',
    })
  }
  throw invalidArgType(
    'The namespace reference must be a path string, an integer file descriptor, ' +
      `or an object with an integer fd property. Received ${describe(ref)}`,
  )
}

// Releases the descriptors of NamespaceFiles that were garbage-collected unclosed.
// A finalizer must not throw: EBADF here means someone else closed the fd already.
const unclosed = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd)
  } catch {}
})

/**
 * An open namespace: owns one read-only, close-on-exec file descriptor.
 * Close it with {@link NamespaceFile.close} or a `using` declaration; one
 * that is never closed releases its descriptor when garbage-collected.
 */
export class NamespaceFile {
  #fd: number

  /** Takes ownership of `fd`, an open namespace descriptor. */
  constructor(fd: number) {
    this.#fd = fd
    unclosed.register(this, fd, this)
  }

  /** Opens the namespace at `path` (for example `/proc/self/ns/net`). */
  static open(path: string): NamespaceFile {
    if (typeof path !== 'string') {
      throw invalidArgType(`The path must be a string. Received ${describe(path)}`)
    }
    return new NamespaceFile(native.openNs(path))
  }

  /** The file descriptor; -1 once closed. */
  get fd(): number {
    return this.#fd
  }

  /** Closes the descriptor; closing again does nothing. */
  close(): void {
    const fd = this.#fd
    if (fd < 0) return
    this.#fd = -1
    unclosed.unregister(this)
    closeSync(fd)
  }

  [Symbol.dispose](): void {
    this.close()
  }
}

const byFd = native.fdCalls()

/**
 * The type of a namespace: one of the `CLONE_NEW*` values.
 *
 * @throws ENOTTY where `ref` is no namespace, and the open errors of a path.
 */
export function getNstype(ref: NamespaceRef): number {
  const ns = nsArg(ref)
  return typeof ns === 'number' ? byFd.getNstype(ns) : native.getNstype(ns)
}

/**
 * The uid that owns a user namespace, that is, the effective uid of the
 * process that created it, as seen from the caller's user namespace.
 *
 * @throws EINVAL where `ref` is not a user namespace.
 */
export function getOwnerUid(ref: NamespaceRef): number {
  const ns = nsArg(ref)
  return typeof ns === 'number' ? byFd.getOwnerUid(ns) : native.getOwnerUid(ns)
}

/**
 * The user namespace that owns a namespace. For a user namespace, that is
 * its parent, as with {@link getParentns}.
 *
 * @throws EPERM where the owner lies outside the caller's view (above the
 * caller's own user namespace).
 */
export function getUserns(ref: NamespaceRef): NamespaceFile {
  const ns = nsArg(ref)
  return new NamespaceFile(typeof ns === 'number' ? byFd.getUserns(ns) : native.getUserns(ns))
}

/**
 * The parent of a user or PID namespace.
 *
 * @throws EPERM at the top of the hierarchy as the caller sees it; EINVAL
 * for the flat types (cgroup, ipc, mnt, net, time, uts).
 */
export function getParentns(ref: NamespaceRef): NamespaceFile {
  const ns = nsArg(ref)
  return new NamespaceFile(typeof ns === 'number' ? byFd.getParentns(ns) : native.getParentns(ns))
}

/**
 * The name of a namespace type value, for example `nstypeStr(CLONE_NEWNET)`
 * is `'net'`.
 *
 * @throws RangeError for a value that is not one of the `CLONE_NEW*` types.
 */
export function nstypeStr(nstype: number): NstypeName {
  const name = nstypeNames.get(nstype)
  if (name === undefined) {
    throw Object.assign(new RangeError(`Unknown namespace type value: ${String(nstype)}`), {
      code: 'ERR_OUT_OF_RANGE',
    })
  }
  return name
}

/** How a namespace was found. */
export type NamespaceSource = 'process' | 'task' | 'fd' | 'bind-mount' | 'hierarchy'

/** One namespace found by {@link discover}: plain data, ready for JSON. */
export interface DiscoveredNamespace {
  type: NstypeName
  /** The inode number, as in `type:[inode]`. */
  ino: number
  /** The nsfs device number. */
  dev: number
  /** The parent (user and PID namespaces); null at the top of what the caller may see. */
  parent: number | null
  /** The found namespaces whose parent this is, by inode. */
  children: number[]
  /** The owning user namespace (for a user namespace, its parent); null where out of view. */
  owner: number | null
  /** For a user namespace, the uid that created it. */
  ownerUid: number | null
  /** The user name of `ownerUid`, where the user database has one. */
  ownerName: string | null
  /** The representative process: the lowest pid in the namespace, then up its parents while they stay inside. */
  pid: number | null
  /** Its name: argv[0]'s base name without a leading '-', or `[comm]` for a kernel thread. */
  process: string | null
  /** How many processes are in it. */
  processes: number
  pids: number[]
  /** How it was found. */
  via: NamespaceSource[]
  /** Open descriptors of other processes that keep it. */
  fdHolders: { pid: number; fd: number }[]
  /** Bind mounts that keep it; mounts in other mount namespaces as `/proc/PID/root/...`. */
  bindMounts: string[]
}

/** What {@link discover} returns. */
export interface NamespaceModel {
  /** Sorted by type name, then inode. */
  namespaces: DiscoveredNamespace[]
}

/** What {@link discover} looks for, and where. */
export interface DiscoverOptions {
  /** The namespace types to report. Default: `['user', 'pid']`. */
  types?: readonly NstypeName[]
  /** Also read every thread's namespaces (threads can sit apart from their process). Default: false. */
  tasks?: boolean
  /** Look for namespaces held only by an open descriptor. Default: true. */
  fds?: boolean
  /** Look for namespaces held only by a bind mount. Default: true. */
  bindMounts?: boolean
}

function discoverArg(options: DiscoverOptions): Parameters<Binding['discover']>[0] {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgType(`The options must be an object. Received ${describe(options)}`)
  }
  const { types, tasks, fds, bindMounts } = options
  if (types !== undefined && (!Array.isArray(types) || !types.every((t) => [...nstypeNames.values()].includes(t)))) {
    throw Object.assign(
      new TypeError(`options.types must be an array of ${[...nstypeNames.values()].join(', ')}. Received ${String(types)}`),
      { code: 'ERR_INVALID_ARG_VALUE' },
    )
  }
  for (const [name, value] of Object.entries({ tasks, fds, bindMounts })) {
    if (value !== undefined && typeof value !== 'boolean') {
      throw invalidArgType(`options.${name} must be a boolean. Received ${describe(value)}`)
    }
  }
  return { types: types && [...types], tasks, fds, bindMounts }
}

/**
 * Finds every namespace of the requested types on this machine: those of
 * processes (and threads), those held only by an open descriptor or a bind
 * mount, and the ancestors and owners that only the kernel's relations
 * reveal. Processes that exit during the scan, or whose namespaces the caller
 * may not read, are passed over; run as root to see everything.
 */
export function discover(options: DiscoverOptions = {}): NamespaceModel {
  return { namespaces: native.discover(discoverArg(options)) as DiscoveredNamespace[] }
}

/** {@link discover}, run on libuv's thread pool so that the event loop goes on. */
export async function discoverAsync(options: DiscoverOptions = {}): Promise<NamespaceModel> {
  return { namespaces: (await native.discoverAsync(discoverArg(options))) as DiscoveredNamespace[] }
}

export {
  buildGraph,
  renderHtml,
  renderPng,
  renderSvg,
  toDot,
  type GraphEdge,
  type GraphNode,
  type GraphNodeKind,
  type GraphOptions,
  type NamespaceGraph,
  type PngOptions,
} from './cli/graph.js'
