// The HTML page of graphns: one file, no network (its Content-Security-Policy
// forbids any fetch), with the inline SVG, pan and zoom, search and details
// on hover. Its script is page-script.ts.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import type { NamespaceGraph } from './graph-model.js'
import { containerLabel } from './labels.js'
import type { PageData } from './page-data.js'
import type { ViewData } from './view.js'

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`)
}

const STYLE = `
html, body { margin: 0; height: 100%; font: 14px system-ui, sans-serif; color: #222; }
body { display: flex; flex-direction: column; }
header { display: flex; gap: 0.8em; align-items: center; padding: 0.4em 0.8em; border-bottom: 1px solid #ccc; background: #f7f7f7; }
header h1 { font-size: 15px; margin: 0; font-weight: 600; }
#search { width: 22em; padding: 0.25em 0.4em; }
#status, .hint { color: #666; font-size: 12px; }
#viewport { flex: 1; overflow: hidden; position: relative; cursor: grab; background: white; }
#viewport.dragging { cursor: grabbing; }
#canvas { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
#canvas svg { display: block; }
g.node.hit > path, g.node.hit > polygon, g.node.hit > ellipse { stroke: #e0115f; stroke-width: 3.5; stroke-dasharray: none; }
g.node.current > path, g.node.current > polygon, g.node.current > ellipse { stroke: #e0115f; stroke-width: 6; fill: #ffe0ec; }
g.node.ns, g.node.group, g.cluster.expanded > text { cursor: pointer; }
body[data-busy] #viewport { cursor: progress; }
#details { position: fixed; z-index: 2; max-width: 34em; background: #fffff4; border: 1px solid #999; border-radius: 4px;
  box-shadow: 0 2px 8px rgba(0,0,0,.2); padding: 0.5em 0.7em; font-size: 12px; pointer-events: none; }
#details h2 { font-size: 13px; margin: 0 0 0.3em; }
#details dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 0.1em 0.8em; }
#details dt { color: #666; }
#details dd { margin: 0; overflow-wrap: anywhere; }
`

/**
 * The page's script: view.js, which draws the views, and page-script.js,
 * compiled beside this module, as one inline module (it can import nothing).
 */
function script(): string {
  const read = (name: string): string => readFileSync(new URL(name, import.meta.url), 'utf8')
  const view = read('./view.js').replace(/^export /gm, '')
  return `${view}\n${read('./page-script.js').replace(/^import .*$/gm, '')}`
}

/** Graphviz in WebAssembly, one ES module, for the page to lay out the views it is asked for. */
function graphvizModule(): string {
  return readFileSync(fileURLToPath(import.meta.resolve('@hpcc-js/wasm-graphviz')), 'utf8')
}

/**
 * The page around an SVG drawn by renderSvg. With `view` (a grouped graph's
 * viewData), the page embeds Graphviz to draw the groups it expands.
 */
export function htmlPage(svg: string, graph: NamespaceGraph, title: string, view: ViewData | null = null): string {
  const data: PageData = { nodes: {}, view, groups: {} }
  for (const g of graph.groups) data.groups[g.id] = g.label
  for (const { id, ns, kind, holder, owner, owns } of graph.nodes) {
    data.nodes[ns.ino] = {
      id,
      type: ns.type,
      ino: ns.ino,
      kind,
      holder,
      pid: ns.pid,
      process: ns.process,
      processes: ns.processes,
      owner: ns.type === 'user' ? owner : `${ns.owner === null ? 'out of view' : `user:[${ns.owner}]`}, uid ${owner}`,
      parent: ns.parent,
      via: ns.via,
      fdHolders: ns.fdHolders.map((h) => `fd ${h.fd} of pid ${h.pid}`),
      bindMounts: ns.bindMounts,
      owns: owns.map((o) => `${o.type}:[${o.ino}]`),
      containers: [...new Set(ns.containers.map(containerLabel))],
      search: [
        `${ns.type}:[${ns.ino}]`,
        String(ns.ino),
        ...ns.pids.map(String),
        ...(ns.process === null ? [] : [ns.process]),
        ...ns.containers.flatMap((c) => [c.id, ...(c.name === null ? [] : [c.name]), ...(c.pod === null ? [] : [c.pod])]),
      ],
    }
  }
  // Inside <script>, '<' is the only character that could end the element early.
  const json = JSON.stringify(data).replace(/</g, '\\u003c')
  const inline = svg.slice(svg.indexOf('<svg'))
  // The module's text holds no '</script', checked here so that a new release that does cannot end the element early.
  const graphviz = view === null ? '' : graphvizModule()
  if (graphviz.includes('</script')) throw new Error('the Graphviz module holds </script: it cannot be inlined')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'${view === null ? '' : " blob: 'wasm-unsafe-eval'"}; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<input id="search" type="search" placeholder="inode, pid, process or container name" autocomplete="off" aria-label="find a namespace">
<button id="fit" type="button">fit</button>
<span id="status" role="status"></span>
<span class="hint">wheel: zoom · drag: pan · Enter: next match · hover: details${view === null ? '' : ' · click ×N: expand, its frame: fold'}</span>
</header>
<div id="viewport"><div id="canvas">
${inline}</div></div>
<div id="details" hidden></div>
<script type="application/json" id="ns-data">${json}</script>
${graphviz === '' ? '' : `<script type="text/plain" id="graphviz-module">${graphviz}</script>\n`}
<script type="module">${script()}</script>
</body>
</html>
`
}
