// The user and PID namespace hierarchies of a discover() model as a graph,
// and that graph in Graphviz's DOT language. Pure functions of the model.
import type { GraphEdge, GraphNode, GraphNodeKind, NamespaceGraph } from './graph-model.js'
import { GROUP_AT, groupAlike } from './group.js'
import { byOwner, containersText, holderOf, holderText, nsName, processText, uidText } from './labels.js'
import type { DiscoveredNamespace, NamespaceModel } from './model.js'
import { viewDot, type ViewData } from './view.js'

export type { GraphEdge, GraphGroup, GraphNode, GraphNodeKind, NamespaceGraph } from './graph-model.js'

export interface GraphOptions {
  /** Under each user namespace, list the namespaces of other types it owns (found in the model). Default: false. */
  details?: boolean
  /** Draw the legend. Default: true. */
  legend?: boolean
  /** Draw every namespace: fold no alike siblings into a group. Default: false. */
  expand?: boolean
  /** Fold a run of alike siblings from this many on. Default: {@link GROUP_AT} (20). */
  groupAt?: number
}

const DRAWN = new Set(['user', 'pid'])
const DETAILS_PER_TYPE = 3
const LARGE = 300
/** The most members in one row of an expanded group, so that a view fitted to a screen stays readable. */
const WRAP = 8
// Graphviz measures text with Helvetica's metrics, which Arial and Liberation Sans share.
const FONT = 'Helvetica'

/** `user_4026531837`. */
export function nodeId(ns: { type: string; ino: number }): string {
  return `${ns.type}_${ns.ino}`
}

function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`
}

function ownerText(user: DiscoveredNamespace | undefined): string {
  return user?.ownerUid == null ? 'out of view' : uidText(user.ownerUid, user.ownerName)
}

/** The node's kind and the line of its label that says what keeps it. */
function holderLine(ns: DiscoveredNamespace): { kind: GraphNodeKind; text: string } {
  const h = holderOf(ns)
  if (h.kind === 'process') {
    return { kind: 'process', text: `${processText(h.name)} (${h.pid})${ns.processes > 1 ? `, ${ns.processes} processes` : ''}` }
  }
  // The drawn types are user and pid: no mount namespace, so no 'mount-list'.
  const kind = h.kind === 'mount-list' ? 'hidden' : h.kind
  return { kind, text: `no process (${holderText(h, shorten)})` }
}

function detailLines(owns: DiscoveredNamespace[]): string[] {
  const byType = new Map<string, DiscoveredNamespace[]>()
  for (const ns of owns) byType.set(ns.type, [...(byType.get(ns.type) ?? []), ns])
  return [...byType.values()].map((list) => {
    const shown = list.slice(0, DETAILS_PER_TYPE).map(nsName)
    return shown.join(' ') + (list.length > DETAILS_PER_TYPE ? ` +${list.length - DETAILS_PER_TYPE} more` : '')
  })
}

/** The graph of the user and PID namespaces of a discover() model. */
export function buildGraph(model: NamespaceModel, options: GraphOptions = {}): NamespaceGraph {
  const byIno = new Map(model.namespaces.map((ns) => [ns.ino, ns]))
  const owned = options.details ? byOwner(model.namespaces, DRAWN) : new Map<number, DiscoveredNamespace[]>()
  const nodes: GraphNode[] = []
  const edges: GraphEdge[] = []
  for (const ns of model.namespaces) {
    if (!DRAWN.has(ns.type)) continue
    const { kind, text } = holderLine(ns)
    const user = ns.type === 'user' ? ns : ns.owner === null ? undefined : byIno.get(ns.owner)
    const owns = owned.get(ns.ino) ?? []
    const owner = ownerText(user)
    const label = [nsName(ns), text, `owner ${owner}`]
    if (owns.length > 0) label.push('owns:', ...detailLines(owns))
    nodes.push({ id: nodeId(ns), ns, kind, label, holder: text, owner, owns })
    const parent = ns.parent === null ? undefined : byIno.get(ns.parent)
    if (parent?.type === ns.type) edges.push({ kind: 'parent', from: nodeId(parent), to: nodeId(ns) })
    if (ns.type === 'pid' && user?.type === 'user') edges.push({ kind: 'owner', from: nodeId(ns), to: nodeId(user) })
  }
  const groups = options.expand ? [] : groupAlike(nodes, edges, options.groupAt ?? GROUP_AT)
  return { nodes, edges, groups }
}

/**
 * A DOT string literal of our own text, whose lines are joined by newlines;
 * the text from the system in it was escaped by the labels already.
 */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

function attrs(list: Record<string, string | number>): string {
  return `[${Object.entries(list)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? v : quote(v)}`)
    .join(', ')}]`
}

const TYPE_STYLE: Record<string, Record<string, string>> = {
  user: { fillcolor: '#dce9fb' },
  pid: { fillcolor: '#dff3da' },
}

const KIND_STYLE: Record<GraphNodeKind, Record<string, string | number>> = {
  process: { style: 'rounded,filled', color: '#333333' },
  hidden: { style: 'rounded,filled,dotted', color: '#777777', fontcolor: '#555555', penwidth: 1.6 },
  pending: { style: 'rounded,filled,dashed', color: '#2f6fb0', fontcolor: '#2f4f70', penwidth: 1.6 },
  fd: { style: 'rounded,filled,dashed', color: '#d47500', penwidth: 2.2 },
  'bind-mount': { style: 'rounded,filled,bold', color: '#8e3fb0', penwidth: 2.6 },
}

const FAST = { splines: 'line', mclimit: 0.1, nslimit: 1, nslimit1: 1, searchsize: 10, remincross: 'false' }

const OWNER_EDGE = { class: 'owner', style: 'dashed', color: '#7a7a7a', dir: 'back', arrowtail: 'vee' }

const GROUP_STYLE = { style: 'rounded,filled', color: '#333333', peripheries: 2 }

const CLUSTER_STYLE = { style: 'rounded,dashed', color: '#888888', fontcolor: '#444444', fontsize: 10, labeljust: 'l' }

const BOX_STYLE = { style: 'rounded', color: '#c07a1a', fontcolor: '#8a5200', fontsize: 10, labeljust: 'l' }

/**
 * The containers' boxes: each drawn namespace that containers have a process
 * in (none of the host's), under the label of its containers; namespaces of
 * the same label share a box. The cluster attributes of each box, and its
 * index by node id.
 */
function containerBoxes(graph: NamespaceGraph): { boxes: string[]; boxOf: Record<string, number> } {
  const index = new Map<string, number>()
  const boxes: string[] = []
  const boxOf: Record<string, number> = {}
  for (const n of graph.nodes) {
    const label = n.ns.host ? null : containersText(n.ns.containers)
    if (label === null) continue
    let i = index.get(label)
    if (i === undefined) {
      i = boxes.length
      index.set(label, i)
      boxes.push(attrs({ id: `container_${i}`, class: 'container', label, fontname: FONT, ...BOX_STYLE }).slice(1, -1))
    }
    boxOf[n.id] = i
  }
  return { boxes, boxOf }
}

function legend(groups: boolean): string[] {
  const node = (id: string, type: string, kind: GraphNodeKind, text: string): string =>
    `    ${id} ${attrs({ id, class: 'legend', label: text, ...TYPE_STYLE[type], ...KIND_STYLE[kind] })}`
  return [
    '  subgraph cluster_legend {',
    `    graph ${attrs({ label: 'legend', style: 'rounded', color: '#bbbbbb', fontsize: 10 })}`,
    node('legend_user', 'user', 'process', 'user namespace\n(process and pid, owner uid)'),
    node('legend_pid', 'pid', 'process', 'PID namespace'),
    node('legend_child', 'user', 'process', 'child user namespace'),
    node('legend_hidden', 'user', 'hidden', 'hidden: no process,\nfound as a parent or owner'),
    node('legend_fd', 'user', 'fd', 'kept only by an\nopen file descriptor'),
    node('legend_bind', 'pid', 'bind-mount', 'kept only by\na bind mount'),
    node('legend_pending', 'pid', 'pending', 'pending: no process\nhas entered it yet'),
    `    legend_user -> legend_child ${attrs({ class: 'legend', label: ' parent → child', fontsize: 9 })}`,
    `    legend_user -> legend_pid ${attrs({ ...OWNER_EDGE, class: 'legend', label: ' owned by', fontsize: 9 })}`,
    // Two columns, so that the legend takes little of a wide drawing's width.
    `    legend_pid -> legend_hidden ${attrs({ style: 'invis' })}`,
    `    legend_child -> legend_fd ${attrs({ style: 'invis' })}`,
    `    legend_hidden -> legend_pending ${attrs({ style: 'invis' })}`,
    `    legend_fd -> legend_bind ${attrs({ style: 'invis' })}`,
    ...(groups
      ? [
          `    legend_group ${attrs({ id: 'legend_group', class: 'legend', label: 'N alike siblings\ndrawn as one: the\npage expands them', ...TYPE_STYLE.pid, ...GROUP_STYLE })}`,
          `    legend_pending -> legend_group ${attrs({ style: 'invis' })}`,
        ]
      : []),
    '  }',
  ]
}

/**
 * The graph in Graphviz's DOT language. Nodes are named `TYPE_INODE` and
 * carry `class="ns TYPE KIND"`; parent edges go parent -> child with
 * `class="parent"`. An ownership edge, from a PID namespace to its user
 * namespace, is written `USER -> PID [class="owner", dir=back]`, so that PID
 * namespaces rank below the user namespaces that own them.
 *
 * Where the graph has groups (see {@link GraphOptions.groupAt}), the DOT is
 * the overview instead: each group one node `group_TYPE_INODE` with
 * `class="group TYPE"`, and an edge to or from any of its members drawn once,
 * to the group. With `expand: true`, every namespace's node.
 */
export function toDot(model: NamespaceModel | NamespaceGraph, options: GraphOptions = {}): string {
  const graph = 'nodes' in model ? model : buildGraph(model, options)
  if (graph.groups.length > 0 && !options.expand) return viewDot(viewData(graph, options), new Set())
  const lines = ['digraph namespaces {', ...head(graph.nodes.length > LARGE, false, options)]
  const { boxes, boxOf } = containerBoxes(graph)
  for (const n of graph.nodes) if (boxOf[n.id] === undefined) lines.push(`  ${n.id} ${nodeAttrs(n)}`)
  boxes.forEach((box, i) => {
    lines.push(`  subgraph cluster_container_${i} {`, `    graph [${box}]`)
    for (const n of graph.nodes) if (boxOf[n.id] === i) lines.push(`    ${n.id} ${nodeAttrs(n)}`)
    lines.push('  }')
  })
  for (const e of graph.edges) {
    lines.push(
      e.kind === 'parent'
        ? `  ${e.from} -> ${e.to} ${attrs({ class: 'parent' })}`
        : `  ${e.to} -> ${e.from} ${attrs(OWNER_EDGE)}`,
    )
  }
  lines.push('}')
  return `${lines.join('\n')}\n`
}

function head(large: boolean, groups: boolean, options: GraphOptions): string[] {
  return [
    `  graph ${attrs({ id: 'namespaces', fontname: FONT, nodesep: 0.2, ranksep: 0.45, bgcolor: 'white', ...(groups ? { compound: 'true' } : {}) })}`,
    // A large graph trades some crossings and curves for time: 1,500 nodes lay out in well under a second.
    ...(large ? [`  graph ${attrs(FAST)}`] : []),
    `  node ${attrs({ shape: 'box', fontname: FONT, fontsize: 10, margin: '0.1,0.04' })}`,
    `  edge ${attrs({ color: '#444444', arrowsize: 0.7, fontname: FONT })}`,
    ...(options.legend !== false ? legend(groups) : []),
  ]
}

function nodeAttrs(n: GraphNode): string {
  const style = { ...TYPE_STYLE[n.ns.type], ...KIND_STYLE[n.kind] }
  return attrs({ id: n.id, class: `ns ${n.ns.type} ${n.kind}`, label: n.label.join('\n'), ...style })
}

/**
 * What the views of a grouped graph are drawn from: the overview by
 * graphns, any other by the page. Its DOT is {@link toDot}'s, but for the
 * groups and the clusters of expanded ones.
 */
export function viewData(graph: NamespaceGraph, options: GraphOptions = {}): ViewData {
  const nodes: Record<string, string> = {}
  for (const n of graph.nodes) nodes[n.id] = nodeAttrs(n)
  const parent: Record<string, string> = {}
  const edges: ViewData['edges'] = []
  for (const e of graph.edges) {
    if (e.kind === 'parent') parent[e.to] = e.from
    edges.push([e.from, e.to, e.kind === 'parent' ? 0 : 1])
  }
  const groups: ViewData['groups'] = {}
  for (const g of graph.groups) {
    groups[g.id] = {
      parent: g.parent,
      members: g.members,
      node: attrs({ id: g.id, class: `group ${g.type}`, label: g.label.join('\n'), ...TYPE_STYLE[g.type], ...GROUP_STYLE }),
      cluster: attrs({ id: `cluster_${g.id}`, class: 'expanded', label: g.label[0]!, fontname: FONT, ...CLUSTER_STYLE }).slice(1, -1),
    }
  }
  return {
    head: head(graph.nodes.length > LARGE, true, options),
    nodes,
    ...containerBoxes(graph),
    parent,
    groups,
    edges,
    edgeAttrs: [attrs({ class: 'parent' }).slice(1, -1), attrs(OWNER_EDGE).slice(1, -1)],
    wrap: WRAP,
  }
}
