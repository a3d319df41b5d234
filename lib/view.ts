// One view of a grouped namespace graph as DOT: the groups named in
// `expanded` are drawn as clusters of their members, in rows of `wrap`, and
// every other group as one node. graphns draws the overview (nothing
// expanded) with it, and the page, which inlines this module, each view a
// click or a search asks for. So it imports nothing and touches no DOM.

/** A group of alike namespaces, as the view needs it. */
export interface ViewGroup {
  /** The node id of the members' common parent, or null. */
  parent: string | null
  members: string[]
  /** The DOT attributes of its node, folded: `[id="group_…", …]`. */
  node: string
  /** The DOT attributes of its cluster, expanded: `id="cluster_group_…", …`. */
  cluster: string
}

/** What a view is drawn from: plain data, ready for JSON. */
export interface ViewData {
  /** The DOT lines between `digraph namespaces {` and the nodes: defaults and the legend. */
  head: string[]
  /** Each namespace's DOT attributes by node id, in the model's order. */
  nodes: Record<string, string>
  /** Each namespace's parent by node id (the parent edges). */
  parent: Record<string, string>
  groups: Record<string, ViewGroup>
  /** The DOT attributes of each container's box (its cluster), and the box of each namespace that has one. */
  boxes: string[]
  boxOf: Record<string, number>
  /** `[from, to, kind]`: kind 0 from parent to child, 1 from a PID namespace to its owning user namespace. */
  edges: [string, string, 0 | 1][]
  /** The DOT attributes of a parent edge and of an owner edge (drawn from the user namespace, dir=back). */
  edgeAttrs: [string, string]
  /** The most members in one row of an expanded group, and of the children of one namespace. */
  wrap: number
}

/** Past this many, a namespace's children that no group holds stay in one row: the invisible edges that wrap them cost more than they give. */
const WRAP_LOOSE_MAX = 200

/**
 * The widest row of one namespace's children, in points: with the other
 * hierarchy and the legend beside it, a drawing fitted to a screen of 1,280
 * pixels keeps its 10-point labels 8 pixels high or more.
 */
const ROW_POINTS = 800

/** A node's width in points, estimated from its label's longest line (Helvetica 10 pt: about 5.6 pt a character), with its margins and the gap to the next. */
function labelWidth(attrs: string): number {
  const label = /label="((?:[^"\\]|\\.)*)"/.exec(attrs)?.[1] ?? ''
  return Math.max(...label.split('\\n').map((line) => line.length)) * 5.6 + 34
}

interface Anchor {
  /** The node drawn for a namespace: itself, or the outermost folded group that holds it. */
  id: string
  /** The expanded groups around that node, innermost first. */
  within: string[]
}

interface Index {
  groupOf: Map<string, string>
  kids: Map<string, string[]>
}

const indexes = new WeakMap<ViewData, Index>()

function indexOf(data: ViewData): Index {
  let index = indexes.get(data)
  if (index) return index
  const groupOf = new Map<string, string>()
  for (const [id, g] of Object.entries(data.groups)) for (const m of g.members) groupOf.set(m, id)
  const kids = new Map<string, string[]>()
  for (const [child, parent] of Object.entries(data.parent)) {
    const list = kids.get(parent)
    if (list) list.push(child)
    else kids.set(parent, [child])
  }
  index = { groupOf, kids }
  indexes.set(data, index)
  return index
}

/** The groups that hold a node (a namespace's id, or null), innermost first. */
function groupsAround(data: ViewData, id: string | null): string[] {
  const { groupOf } = indexOf(data)
  const list: string[] = []
  for (let x: string | undefined = id ?? undefined; x !== undefined; x = data.parent[x]) {
    const g = groupOf.get(x)
    if (g !== undefined) list.push(g)
  }
  return list
}

function anchor(data: ViewData, id: string, expanded: ReadonlySet<string>): Anchor {
  const around = groupsAround(data, id)
  for (let i = around.length - 1; i >= 0; i--) if (!expanded.has(around[i]!)) return { id: around[i]!, within: around.slice(i + 1) }
  return { id, within: around }
}

/** The folded groups to expand, outermost first, so that a namespace's own node is drawn. */
export function foldedAround(data: ViewData, id: string, expanded: ReadonlySet<string>): string[] {
  return groupsAround(data, id)
    .filter((g) => !expanded.has(g))
    .reverse()
}

/** The node that stands for a namespace in a view: its own, or its group's. */
export function drawnAs(data: ViewData, id: string, expanded: ReadonlySet<string>): string {
  return anchor(data, id, expanded).id
}

/** The view as DOT. */
export function viewDot(data: ViewData, expanded: ReadonlySet<string>): string {
  const { kids } = indexOf(data)
  const anchors = new Map<string, Anchor>()
  const items = new Map<string | null, string[]>()
  const clusters = new Map<string | null, string[]>()
  const place = (list: Map<string | null, string[]>, scope: string | null, id: string): void => {
    const l = list.get(scope)
    if (l) l.push(id)
    else list.set(scope, [id])
  }
  const seenCluster = new Set<string>()
  for (const id of Object.keys(data.nodes)) {
    const a = anchor(data, id, expanded)
    anchors.set(id, a)
    if (a.id === id || !anchors.has(a.id)) {
      if (a.id !== id) anchors.set(a.id, a)
      place(items, a.within[0] ?? null, a.id)
    }
    a.within.forEach((g, i) => {
      if (seenCluster.has(g)) return
      seenCluster.add(g)
      place(clusters, a.within[i + 1] ?? null, g)
    })
  }

  // The rank a subtree needs below its top, so that the next row of a group starts under it.
  const heights = new Map<string, number>()
  const height = (id: string): number => {
    if (heights.has(id)) return heights.get(id)!
    let h = 0
    for (const kid of kids.get(id) ?? []) {
      const a = anchors.get(kid)!
      h = Math.max(h, 1 + (a.id === kid ? height(kid) : 0))
    }
    heights.set(id, h)
    return h
  }

  const lines = ['digraph namespaces {', ...data.head]
  const emit = (scope: string | null, indent: string): void => {
    const boxed = new Map<number, string[]>()
    for (const id of items.get(scope) ?? []) {
      const box = data.boxOf[id]
      if (box === undefined) lines.push(`${indent}${id} ${data.nodes[id] ?? data.groups[id]!.node}`)
      else boxed.set(box, [...(boxed.get(box) ?? []), id])
    }
    for (const [box, ids] of boxed) {
      lines.push(`${indent}subgraph cluster_container_${box}_${scope ?? 'top'} {`, `${indent}  graph [${data.boxes[box]}]`)
      for (const id of ids) lines.push(`${indent}  ${id} ${data.nodes[id]}`)
      lines.push(`${indent}}`)
    }
    for (const g of clusters.get(scope) ?? []) {
      lines.push(`${indent}subgraph cluster_${g} {`, `${indent}  graph [${data.groups[g]!.cluster}]`)
      emit(g, `${indent}  `)
      const members = data.groups[g]!.members
      for (let i = data.wrap; i < members.length; i++) {
        const above = members[i - data.wrap]!
        lines.push(`${indent}  ${above} -> ${members[i]} [style=invis, minlen=${height(above) + 1}]`)
      }
      lines.push(`${indent}}`)
    }
  }
  emit(null, '  ')

  // The children of one namespace in rows too (those in its own scope, drawn one by one or as a folded
  // group), each row no wider than ROW_POINTS by its labels, nor longer than `wrap`.
  for (const [parent, list] of kids) {
    const p = anchors.get(parent)
    if (p === undefined || p.id !== parent) continue
    const row = [...new Set(list.map((kid) => anchors.get(kid)!).filter((a) => a.within[0] === p.within[0]).map((a) => a.id))]
    if (row.length < 2 || row.length > WRAP_LOOSE_MAX) continue
    const rows: string[][] = [[]]
    let width = 0
    for (const id of row) {
      const w = labelWidth(data.nodes[id] ?? data.groups[id]!.node)
      if (rows.at(-1)!.length > 0 && (rows.at(-1)!.length >= data.wrap || width + w > ROW_POINTS)) {
        rows.push([])
        width = 0
      }
      rows.at(-1)!.push(id)
      width += w
    }
    for (let r = 1; r < rows.length; r++) {
      rows[r]!.forEach((id, i) => {
        const above = rows[r - 1]![Math.min(i, rows[r - 1]!.length - 1)]!
        lines.push(`  ${above} -> ${id} [style=invis, minlen=${(data.nodes[above] === undefined ? 0 : height(above)) + 1}]`)
      })
    }
  }

  // An edge between a node inside an expanded group and one outside it is drawn once, to the group's cluster.
  const drawn = new Set<string>()
  for (const [from, to, kind] of data.edges) {
    const f = anchors.get(from)!
    const t = anchors.get(to)!
    const liftF = f.within.filter((g) => !t.within.includes(g)).pop()
    const liftT = t.within.filter((g) => !f.within.includes(g)).pop()
    const [tail, head, ltail, lhead] = kind === 0 ? [f, t, liftF, liftT] : [t, f, liftT, liftF]
    const tailKey = ltail ?? tail.id
    const headKey = lhead ?? head.id
    const key = `${tailKey} ${headKey} ${kind}`
    if (tailKey === headKey || drawn.has(key)) continue
    drawn.add(key)
    const attrs = [data.edgeAttrs[kind]]
    if (ltail !== undefined) attrs.push(`ltail=cluster_${ltail}`)
    if (lhead !== undefined) attrs.push(`lhead=cluster_${lhead}`)
    const end = (a: Anchor, lift: string | undefined): string => (lift === undefined ? a.id : data.groups[lift]!.members[0]!)
    lines.push(`  ${end(tail, ltail)} -> ${end(head, lhead)} [${attrs.join(', ')}]`)
  }
  lines.push('}')
  return `${lines.join('\n')}\n`
}

/** Graphviz's SVG with each namespace's group marked `data-type` and `data-ino`, and each group's `data-group`. */
export function markSvg(svg: string): string {
  return svg
    .replace(/<g id="(user|pid)_(\d+)" class="node/g, '<g id="$1_$2" data-type="$1" data-ino="$2" class="node')
    .replace(/<g id="(group_(?:user|pid)_\d+)" class="node/g, '<g id="$1" data-group="$1" class="node')
}
