// The namespace model that discover() returns: plain data, ready for JSON.
// The library's functions, the graph and the tools all read this one shape.

// The type names and the sources of a namespace are the addon's, declared
// once in Rust: `binding.d.ts` carries them.
import type { ContainerEngine, NamespaceSource, NamespaceState, NstypeName } from '#binding'

export type { ContainerEngine, NamespaceSource, NamespaceState, NstypeName }

/** A container with a process in a namespace; null where its engine's state does not say. */
export interface NamespaceContainer {
  /** `'docker'`, `'containerd'`, `'cri-o'`, `'podman'`, `'lxc'` or `'nspawn'`. */
  engine: ContainerEngine
  /** Its full id (for LXC and nspawn, its name). */
  id: string
  name: string | null
  /** The image as it was asked for. */
  image: string | null
  /** The Kubernetes pod's name, and its namespace. */
  pod: string | null
  podNamespace: string | null
}

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
  /** Open descriptors of other processes that keep it. */
  fdHolders: { pid: number; fd: number }[]
  /** Bind mounts that keep it; mounts in other mount namespaces as `/proc/PID/root/...`. */
  bindMounts: string[]
  /** One of the host's initial namespaces: those of the kernel threads (PID 2), or of PID 1 where PID 2 is none. */
  host: boolean
  /**
   * The containers with a process in it (each process's innermost
   * container), sorted by engine, name and id; empty for the host's
   * namespaces, which every container may share.
   */
  containers: NamespaceContainer[]
}

/** The namespaces that `discover()` found, as the graph and the tools take them. */
export interface NamespaceModel {
  /** Sorted by type name, then inode. */
  namespaces: DiscoveredNamespace[]
}

/** What `discover()` returns: the model, and what it could not tell. */
export interface Discovery extends NamespaceModel {
  /** What could not be told of the containers, one line per engine; those containers have an id and no name. */
  notes: string[]
}

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
   * Tell each namespace's containers. Default: true. It costs a read of
   * `/proc/PID/cgroup` for each process outside the host's mount namespace
   * and each container's state file once; where Docker's files cannot be
   * read, Docker's API is asked once, for at most a second.
   */
  containers?: boolean
}

/** One namespace of a running container. */
export interface ContainerNamespace {
  /** The inode number; null where the container's init could not be read (not root). */
  ino: number | null
  /** `'own'`, `'host'` (the host's initial namespace) or `'shared'` (with another container); null with `ino`. */
  state: NamespaceState | null
  /** The other running containers in it, by name (id where none), sorted. */
  with: string[]
}

/** A running container and how it has each of its namespaces. */
export interface ListedContainer {
  engine: ContainerEngine
  id: string
  name: string | null
  /** Its init's pid. */
  pid: number | null
  image: string | null
  pod: string | null
  podNamespace: string | null
  namespaces: Record<NstypeName, ContainerNamespace>
}

/** What `listContainers()` returns. */
export interface ContainerList {
  /** Sorted by engine, name and id. */
  containers: ListedContainer[]
  /** What could not be told, one line per engine. */
  notes: string[]
}
