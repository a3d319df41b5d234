// The HTML page of graphns: one file, no network (its Content-Security-Policy
// forbids any fetch), with the inline SVG, pan and zoom, search and details
// on hover. The script is plain browser JavaScript kept in a string.
import type { NamespaceGraph } from './graph.js'

/** What the page shows of a namespace on hover, by inode. */
interface NodeData {
  id: string
  type: string
  ino: number
  kind: string
  pid: number | null
  process: string | null
  processes: number
  pids: number[]
  owner: string
  parent: number | null
  via: string[]
  fdHolders: string[]
  bindMounts: string[]
  owns: string[]
}

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

const SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('ns-data').textContent);
  var viewport = document.getElementById('viewport');
  var canvas = document.getElementById('canvas');
  var search = document.getElementById('search');
  var status = document.getElementById('status');
  var details = document.getElementById('details');
  var view = { x: 0, y: 0, k: 1 };
  var matches = [];
  var current = -1;

  function apply() {
    canvas.style.transform = 'translate(' + view.x + 'px,' + view.y + 'px) scale(' + view.k + ')';
  }
  function fit() {
    var svg = canvas.querySelector('svg');
    var w = svg.getBoundingClientRect().width / view.k, h = svg.getBoundingClientRect().height / view.k;
    view.k = Math.min(1, viewport.clientWidth / w, viewport.clientHeight / h);
    view.x = (viewport.clientWidth - w * view.k) / 2;
    view.y = Math.max(0, (viewport.clientHeight - h * view.k) / 2);
    apply();
  }
  function zoomAt(px, py, factor) {
    var k = Math.min(8, Math.max(0.02, view.k * factor));
    view.x = px - (px - view.x) * (k / view.k);
    view.y = py - (py - view.y) * (k / view.k);
    view.k = k;
    apply();
  }
  viewport.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = viewport.getBoundingClientRect();
    zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-e.deltaY * 0.0015));
  }, { passive: false });
  var drag = null;
  viewport.addEventListener('pointerdown', function (e) {
    drag = { x: e.clientX, y: e.clientY };
    viewport.classList.add('dragging');
  });
  window.addEventListener('pointermove', function (e) {
    if (!drag) return;
    view.x += e.clientX - drag.x;
    view.y += e.clientY - drag.y;
    drag = { x: e.clientX, y: e.clientY };
    apply();
  });
  window.addEventListener('pointerup', function () {
    drag = null;
    viewport.classList.remove('dragging');
  });

  function nodeOf(ino) {
    return canvas.querySelector('g.node[data-ino="' + ino + '"]');
  }
  function show(el) {
    var v = viewport.getBoundingClientRect(), r = el.getBoundingClientRect();
    var cx = (r.left + r.width / 2 - v.left - view.x) / view.k;
    var cy = (r.top + r.height / 2 - v.top - view.y) / view.k;
    view.k = Math.max(view.k, 1);
    view.x = v.width / 2 - cx * view.k;
    view.y = v.height / 2 - cy * view.k;
    apply();
  }
  function find(query) {
    var q = query.trim().toLowerCase();
    if (q === '') return [];
    var number = /^(?:[a-z]+:\\[)?(\\d+)\\]?$/.exec(q);
    return Object.keys(data).filter(function (ino) {
      var d = data[ino];
      if (number) return String(d.ino) === number[1] || d.pids.indexOf(Number(number[1])) >= 0;
      return d.process !== null && d.process.toLowerCase().indexOf(q) >= 0;
    });
  }
  function select(index) {
    canvas.querySelectorAll('g.node.current').forEach(function (el) { el.classList.remove('current'); });
    current = index;
    if (index < 0) return;
    var el = nodeOf(matches[index]);
    el.classList.add('current');
    show(el);
    status.textContent = (index + 1) + ' of ' + matches.length + ': ' + data[matches[index]].type + ':[' + matches[index] + ']';
  }
  function runSearch() {
    canvas.querySelectorAll('g.node.hit').forEach(function (el) { el.classList.remove('hit'); });
    matches = find(search.value);
    matches.forEach(function (ino) { nodeOf(ino).classList.add('hit'); });
    status.textContent = search.value.trim() === '' ? '' : 'no match';
    select(matches.length > 0 ? 0 : -1);
  }
  search.addEventListener('input', runSearch);
  search.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && matches.length > 0) select((current + 1) % matches.length);
    if (e.key === 'Escape') { search.value = ''; runSearch(); }
  });
  document.getElementById('fit').addEventListener('click', fit);

  function row(dl, name, value) {
    if (value === '' || value === null) return;
    var dt = document.createElement('dt'), dd = document.createElement('dd');
    dt.textContent = name;
    dd.textContent = String(value);
    dl.append(dt, dd);
  }
  canvas.addEventListener('mouseover', function (e) {
    var el = e.target.closest && e.target.closest('g.node[data-ino]');
    if (!el) return;
    var d = data[el.getAttribute('data-ino')];
    var h = document.createElement('h2'), dl = document.createElement('dl');
    h.textContent = d.type + ':[' + d.ino + ']';
    row(dl, 'process', d.pid === null ? 'none (' + d.kind + ')' : d.process + ' (' + d.pid + ')');
    row(dl, 'processes', d.processes);
    row(dl, 'owner', d.owner);
    row(dl, 'parent', d.parent === null ? 'out of view' : d.type + ':[' + d.parent + ']');
    row(dl, 'found via', d.via.join(', '));
    row(dl, 'fd holders', d.fdHolders.join(', '));
    row(dl, 'bind mounts', d.bindMounts.join(', '));
    row(dl, 'owns', d.owns.join(' '));
    details.replaceChildren(h, dl);
    details.hidden = false;
    var x = Math.min(e.clientX + 14, window.innerWidth - details.offsetWidth - 8);
    var y = Math.min(e.clientY + 14, window.innerHeight - details.offsetHeight - 8);
    details.style.left = Math.max(0, x) + 'px';
    details.style.top = Math.max(0, y) + 'px';
  });
  canvas.addEventListener('mouseout', function (e) {
    var el = e.target.closest && e.target.closest('g.node[data-ino]');
    if (el && !el.contains(e.relatedTarget)) details.hidden = true;
  });
  fit();
})();
`

/** The page around an SVG drawn by renderSvg. */
export function htmlPage(svg: string, graph: NamespaceGraph, title: string): string {
  const data: Record<number, NodeData> = {}
  for (const { id, ns, kind, owner, owns } of graph.nodes) {
    data[ns.ino] = {
      id,
      type: ns.type,
      ino: ns.ino,
      kind,
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
<script>${SCRIPT}</script>
</body>
</html>
`
}
