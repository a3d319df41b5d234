// The words every tool and the graph use for a namespace: its name, its
// owner, what keeps it alive, and the namespaces grouped under their owner.
// Each state has one word, the same everywhere; every text from the system
// goes out through escapeText.
import { escapeText } from './escape.js'
import type { ContainerNamespace, DiscoveredNamespace, NamespaceContainer } from './model.js'

/** `user:[4026531837]`. */
export function nsName(ns: { type: string; ino: number }): string {
  return `${ns.type}:[${ns.ino}]`
}

/** `root (0)`, or the bare uid where the user database has no name for it. */
export function uidText(uid: number, name: string | null): string {
  return name === null ? `${uid}` : `${escapeText(name)} (${uid})`
}

/** A process's name as the tools show it; `?` where it could not be read. */
export function processText(name: string | null): string {
  return name === null ? '?' : escapeText(name)
}

/**
 * What keeps a namespace: its representative process; where none is in it,
 * the first open descriptor of another process (`more` counts the others),
 * else a bind mount, else how discovery met it: as a process's
 * `pid_for_children` or `time_for_children` that no process has entered
 * yet ('pending'), in the kernel's list of mount namespaces only
 * ('mount-list'), or only through the kernel's relations, as the parent or
 * owner of another ('hidden').
 */
export type Holder =
  | { kind: 'process'; pid: number; name: string | null }
  | { kind: 'fd'; pid: number; fd: number; more: number }
  | { kind: 'bind-mount'; path: string; more: number }
  | { kind: 'pending' | 'mount-list' | 'hidden' }

export type HolderKind = Holder['kind']

/** A bind mount seen in another mount namespace than ours: `/proc/PID/root/...` or `mnt:[INODE]:...`. */
function elsewhere(path: string): boolean {
  return /^\/proc\/\d+\/root\//.test(path) || path.startsWith('mnt:[')
}

export function holderOf(ns: DiscoveredNamespace): Holder {
  if (ns.pid !== null) return { kind: 'process', pid: ns.pid, name: ns.process }
  const fd = ns.fdHolders[0]
  if (fd) return { kind: 'fd', pid: fd.pid, fd: fd.fd, more: ns.fdHolders.length - 1 }
  // The path in our own mount table first: the one a user can open.
  const path = ns.bindMounts.find((p) => !elsewhere(p)) ?? ns.bindMounts[0]
  if (path !== undefined) return { kind: 'bind-mount', path, more: ns.bindMounts.length - 1 }
  if (ns.via.includes('pending')) return { kind: 'pending' }
  if (ns.via.includes('mount-list')) return { kind: 'mount-list' }
  return { kind: 'hidden' }
}

/**
 * The words for what keeps a namespace that no process is in, the same in
 * every tool: `held by fd 3 of pid 30139`, `bind mount /run/netns/x`
 * (each with `and 2 more`), `pending`, `mount list only`, `hidden`.
 * `shorten` may cut a long path for a drawing.
 */
export function holderText(h: Exclude<Holder, { kind: 'process' }>, shorten: (path: string) => string = (p) => p): string {
  const more = 'more' in h && h.more > 0 ? ` and ${h.more} more` : ''
  switch (h.kind) {
    case 'fd':
      return `held by fd ${h.fd} of pid ${h.pid}${more}`
    case 'bind-mount':
      return `bind mount ${escapeText(shorten(h.path))}${more}`
    case 'pending':
      return 'pending'
    case 'mount-list':
      return 'mount list only'
    case 'hidden':
      return 'hidden'
  }
}

/**
 * The namespaces of other types than `skip` grouped under the user
 * namespace that owns them, in the model's order.
 */
export function byOwner(namespaces: readonly DiscoveredNamespace[], skip: ReadonlySet<string>): Map<number, DiscoveredNamespace[]> {
  const groups = new Map<number, DiscoveredNamespace[]>()
  for (const ns of namespaces) {
    if (skip.has(ns.type) || ns.owner === null) continue
    const list = groups.get(ns.owner)
    if (list) list.push(ns)
    else groups.set(ns.owner, [ns])
  }
  return groups
}

/**
 * A container as the tools name it: `docker:web-1`; a Kubernetes pod's
 * container by its pod, `k8s:default/api-7d9`; one without a name by the
 * first 12 characters of its id.
 */
export function containerLabel(c: NamespaceContainer): string {
  if (c.pod !== null) return `k8s:${escapeText(c.podNamespace === null ? c.pod : `${c.podNamespace}/${c.pod}`)}`
  return `${c.engine}:${escapeText(c.name ?? c.id.slice(0, 12))}`
}

/** The first of some names, and how many more: `web-1`, `web-1,+2`. */
export function firstAndMore(names: readonly string[]): string {
  return names.length > 1 ? `${names[0]},+${names.length - 1}` : (names[0] ?? '')
}

/** The containers of a namespace, one label each (a pod once): `docker:web-1,+1`; null where none. */
export function containersText(containers: readonly NamespaceContainer[]): string | null {
  if (containers.length === 0) return null
  return firstAndMore([...new Set(containers.map(containerLabel))])
}

/**
 * How a container has a namespace, as lscontainers shows it: `own`
 * (`own(UID)` for a user namespace of its own, with the uid that created
 * it), `host`, `=NAME` for the same namespace as another container
 * (`=NAME,+N` where there are more), `?` where it could not be read.
 */
export function isolationText(ns: ContainerNamespace, ownerUid: number | null = null): string {
  switch (ns.state) {
    case 'own':
      return ownerUid === null ? 'own' : `own(${ownerUid})`
    case 'host':
      return 'host'
    case 'shared':
      return `=${firstAndMore(ns.with.map(escapeText))}`
    case null:
      return '?'
  }
}

/** What the members of a group of alike namespaces share, as graphns draws it. */
export interface GroupFacts {
  count: number
  type: string
  /** The fewest and the most processes in one member. */
  processes: [number, number]
  /** How many namespaces of its type lie below each member. */
  below: number
  /** The owner uid, in uidText's words. */
  owner: string
  /** For PID namespaces: the owning user namespace's name, or `N × user ns` where a group of them owns them. */
  ownedBy: string | null
  /** The namespaces of other types the members own, by type (with details). */
  owns: [string, number][]
}

/**
 * The lines of a group's label: `412 × pid ns`, `1 process each`,
 * `each with 1 pid ns below`, `owned by user:[…]`, `owner root (0)`.
 */
export function groupLabel(g: GroupFacts): string[] {
  const [least, most] = g.processes
  const processes = least === most ? `${least} process${least === 1 ? '' : 'es'} each` : `${least} to ${most} processes each`
  const lines = [`${g.count} × ${g.type} ns`, processes]
  if (g.below > 0) lines.push(`each with ${g.below} ${g.type} ns below`)
  if (g.ownedBy !== null) lines.push(`owned by ${g.ownedBy}`)
  lines.push(`owner ${g.owner}`)
  if (g.owns.length > 0) lines.push(`owning ${g.owns.map(([type, n]) => `${n} ${type}`).join(', ')}`)
  return lines
}
