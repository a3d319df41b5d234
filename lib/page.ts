// The HTML page of graphns: one file, no network (its Content-Security-Policy
// forbids any fetch), with the inline SVG, pan and zoom, search and details
// on hover. Its script is page-script.ts.
import { readFileSync } from 'node:fs'

import type { NamespaceGraph } from './graph.js'
import type { PageData } from './page-data.js'

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
g.node.ns { cursor: pointer; }
#details { position: fixed; z-index: 2; max-width: 34em; background: #fffff4; border: 1px solid #999; border-radius: 4px;
  box-shadow: 0 2px 8px rgba(0,0,0,.2); padding: 0.5em 0.7em; font-size: 12px; pointer-events: none; }
#details h2 { font-size: 13px; margin: 0 0 0.3em; }
#details dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 0.1em 0.8em; }
#details dt { color: #666; }
#details dd { margin: 0; overflow-wrap: anywhere; }
`

/** The page's script, compiled from page-script.ts beside this module. */
function script(): string {
  return readFileSync(new URL('./page-script.js', import.meta.url), 'utf8')
}

/** The page around an SVG drawn by renderSvg. */
export function htmlPage(svg: string, graph: NamespaceGraph, title: string): string {
  const data: PageData = {}
  for (const { id, ns, kind, holder, owner, owns } of graph.nodes) {
    data[ns.ino] = {
      id,
      type: ns.type,
      ino: ns.ino,
      kind,
      holder,
      pid: ns.pid,
      process: ns.process,
      processes: ns.processes,
      pids: ns.pids,
      owner: ns.type === 'user' ? owner : `${ns.owner === null ? 'out of view' : `user:[${ns.owner}]`}, uid ${owner}`,
      parent: ns.parent,
      via: ns.via,
      fdHolders: ns.fdHolders.map((h) => `fd ${h.fd} of pid ${h.pid}`),
      bindMounts: ns.bindMounts,
      owns: owns.map((o) => `${o.type}:[${o.ino}]`),
    }
  }
  // Inside <script>, '<' is the only character that could end the element early.
  const json = JSON.stringify(data).replace(/</g, '\\u003c')
  const inline = svg.slice(svg.indexOf('<svg'))
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<input id="search" type="search" placeholder="inode, pid or process name" autocomplete="off" aria-label="find a namespace">
<button id="fit" type="button">fit</button>
<span id="status" role="status"></span>
<span class="hint">wheel: zoom · drag: pan · Enter: next match · hover: details</span>
</header>
<div id="viewport"><div id="canvas">
${inline}</div></div>
<div id="details" hidden></div>
<script type="application/json" id="ns-data">${json}</script>
<script type="module">${script()}</script>
</body>
</html>
`
}
