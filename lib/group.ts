// Alike namespaces folded into one node: on a host with hundreds of
// containers, hundreds of sibling namespaces differ only in their inode and
// pids, and a drawing of each of them would not read. Pure functions of the
// graph.
import { groupLabel } from './labels.js'
import type { GraphEdge, GraphGroup, GraphNode } from './graph-model.js'

/** A run of alike siblings is folded from this many on; fewer are drawn one by one. */
export const GROUP_AT = 20

interface Tree {
  byId: Map<string, GraphNode>
  children: Map<string | null, string[]>
  parentOf: Map<string, string>
  ownerOf: Map<string, string>
}

function tree(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Tree {
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const parentOf = new Map<string, string>()
  const ownerOf = new Map<string, string>()
  for (const e of edges) (e.kind === 'parent' ? parentOf.set(e.to, e.from) : ownerOf.set(e.from, e.to))
  const children = new Map<string | null, string[]>()
  for (const n of nodes) {
    const parent = parentOf.get(n.id) ?? null
    const list = children.get(parent)
    if (list) list.push(n.id)
    else children.set(parent, [n.id])
  }
  return { byId, children, parentOf, ownerOf }
}

/**
 * Folds alike siblings: namespaces of one type under one parent whose
 * subtrees have the same shape, in which every namespace has a process
 * (none hidden, pending, or kept only by a descriptor or bind mount: those
 * stand out and stay drawn), in containers of the same engines (or none),
 * with the same owner uid, or for PID namespaces
 * the same owning user namespace or group of user namespaces. Only a run of
 * at least `threshold` alike siblings becomes a group; groups may nest inside
 * the members of another. User namespaces are grouped first, so that PID
 * namespaces owned by the members of one user group can fold too.
 */
export function groupAlike(nodes: readonly GraphNode[], edges: readonly GraphEdge[], threshold = GROUP_AT): GraphGroup[] {
  const t = tree(nodes, edges)
  const groups: GraphGroup[] = []
  /** The outermost group that folds a user namespace, where one does. */
  const foldedIn = new Map<string, string>()

  for (const type of ['user', 'pid']) {
    const sigs = new Map<string, string | null>()
    const ownerKey = (n: GraphNode): string => {
      if (n.ns.type === 'user') return n.owner
      const owner = t.ownerOf.get(n.id)
      return owner === undefined ? `uid ${n.owner}` : (foldedIn.get(owner) ?? owner)
    }
    // The shape of a subtree, or null where something in it stands out.
    const sig = (id: string): string | null => {
      if (sigs.has(id)) return sigs.get(id)!
      const n = t.byId.get(id)!
      let s: string | null = null
      if (n.kind === 'process') {
        const kids = (t.children.get(id) ?? []).map(sig)
        if (kids.every((k) => k !== null)) {
          const engines = [...new Set(n.ns.containers.map((c) => c.engine))].sort().join(',')
          s = `${ownerKey(n)}|${engines}|${n.owns.map((o) => o.type).join(',')}(${kids.sort().join(',')})`
        }
      }
      sigs.set(id, s)
      return s
    }
    const made: GraphGroup[] = []
    for (const [parent, kids] of t.children) {
      const alike = new Map<string, string[]>()
      for (const id of kids) {
        if (t.byId.get(id)!.ns.type !== type) continue
        const s = sig(id)
        if (s === null) continue
        const list = alike.get(s)
        if (list) list.push(id)
        else alike.set(s, [id])
      }
      for (const members of alike.values()) {
        if (members.length < threshold) continue
        const first = t.byId.get(members[0]!)!
        made.push({ id: `group_${type}_${first.ns.ino}`, type, parent, members, label: [] })
      }
    }
    // Outermost first: a group's members lie below its parent only.
    const depth = (id: string | null): number => (id === null ? 0 : 1 + depth(t.parentOf.get(id) ?? null))
    made.sort((a, b) => depth(a.parent) - depth(b.parent))
    for (const g of made) {
      const stack = [...g.members]
      while (stack.length > 0) {
        const id = stack.pop()!
        if (type === 'user' && !foldedIn.has(id)) foldedIn.set(id, g.id)
        stack.push(...(t.children.get(id) ?? []))
      }
    }
    groups.push(...made)
  }

  const ownerRef = (id: string): string | undefined => {
    const owner = t.ownerOf.get(id)
    return owner === undefined ? undefined : (foldedIn.get(owner) ?? owner)
  }
  for (const g of groups) g.label = describe(g, t, groups, ownerRef)
  return groups
}

/** The count of the namespaces below one member (all members have as many). */
function below(id: string, t: Tree): number {
  return (t.children.get(id) ?? []).reduce((sum, kid) => sum + 1 + below(kid, t), 0)
}

function describe(g: GraphGroup, t: Tree, groups: readonly GraphGroup[], ownerRef: (id: string) => string | undefined): string[] {
  const members = g.members.map((id) => t.byId.get(id)!)
  const counts = members.map((n) => n.ns.processes)
  const first = members[0]!
  let ownedBy: string | null = null
  if (g.type === 'pid') {
    // Alike PID namespaces have one owner, or owners that one user group folds.
    const owners = new Set(g.members.map((id) => t.ownerOf.get(id)))
    const [only] = owners
    const ownerGroup = groups.find((o) => o.id === ownerRef(g.members[0]!))
    if (owners.size === 1 && only !== undefined) ownedBy = t.byId.get(only)!.label[0]!
    else if (ownerGroup) ownedBy = `members of ${ownerGroup.members.length} × user ns`
  }
  const owns = new Map<string, number>()
  for (const n of members) for (const o of n.owns) owns.set(o.type, (owns.get(o.type) ?? 0) + 1)
  return groupLabel({
    count: members.length,
    type: g.type,
    processes: [Math.min(...counts), Math.max(...counts)],
    below: below(first.id, t),
    owner: first.owner,
    ownedBy,
    owns: [...owns],
  })
}
