// A namespace graph drawn: laid out by Graphviz compiled to WebAssembly (no
// `dot` binary) into SVG, rendered to PNG by resvg, or put in a
// self-contained HTML page. Graphviz and resvg are loaded when first needed.
import { buildGraph, toDot, type GraphOptions, type NamespaceGraph } from './graph.js'
import type { NamespaceModel } from './model.js'
import { htmlPage } from './page.js'

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
