/**
 * linuxns-rel: how Linux namespaces relate, asked of the kernel through the
 * nsfs ioctls (owning user namespace, parent, owner uid, type).
 */
import { createRequire } from 'node:module'

import type { KernelFeatures } from '#binding'
import type { GraphOptions, NamespaceGraph } from './dist/lib/graph.js'
import type { PngOptions } from './dist/lib/render.js'
import type { ContainerList, Discovery, DiscoverOptions, NamespaceModel, NstypeName } from './dist/lib/model.js'

export type {
  ContainerEngine,
  ContainerList,
  ContainerNamespace,
  DiscoveredNamespace,
  Discovery,
  DiscoverOptions,
  ListedContainer,
  NamespaceContainer,
  NamespaceModel,
  NamespaceSource,
  NamespaceState,
  NstypeName,
  ScanName,
} from './dist/lib/model.js'
export { SCAN_NAMES } from './dist/lib/model.js'

type Binding = typeof import('#binding')

/**
 * The addon, through napi-rs's CommonJS loader, loaded with `require`: no
 * top-level await, so that this module can itself be required (Node 20.19's
 * require of ES modules refuses those that await), and the tools, bundled as
 * CommonJS, start without Node's ES module loader.
 */
function loadBinding(): Binding {
  try {
    return createRequire(import.meta.url)('#binding') as Binding
  } catch (cause) {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    const target = `${process.platform}-${process.arch}-${header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
    throw new Error(
      `linuxns-rel: the native addon for ${target} could not be loaded (the loader's errors follow as the cause). ` +
        'In a clone of the repository, run `npm install`: it builds the addon with cargo. ' +
        `From the registry, install again without --omit=optional, so that linuxns-rel-${target} comes along.`,
      { cause },
    )
  }
}

const native = loadBinding()

/** cgroup namespace type (`0x02000000`). */
export const CLONE_NEWCGROUP = native.CLONE_NEWCGROUP
/** Inter-process communication namespace type (`0x08000000`). */
export const CLONE_NEWIPC = native.CLONE_NEWIPC
/** Network namespace type (`0x40000000`). */
export const CLONE_NEWNET = native.CLONE_NEWNET
/** Mount namespace type (`0x00020000`). */
export const CLONE_NEWNS = native.CLONE_NEWNS
/** PID namespace type (`0x20000000`). */
export const CLONE_NEWPID = native.CLONE_NEWPID
/** Time namespace type (`0x00000080`, Linux 5.6). */
export const CLONE_NEWTIME = native.CLONE_NEWTIME
/** User namespace type (`0x10000000`). */
export const CLONE_NEWUSER = native.CLONE_NEWUSER
/** UTS (host and domain name) namespace type (`0x04000000`). */
export const CLONE_NEWUTS = native.CLONE_NEWUTS

/** Every namespace type's name, in alphabetical order. */
export const NSTYPE_NAMES: readonly NstypeName[] = Object.freeze([...native.NSTYPE_NAMES])

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

/**
 * An open namespace: owns one read-only, close-on-exec file descriptor.
 * Close it with {@link NamespaceFile.close} or a `using` declaration. One
 * that is dropped unclosed is closed when it is garbage-collected; V8 is told
 * what each one holds, so that dropped ones are collected before about two
 * thousand pile up.
 */
export class NamespaceFile {
  #fd: number
  /** The native object that owns the descriptor and closes it if this one is collected unclosed. */
  readonly #owner: InstanceType<Binding['OwnedDescriptor']>

  /** Takes ownership of `fd`, an open namespace descriptor. */
  constructor(fd: number) {
    if (typeof fd !== 'number') throw invalidArgType(`The "fd" argument must be of type number. Received ${describe(fd)}`)
    if (!Number.isInteger(fd) || fd < 0 || fd > INT32_MAX) {
      throw Object.assign(new RangeError(`The value of "fd" is out of range. It must be an integer >= 0 && <= ${INT32_MAX}. Received ${fd}`), {
        code: 'ERR_OUT_OF_RANGE',
      })
    }
    this.#fd = fd
    this.#owner = new native.OwnedDescriptor(fd)
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
    this.#fd = -1
    this.#owner.close()
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
  return native.nstypeStr(nstype)
}

function discoverArg(options: DiscoverOptions): Parameters<Binding['discover']>[0] {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgType(`The options must be an object. Received ${Array.isArray(options) ? 'an array' : describe(options)}`)
  }
  const { types, tasks, fds, bindMounts, scan, owners, containers } = options
  for (const [name, value] of Object.entries({ tasks, fds, bindMounts, owners, containers })) {
    if (value !== undefined && typeof value !== 'boolean') {
      throw invalidArgType(`options.${name} must be a boolean. Received ${describe(value)}`)
    }
  }
  // The types and the scan are checked by the addon.
  return { types, tasks, fds, bindMounts, scan, owners, containers }
}

/**
 * Finds every namespace of the requested types on this machine: those of
 * processes (and threads), those held only by an open descriptor or a bind
 * mount, and the ancestors and owners that only the kernel's relations
 * reveal. Processes that exit during the scan, or whose namespaces the caller
 * may not read, are passed over; run as root to see everything.
 */
export function discover(options: DiscoverOptions = {}): Discovery {
  return JSON.parse(native.discover(discoverArg(options))) as Discovery
}

/** {@link discover}, run on libuv's thread pool so that the event loop goes on. */
export async function discoverAsync(options: DiscoverOptions = {}): Promise<Discovery> {
  return JSON.parse(await native.discoverAsync(discoverArg(options))) as Discovery
}

/**
 * The running containers of every engine (Docker, containerd, CRI-O,
 * podman, systemd-nspawn), from the engines' own state on disk (or Docker's
 * API where that cannot be read), each with its init's pid and how it has
 * each of the eight namespaces: its own, the host's, or shared with other
 * containers. No scan of the processes. Containers never make it fail:
 * what could not be told is in `notes`.
 */
export function listContainers(): ContainerList {
  const { containers, notes } = native.listContainers()
  return { containers, notes }
}

/** {@link listContainers}, run on libuv's thread pool. */
export async function listContainersAsync(): Promise<ContainerList> {
  const { containers, notes } = await native.listContainersAsync()
  return { containers, notes }
}

export {
  buildGraph,
  toDot,
  type GraphEdge,
  type GraphGroup,
  type GraphNode,
  type GraphNodeKind,
  type GraphOptions,
  type NamespaceGraph,
} from './dist/lib/graph.js'
export { GROUP_AT } from './dist/lib/group.js'
export type { PngOptions }

type Render = typeof import('#render')
let render: Promise<Render> | undefined
// The drawing's modules load when a drawing is first asked for: the tools
// that draw none spare their loading on every run.
const renderer = (): Promise<Render> => (render ??= import('#render'))

/**
 * The drawing as SVG, laid out by Graphviz's dot in WebAssembly, from a model
 * or from DOT text. Each namespace's group has `id="TYPE_INODE"`,
 * `data-type` and `data-ino`; each group of alike namespaces' (see
 * {@link GraphOptions.expand}) `id` and `data-group` are `group_TYPE_INODE`.
 */
export async function renderSvg(input: NamespaceModel | NamespaceGraph | string, options: GraphOptions = {}): Promise<string> {
  return (await renderer()).renderSvg(input, options)
}

/** An SVG as PNG, rendered by resvg. */
export async function renderPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  return (await renderer()).renderPng(svg, options)
}

/**
 * A self-contained HTML page (no network) with the drawing, pan and zoom,
 * a search box (inode, pid or process name) and each namespace's details on
 * hover. Where alike namespaces are grouped, it opens on the overview,
 * expands a group on a click, and expands what folds a namespace the search
 * finds.
 */
export async function renderHtml(model: NamespaceModel, options: GraphOptions & { title?: string } = {}): Promise<string> {
  return (await renderer()).renderHtml(model, options)
}

// Namespace ids, pid translation, mount namespaces, file handles, pidfds
// (Linux 6.11 to 6.18). Each throws an Error with code 'ENOTSUP', naming the
// release it needs, where the running kernel lacks what it uses; see
// kernelFeatures().

// Which of the newer kernel interfaces the running kernel has, as the addon declares it.
export type { KernelFeatures }

let features: Readonly<KernelFeatures> | undefined

/** Which of the newer interfaces work on the running kernel: probed once, then cached. */
export function kernelFeatures(): Readonly<KernelFeatures> {
  features ??= Object.freeze({ ...native.kernelFeatures() })
  return features
}

function pidArg(pid: unknown, name = 'pid'): number {
  if (typeof pid !== 'number') {
    throw invalidArgType(`The "${name}" argument must be of type number. Received ${describe(pid)}`)
  }
  if (!Number.isInteger(pid) || pid < 1 || pid > INT32_MAX) {
    throw Object.assign(
      new RangeError(`The value of "${name}" is out of range. It must be an integer >= 1 && <= ${INT32_MAX}. Received ${pid}`),
      { code: 'ERR_OUT_OF_RANGE' },
    )
  }
  return pid
}

/**
 * The namespace's unique 64-bit id (`NS_GET_ID`, Linux 6.18): never reused
 * while the system runs, unlike inode numbers. Not in creation order.
 */
export function getNsId(ref: NamespaceRef): bigint {
  return BigInt(native.getNsId(nsArg(ref)))
}

/** What {@link nsStat} says of a namespace. */
export interface NamespaceStat {
  type: NstypeName
  /** The inode number, as in `type:[inode]`. */
  ino: number
  /** The nsfs device number. */
  dev: number
  /** The unique id, as {@link getNsId} gives it; null where the kernel has no `NS_GET_ID` (before 6.18). */
  id: bigint | null
}

/** The type, inode, device and (where the kernel has it) unique id of a namespace, from one descriptor. */
export function nsStat(ref: NamespaceRef): NamespaceStat {
  const st = native.nsStat(nsArg(ref))
  return { type: st.type, ino: st.ino, dev: st.dev, id: st.id === null ? null : BigInt(st.id) }
}

/**
 * The caller's number for the process that is `pid` inside the PID namespace
 * `pidnsRef` (`NS_GET_PID_FROM_PIDNS`, Linux 6.11).
 *
 * @throws ESRCH where no such process is visible to the caller; EINVAL where `pidnsRef` is no PID namespace.
 */
export function pidFromPidns(pidnsRef: NamespaceRef, pid: number): number {
  return native.pidFromPidns(nsArg(pidnsRef), pidArg(pid))
}

/** {@link pidFromPidns} for thread-group ids (`NS_GET_TGID_FROM_PIDNS`). */
export function tgidFromPidns(pidnsRef: NamespaceRef, pid: number): number {
  return native.tgidFromPidns(nsArg(pidnsRef), pidArg(pid))
}

/**
 * The number inside the PID namespace `pidnsRef` of the process that is
 * `pid` to the caller (`NS_GET_PID_IN_PIDNS`, Linux 6.11).
 *
 * @throws ESRCH where the process is not in that namespace (or below it).
 */
export function pidInPidns(pidnsRef: NamespaceRef, pid: number): number {
  return native.pidInPidns(nsArg(pidnsRef), pidArg(pid))
}

/** {@link pidInPidns} for thread-group ids (`NS_GET_TGID_IN_PIDNS`). */
export function tgidInPidns(pidnsRef: NamespaceRef, pid: number): number {
  return native.tgidInPidns(nsArg(pidnsRef), pidArg(pid))
}

/**
 * The 64-bit id of a mount namespace (`NS_GET_MNTNS_ID`, Linux 6.11), as
 * `statmount(2)` and `listmount(2)` know it.
 *
 * @throws EINVAL for other namespace types.
 */
export function getMntnsId(ref: NamespaceRef): bigint {
  return BigInt(native.getMntnsId(nsArg(ref)))
}

/** One mount namespace of {@link listMountNamespaces}. */
export interface MountNamespaceInfo {
  /** Its mount namespace id, as {@link getMntnsId} gives it. */
  id: bigint
  /** Its inode number, as in `mnt:[inode]`. */
  ino: number
  /** How many mounts it has. */
  mounts: number
}

/**
 * Every mount namespace on the system (`NS_MNT_GET_INFO/NEXT/PREV`, Linux
 * 6.12), also those no process is in, in id order. Needs CAP_SYS_ADMIN in
 * the initial user namespace for any but the caller's own.
 */
export function listMountNamespaces(): MountNamespaceInfo[] {
  return native.listMountNamespaces().map((m) => ({ id: BigInt(m.id), ino: m.ino, mounts: m.mounts }))
}

/**
 * A file handle of the namespace (`name_to_handle_at`, Linux 6.18): bytes to
 * keep and give to {@link openNsFileHandle} later, to reopen the namespace
 * without any path for as long as it lives.
 */
export function nsFileHandle(ref: NamespaceRef): Buffer {
  return native.nsFileHandle(nsArg(ref))
}

/**
 * Reopens a namespace from a handle that {@link nsFileHandle} gave
 * (`open_by_handle_at` with `FD_NSFS_ROOT`, Linux 6.18).
 *
 * @throws ESTALE once the namespace is gone (or where the caller may not see it).
 */
export function openNsFileHandle(handle: Buffer | Uint8Array): NamespaceFile {
  if (!(handle instanceof Uint8Array)) {
    throw invalidArgType(`The handle must be a Buffer or Uint8Array. Received ${describe(handle)}`)
  }
  const bytes = Buffer.isBuffer(handle) ? handle : Buffer.from(handle.buffer, handle.byteOffset, handle.byteLength)
  // The addon checks that the bytes are a handle (a TypeError, ERR_INVALID_ARG_VALUE).
  return new NamespaceFile(native.openNsFileHandle(bytes))
}

/**
 * Opens the namespace of type `type` of process `pid`. Race-free through a
 * pidfd (`PIDFD_GET_<TYPE>_NAMESPACE`, Linux 6.11) where the kernel has it:
 * the pid cannot come to name another process meanwhile. Else (or where the
 * kernel refuses a type through the pidfd) through `/proc/PID/ns/TYPE`,
 * checked afterwards against a pidfd where there is one.
 *
 * @throws ESRCH where there is no such process; EACCES where the caller may not inspect it.
 */
export function openProcessNamespace(pid: number, type: NstypeName): NamespaceFile {
  // The addon checks the type (a TypeError, ERR_INVALID_ARG_VALUE).
  return new NamespaceFile(native.openProcessNamespace(pidArg(pid), type))
}
