// graphns's drawing: the user and PID namespace hierarchies as a graph, in
// DOT, laid out by Graphviz compiled to WebAssembly (no `dot` binary), and
// rendered to SVG, PNG or a self-contained HTML page. Pure functions of a
// discover() model; Graphviz and resvg are loaded only when first needed.
import type { DiscoveredNamespace, NamespaceModel } from '../index.js'
import { htmlPage } from './graph-page.js'

/** Why a namespace lives: a process is in it, or only an fd, a bind mount or a child keeps it. */
export type GraphNodeKind = 'process' | 'fd' | 'bind-mount' | 'hidden'

export interface GraphNode {
  /** `user_4026531837`: the DOT node name, and the id of its SVG group. */
  id: string
  ns: DiscoveredNamespace
  kind: GraphNodeKind
  /** The lines of its label. */
  label: string[]
  /** The uid that owns it (a PID namespace: its user namespace's): `root (0)`, or 'out of view'. */
  owner: string
  /** With `details`: the namespaces of other types that a user namespace owns. */
  owns: DiscoveredNamespace[]
}

export interface GraphEdge {
  /** 'parent': `from` is the parent of `to`; 'owner': `from` is a PID namespace, `to` the user namespace that owns it. */
  kind: 'parent' | 'owner'
  from: string
  to: string
}

export interface NamespaceGraph {
  nodes: GraphNode[]
  edges: GraphEdge[]
}

export interface GraphOptions {
  /** Under each user namespace, list the namespaces of other types it owns (found in the model). Default: false. */
  details?: boolean
  /** Draw the legend. Default: true. */
  legend?: boolean
}

export interface PngOptions {
  /** Pixels per SVG point. Default: 1.5, lowered so that neither side exceeds `maxSize`. */
  zoom?: number
  /** The largest width or height in pixels. Default: 16384. */
  maxSize?: number
}

const DRAWN = new Set(['user', 'pid'])
const DETAILS_PER_TYPE = 3
const LARGE = 300
// Graphviz measures text with Helvetica's metrics, which Arial and Liberation Sans share.
const FONT = 'Helvetica'

/** `user_4026531837`. */
export function nodeId(ns: { type: string; ino: number }): string {
  return `${ns.type}_${ns.ino}`
}

function kindOf(ns: DiscoveredNamespace): GraphNodeKind {
  if (ns.pid !== null || ns.processes > 0) return 'process'
  if (ns.fdHolders.length > 0) return 'fd'
  if (ns.bindMounts.length > 0) return 'bind-mount'
  return 'hidden'
}

function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`
}

function uidText(user: DiscoveredNamespace | undefined): string {
  if (user?.ownerUid == null) return 'out of view'
  return user.ownerName === null ? `${user.ownerUid}` : `${user.ownerName} (${user.ownerUid})`
}

function holderText(ns: DiscoveredNamespace, kind: GraphNodeKind): string {
  const more = (n: number): string => (n > 1 ? ` +${n - 1} more` : '')
  switch (kind) {
    case 'process':
      return `${ns.process ?? '?'} (${ns.pid ?? '?'})${ns.processes > 1 ? `, ${ns.processes} processes` : ''}`
    case 'fd':
      return `held by fd ${ns.fdHolders[0]!.fd} of pid ${ns.fdHolders[0]!.pid}${more(ns.fdHolders.length)}`
    case 'bind-mount':
      return `bind mount ${shorten(ns.bindMounts[0]!)}${more(ns.bindMounts.length)}`
    case 'hidden':
      return 'no process (hidden)'
  }
}

function detailLines(owns: DiscoveredNamespace[]): string[] {
  const byType = new Map<string, number[]>()
  for (const ns of owns) byType.set(ns.type, [...(byType.get(ns.type) ?? []), ns.ino])
  return [...byType].map(([type, inos]) => {
    const shown = inos.slice(0, DETAILS_PER_TYPE).map((ino) => `${type}:[${ino}]`)
    return shown.join(' ') + (inos.length > DETAILS_PER_TYPE ? ` +${inos.length - DETAILS_PER_TYPE} more` : '')
  })
}

/** The graph of the user and PID namespaces of a discover() model. */
export function buildGraph(model: NamespaceModel, options: GraphOptions = {}): NamespaceGraph {
  const byIno = new Map(model.namespaces.map((ns) => [ns.ino, ns]))
  const owned = new Map<number, DiscoveredNamespace[]>()
  if (options.details) {
    for (const ns of model.namespaces) {
      if (DRAWN.has(ns.type) || ns.owner === null) continue
      owned.set(ns.owner, [...(owned.get(ns.owner) ?? []), ns])
    }
  }
  const nodes: GraphNode[] = []
  const edges: GraphEdge[] = []
  for (const ns of model.namespaces) {
    if (!DRAWN.has(ns.type)) continue
    const kind = kindOf(ns)
    const user = ns.type === 'user' ? ns : ns.owner === null ? undefined : byIno.get(ns.owner)
    const owns = owned.get(ns.ino) ?? []
    const owner = uidText(user)
    const label = [`${ns.type}:[${ns.ino}]`, holderText(ns, kind), `owner ${owner}`]
    if (owns.length > 0) label.push('owns:', ...detailLines(owns))
    nodes.push({ id: nodeId(ns), ns, kind, label, owner, owns })
    const parent = ns.parent === null ? undefined : byIno.get(ns.parent)
    if (parent?.type === ns.type) edges.push({ kind: 'parent', from: nodeId(parent), to: nodeId(ns) })
    if (ns.type === 'pid' && user?.type === 'user') edges.push({ kind: 'owner', from: nodeId(ns), to: nodeId(user) })
  }
  return { nodes, edges }
}

/** A DOT string literal. */
function quote(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
  return `"${escaped.replace(/[\u0000-\u001f\u007f]/g, '?')}"`
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
  fd: { style: 'rounded,filled,dashed', color: '#d47500', penwidth: 2.2 },
  'bind-mount': { style: 'rounded,filled,bold', color: '#8e3fb0', penwidth: 2.6 },
}

const FAST = { splines: 'line', mclimit: 0.1, nslimit: 1, nslimit1: 1, searchsize: 10, remincross: 'false' }

const OWNER_EDGE = { class: 'owner', style: 'dashed', color: '#7a7a7a', dir: 'back', arrowtail: 'vee' }

function legend(): string[] {
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
    `    legend_user -> legend_child ${attrs({ class: 'legend', label: ' parent → child', fontsize: 9 })}`,
    `    legend_user -> legend_pid ${attrs({ ...OWNER_EDGE, class: 'legend', label: ' owned by', fontsize: 9 })}`,
    `    legend_pid -> legend_hidden ${attrs({ style: 'invis' })}`,
    `    legend_child -> legend_fd ${attrs({ style: 'invis' })}`,
    `    legend_child -> legend_bind ${attrs({ style: 'invis' })}`,
    '  }',
  ]
}

/**
 * The graph in Graphviz's DOT language. Nodes are named `TYPE_INODE` and
 * carry `class="ns TYPE KIND"`; parent edges go parent -> child with
 * `class="parent"`. An ownership edge, from a PID namespace to its user
 * namespace, is written `USER -> PID [class="owner", dir=back]`, so that PID
 * namespaces rank below the user namespaces that own them.
 */
export function toDot(model: NamespaceModel | NamespaceGraph, options: GraphOptions = {}): string {
  const graph = 'nodes' in model ? model : buildGraph(model, options)
  const lines = [
    'digraph namespaces {',
    `  graph ${attrs({ id: 'namespaces', fontname: FONT, nodesep: 0.2, ranksep: 0.45, bgcolor: 'white' })}`,
    // A large graph trades some crossings and curves for time: 1,500 nodes lay out in well under a second.
    ...(graph.nodes.length > LARGE ? [`  graph ${attrs(FAST)}`] : []),
    `  node ${attrs({ shape: 'box', fontname: FONT, fontsize: 10, margin: '0.1,0.04' })}`,
    `  edge ${attrs({ color: '#444444', arrowsize: 0.7, fontname: FONT })}`,
  ]
  if (options.legend !== false) lines.push(...legend())
  for (const n of graph.nodes) {
    const style = { ...TYPE_STYLE[n.ns.type], ...KIND_STYLE[n.kind] }
    lines.push(`  ${n.id} ${attrs({ id: n.id, class: `ns ${n.ns.type} ${n.kind}`, label: n.label.join('\n'), ...style })}`)
  }
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

type GraphvizModule = typeof import('@hpcc-js/wasm-graphviz')
let graphviz: ReturnType<GraphvizModule['Graphviz']['load']> | undefined

/** Loads Graphviz's WebAssembly once. */
export function loadGraphviz(): ReturnType<GraphvizModule['Graphviz']['load']> {
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load())
  return graphviz
}

/**
 * The drawing as SVG, laid out by Graphviz's dot in WebAssembly, from a model
 * or from DOT text. Each namespace's group has `id="TYPE_INODE"`,
 * `data-type` and `data-ino`.
 */
export async function renderSvg(input: NamespaceModel | NamespaceGraph | string, options: GraphOptions = {}): Promise<string> {
  const dot = typeof input === 'string' ? input : toDot(input, options)
  const svg = (await loadGraphviz()).dot(dot, 'svg')
  return svg.replace(/<g id="(user|pid)_(\d+)" class="node/g, '<g id="$1_$2" data-type="$1" data-ino="$2" class="node')
}

/** An SVG as PNG, rendered by resvg. */
export async function renderPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js')
  const maxSize = options.maxSize ?? 16384
  const size = /<svg[^>]*\swidth="([\d.]+)pt"[^>]*\sheight="([\d.]+)pt"/.exec(svg)
  // resvg draws a point as 4/3 pixel.
  const largest = size ? (Math.max(Number(size[1]), Number(size[2])) * 4) / 3 : 0
  const zoom = Math.min(options.zoom ?? 1.5, largest > 0 ? maxSize / largest : Infinity)
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: zoom },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'Liberation Sans', sansSerifFamily: 'Liberation Sans' },
  })
  return resvg.render().asPng()
}

/**
 * A self-contained HTML page (no network) with the drawing, pan and zoom,
 * a search box (inode, pid or process name) and each namespace's details on
 * hover.
 */
export async function renderHtml(model: NamespaceModel, options: GraphOptions & { title?: string } = {}): Promise<string> {
  const graph = buildGraph(model, options)
  return htmlPage(await renderSvg(graph, options), graph, options.title ?? 'Linux namespaces')
}
