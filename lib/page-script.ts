// The script of the graph page, run by the browser: pan and zoom, search by
// inode, pid, process or container name, a namespace's details on hover, and groups
// expanded on a click or where the search finds what they hold, each view
// laid out here by the Graphviz module the page embeds. Compiled on its own
// (DOM types) and inlined into the page by page.ts, after view.js.
import type { PageData } from './page-data.js'
import { drawnAs, foldedAround, markSvg, viewDot } from './view.js'

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`the page has no #${id}`)
  return el as T
}

const data = JSON.parse(element('ns-data').textContent ?? '{}') as PageData
const nodes = data.nodes
const viewport = element<HTMLDivElement>('viewport')
const canvas = element<HTMLDivElement>('canvas')
const search = element<HTMLInputElement>('search')
const status = element<HTMLSpanElement>('status')
const details = element<HTMLDivElement>('details')
const view = { x: 0, y: 0, k: 1 }
let matches: string[] = []
let current = -1
/** The groups drawn as clusters of their members. */
const expanded = new Set<string>()

interface Graphviz {
  dot(source: string): string
}
let graphviz: Promise<Graphviz> | undefined

/** Graphviz, loaded from the module text the page carries (a blob: URL, nothing fetched), on first use. */
function loadGraphviz(): Promise<Graphviz> {
  graphviz ??= (async () => {
    const source = element('graphviz-module').textContent ?? ''
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }))
    const module = (await import(url)) as { Graphviz: { load(): Promise<Graphviz> } }
    return module.Graphviz.load()
  })()
  return graphviz
}

let queue: Promise<void> = Promise.resolve()

/** Draws the view of what `expanded` holds now, after any drawing still under way. */
function redraw(): Promise<void> {
  queue = queue.then(async () => {
    const view = data.view
    if (view === null) return
    document.body.dataset.busy = ''
    try {
      const svg = markSvg((await loadGraphviz()).dot(viewDot(view, expanded)))
      canvas.innerHTML = svg.slice(svg.indexOf('<svg'))
      document.body.dataset.views = String(Number(document.body.dataset.views ?? '0') + 1)
    } finally {
      delete document.body.dataset.busy
    }
  })
  // A view that cannot be laid out is said, and the next one is still drawn.
  queue = queue.catch((err: unknown) => {
    status.textContent = `cannot draw this view: ${String(err)}`
  })
  return queue
}

/** The element that stands for a namespace now: its own node, or its folded group's. */
function drawnOf(ino: string): Element | null {
  const id = nodes[ino]!.id
  return document.getElementById(data.view === null ? id : drawnAs(data.view, id, expanded))
}

function apply(): void {
  canvas.style.transform = `translate(${view.x}px,${view.y}px) scale(${view.k})`
}

function fit(): void {
  const svg = canvas.querySelector('svg')
  if (svg === null) return
  const box = svg.getBoundingClientRect()
  const w = box.width / view.k
  const h = box.height / view.k
  view.k = Math.min(1, viewport.clientWidth / w, viewport.clientHeight / h)
  view.x = (viewport.clientWidth - w * view.k) / 2
  view.y = Math.max(0, (viewport.clientHeight - h * view.k) / 2)
  apply()
}

function zoomAt(px: number, py: number, factor: number): void {
  const k = Math.min(8, Math.max(0.02, view.k * factor))
  view.x = px - (px - view.x) * (k / view.k)
  view.y = py - (py - view.y) * (k / view.k)
  view.k = k
  apply()
}

viewport.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault()
    const r = viewport.getBoundingClientRect()
    zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-e.deltaY * 0.0015))
  },
  { passive: false },
)
let drag: { x: number; y: number } | null = null
let down = { x: 0, y: 0 }
/** Whether the pointer moved since it went down: then its click ends a drag. */
let moved = false
viewport.addEventListener('pointerdown', (e) => {
  drag = { x: e.clientX, y: e.clientY }
  down = { x: e.clientX, y: e.clientY }
  moved = false
  viewport.classList.add('dragging')
})
window.addEventListener('pointermove', (e) => {
  if (!drag) return
  if (Math.abs(e.clientX - down.x) + Math.abs(e.clientY - down.y) > 4) moved = true
  view.x += e.clientX - drag.x
  view.y += e.clientY - drag.y
  drag = { x: e.clientX, y: e.clientY }
  apply()
})
window.addEventListener('pointerup', () => {
  drag = null
  viewport.classList.remove('dragging')
})


function show(el: Element): void {
  const v = viewport.getBoundingClientRect()
  const r = el.getBoundingClientRect()
  const cx = (r.left + r.width / 2 - v.left - view.x) / view.k
  const cy = (r.top + r.height / 2 - v.top - view.y) / view.k
  view.k = Math.max(view.k, 1)
  view.x = v.width / 2 - cx * view.k
  view.y = v.height / 2 - cy * view.k
  apply()
}

function find(query: string): string[] {
  const q = query.trim().toLowerCase()
  if (q === '') return []
  const number = /^(?:[a-z]+:\[)?(\d+)\]?$/.exec(q)
  return Object.keys(nodes).filter((ino) => {
    const words = nodes[ino]!.search
    if (number) return words.includes(number[1]!)
    return words.some((w) => w.toLowerCase().includes(q))
  })
}

/** Marks the matches, or the groups that fold them. */
function markHits(): void {
  canvas.querySelectorAll('g.node.hit, g.node.current').forEach((el) => el.classList.remove('hit', 'current'))
  for (const ino of matches) drawnOf(ino)?.classList.add('hit')
}

let searches = 0

/** Makes match `index` the current one: expands what folds it, marks it and brings it into view. */
async function select(index: number): Promise<void> {
  const search = searches
  current = index
  const ino = matches[index]
  if (ino === undefined) return
  const folded = data.view === null ? [] : foldedAround(data.view, nodes[ino]!.id, expanded)
  if (folded.length > 0) {
    status.textContent = `expanding ${folded.length === 1 ? 'a group' : `${folded.length} groups`}…`
    for (const g of folded) expanded.add(g)
    await redraw()
    if (search !== searches) return
    markHits()
  }
  canvas.querySelectorAll('g.node.current').forEach((el) => el.classList.remove('current'))
  const el = drawnOf(ino)
  if (el === null) return
  el.classList.add('current')
  show(el)
  status.textContent = `${index + 1} of ${matches.length}: ${nodes[ino]!.type}:[${ino}]`
}

function runSearch(): void {
  searches++
  matches = find(search.value)
  markHits()
  status.textContent = search.value.trim() === '' ? '' : 'no match'
  void select(matches.length > 0 ? 0 : -1)
}

let typing: ReturnType<typeof setTimeout> | undefined
// With groups, a match may need a view laid out: wait for a pause in the typing.
search.addEventListener('input', () => {
  clearTimeout(typing)
  if (data.view === null) runSearch()
  else typing = setTimeout(runSearch, 150)
})
search.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && matches.length > 0) {
    searches++
    void select((current + 1) % matches.length)
  }
  if (e.key === 'Escape') {
    search.value = ''
    runSearch()
  }
})
element('fit').addEventListener('click', fit)

function row(dl: HTMLDListElement, name: string, value: string | number | null): void {
  if (value === '' || value === null) return
  const dt = document.createElement('dt')
  const dd = document.createElement('dd')
  dt.textContent = name
  dd.textContent = String(value)
  dl.append(dt, dd)
}

function nodeAt(target: EventTarget | null): Element | null {
  return target instanceof Element ? target.closest('g.node[data-ino]') : null
}

function groupAt(target: EventTarget | null): Element | null {
  return target instanceof Element ? target.closest('g.node[data-group]') : null
}

/** A group's details: its label's lines. */
function showGroup(el: Element): HTMLElement[] {
  const lines = data.groups[el.getAttribute('data-group') ?? ''] ?? []
  const h = document.createElement('h2')
  h.textContent = lines[0] ?? ''
  const p = document.createElement('p')
  p.textContent = [...lines.slice(1), 'click to expand'].join(' · ')
  return [h, p]
}

canvas.addEventListener('mouseover', (e) => {
  const group = groupAt(e.target)
  const el = nodeAt(e.target)
  const d = el === null ? undefined : nodes[el.getAttribute('data-ino') ?? '']
  if (d === undefined && group === null) return
  if (group !== null) details.replaceChildren(...showGroup(group))
  else if (d !== undefined) details.replaceChildren(...showNode(d))
  details.hidden = false
  const x = Math.min(e.clientX + 14, window.innerWidth - details.offsetWidth - 8)
  const y = Math.min(e.clientY + 14, window.innerHeight - details.offsetHeight - 8)
  details.style.left = `${Math.max(0, x)}px`
  details.style.top = `${Math.max(0, y)}px`
})

function showNode(d: PageData['nodes'][string]): HTMLElement[] {
  const h = document.createElement('h2')
  const dl = document.createElement('dl')
  h.textContent = `${d.type}:[${d.ino}]`
  row(dl, 'process', d.holder)
  row(dl, 'processes', d.processes)
  row(dl, 'owner', d.owner)
  row(dl, 'parent', d.parent === null ? 'out of view' : `${d.type}:[${d.parent}]`)
  row(dl, 'found via', d.via.join(', '))
  row(dl, 'fd holders', d.fdHolders.join(', '))
  row(dl, 'bind mounts', d.bindMounts.join(', '))
  row(dl, 'owns', d.owns.join(' '))
  row(dl, 'containers', d.containers.join(' '))
  return [h, dl]
}

canvas.addEventListener('mouseout', (e) => {
  const el = nodeAt(e.target) ?? groupAt(e.target)
  if (el && !(e.relatedTarget instanceof Node && el.contains(e.relatedTarget))) details.hidden = true
})

// A click that ends no drag: on a group, expand it; on an expanded group's frame or title, fold it.
canvas.addEventListener('click', (e) => {
  if (moved) return
  const group = groupAt(e.target)
  const cluster = e.target instanceof Element ? e.target.closest('g.cluster.expanded') : null
  const id = group?.getAttribute('data-group') ?? cluster?.id.replace(/^cluster_/, '')
  if (id === undefined || !(id in data.groups)) return
  details.hidden = true
  if (group !== null) expanded.add(id)
  else expanded.delete(id)
  void redraw().then(() => {
    markHits()
    const shown = group !== null ? document.getElementById(data.view!.groups[id]!.members[0]!) : document.getElementById(id)
    if (shown !== null) show(shown)
  })
})

fit()
document.body.dataset.ready = ''
