// The namespace model that discover() returns: plain data, ready for JSON.
// The library's functions, the graph and the tools all read this one shape.

// The type names and the sources of a namespace are the addon's, declared
// once in Rust: `binding.d.ts` carries them.
import type { NamespaceSource, NstypeName } from '#binding'

export type { NamespaceSource, NstypeName }

/** One namespace found by `discover()`: plain data, ready for JSON. */
export interface DiscoveredNamespace {
  type: NstypeName
  /** The inode number, as in `type:[inode]`. */
  ino: number
  /** The nsfs device number. */
  dev: number
  /**
   * The namespace's unique id (`NS_GET_ID`, Linux 6.18) as a decimal string
   * (`BigInt(id)` gives the number), as `getNsId()` gives it; null on older kernels.
   */
  id: string | null
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
  /** Open descriptors of other processes that keep it; for a network namespace no process is in, its sockets too (`via` has 'socket'). */
  fdHolders: { pid: number; fd: number }[]
  /** Bind mounts that keep it; mounts in other mount namespaces as `/proc/PID/root/...`. */
  bindMounts: string[]
}

/** What `discover()` returns. */
export interface NamespaceModel {
  /** Sorted by type name, then inode. */
  namespaces: DiscoveredNamespace[]
  /** The scan that found them: BPF iterators inside the kernel, or /proc. Both give the same namespaces. */
  scan: 'bpf' | 'procfs'
}

/** Which scan `discover()` runs: BPF where the caller may load it (root, or CAP_BPF and CAP_PERFMON), else /proc. */
export type ScanName = 'auto' | 'bpf' | 'procfs'

/** The choices of `DiscoverOptions.scan`. */
export const SCAN_NAMES: readonly ScanName[] = ['auto', 'bpf', 'procfs']

/** What `discover()` looks for, and where. */
export interface DiscoverOptions {
  /** The namespace types to report. Default: `['user', 'pid']`. */
  types?: readonly NstypeName[]
  /** Also read every thread's namespaces (threads can sit apart from their process). Default: false. */
  tasks?: boolean
  /** Look for namespaces held only by an open descriptor. Default: true. */
  fds?: boolean
  /** Look for namespaces held only by a bind mount. Default: true. */
  bindMounts?: boolean
  /**
   * Which scan reads the processes' namespaces: `'bpf'` (an error, naming
   * why, where it cannot run), `'procfs'`, or `'auto'` (the default): BPF
   * where it can run, else /proc; `LINUXNS_REL_DEBUG=1` says why not on stderr.
   */
  scan?: ScanName
  /**
   * Where user namespaces are asked for, also those that no process is in
   * but that own a namespace of another type a process is in. Default:
   * false; the /proc scan then reads every type's link of every process
   * (the BPF scan has them anyway).
   */
  owners?: boolean
}
