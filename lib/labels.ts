// The words every tool and the graph use for a namespace: its name, its
// owner, what keeps it alive, and the namespaces grouped under their owner.
// Every text from the system goes out through escapeText.
import { escapeText } from './escape.js'
import type { DiscoveredNamespace } from './model.js'

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
 * else the first bind mount, else how discovery met it: as a process's
 * `pid_for_children` or `time_for_children` ('pending'), in the kernel's
 * list of mount namespaces ('mount-list'), or only through the kernel's
 * relations, as a parent or owner of another ('hidden').
 */
export type Holder =
  | { kind: 'process'; pid: number; name: string | null }
  | { kind: 'fd'; pid: number; fd: number; more: number }
  | { kind: 'bind-mount'; path: string; more: number }
  | { kind: 'pending' | 'mount-list' | 'hidden' }

export type HolderKind = Holder['kind']

export function holderOf(ns: DiscoveredNamespace): Holder {
  if (ns.pid !== null) return { kind: 'process', pid: ns.pid, name: ns.process }
  const fd = ns.fdHolders[0]
  if (fd) return { kind: 'fd', pid: fd.pid, fd: fd.fd, more: ns.fdHolders.length - 1 }
  const path = ns.bindMounts[0]
  if (path !== undefined) return { kind: 'bind-mount', path, more: ns.bindMounts.length - 1 }
  if (ns.via.includes('pending')) return { kind: 'pending' }
  if (ns.via.includes('mount-list')) return { kind: 'mount-list' }
  return { kind: 'hidden' }
}

/** `fd 3 of pid 30139`, `bind mount /run/netns/x`: the keeper of a namespace no process is in. */
export function keeperText(h: Extract<Holder, { kind: 'fd' | 'bind-mount' }>): string {
  return h.kind === 'fd' ? `fd ${h.fd} of pid ${h.pid}` : `bind mount ${escapeText(h.path)}`
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
