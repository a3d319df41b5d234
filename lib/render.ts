// A namespace graph drawn: laid out by Graphviz compiled to WebAssembly (no
// `dot` binary) into SVG, rendered to PNG by resvg, or put in a
// self-contained HTML page. Graphviz and resvg are loaded when first needed.
import { buildGraph, toDot, viewData, type GraphOptions, type NamespaceGraph } from './graph.js'
import type { NamespaceModel } from './model.js'
import { htmlPage } from './page.js'
import { markSvg } from './view.js'

export interface PngOptions {
  /** Pixels per SVG point. Default: 1.5, lowered so that neither side exceeds `maxSize`. */
  zoom?: number
  /** The largest width or height in pixels. Default: 16384. */
  maxSize?: number
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
 * `data-type` and `data-ino`; each group of alike namespaces' (see
 * {@link GraphOptions.expand}) `id` and `data-group` are `group_TYPE_INODE`.
 */
export async function renderSvg(input: NamespaceModel | NamespaceGraph | string, options: GraphOptions = {}): Promise<string> {
  const dot = typeof input === 'string' ? input : toDot(input, options)
  return markSvg((await loadGraphviz()).dot(dot, 'svg'))
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
 * hover. Where alike namespaces are grouped, it opens on the overview,
 * expands a group on a click, and expands what folds a namespace the search
 * finds.
 */
export async function renderHtml(model: NamespaceModel, options: GraphOptions & { title?: string } = {}): Promise<string> {
  const graph = buildGraph(model, options)
  return pageOf(graph, await renderSvg(graph, options), options)
}

/** The page of a graph already drawn as `svg` (by renderSvg with the same options). */
export function pageOf(graph: NamespaceGraph, svg: string, options: GraphOptions & { title?: string } = {}): string {
  const grouped = graph.groups.length > 0 && !options.expand
  return htmlPage(svg, graph, options.title ?? 'Linux namespaces', grouped ? viewData(graph, options) : null)
}
