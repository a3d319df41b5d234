// The script of the graph page, run by the browser: pan and zoom, search by
// inode, pid or process name, and a namespace's details on hover. Compiled
// on its own (DOM types) and inlined into the page by page.ts.
import type { PageData } from './page-data.js'

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`the page has no #${id}`)
  return el as T
}

const data = JSON.parse(element('ns-data').textContent ?? '{}') as PageData
const viewport = element<HTMLDivElement>('viewport')
const canvas = element<HTMLDivElement>('canvas')
const search = element<HTMLInputElement>('search')
const status = element<HTMLSpanElement>('status')
const details = element<HTMLDivElement>('details')
const view = { x: 0, y: 0, k: 1 }
let matches: string[] = []
let current = -1

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
viewport.addEventListener('pointerdown', (e) => {
  drag = { x: e.clientX, y: e.clientY }
  viewport.classList.add('dragging')
})
window.addEventListener('pointermove', (e) => {
  if (!drag) return
  view.x += e.clientX - drag.x
  view.y += e.clientY - drag.y
  drag = { x: e.clientX, y: e.clientY }
  apply()
})
window.addEventListener('pointerup', () => {
  drag = null
  viewport.classList.remove('dragging')
})

function nodeOf(ino: string): Element | null {
  return canvas.querySelector(`g.node[data-ino="${ino}"]`)
}

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
  return Object.keys(data).filter((ino) => {
    const d = data[ino]!
    if (number) return String(d.ino) === number[1] || d.pids.includes(Number(number[1]))
    return d.process !== null && d.process.toLowerCase().includes(q)
  })
}

function select(index: number): void {
  canvas.querySelectorAll('g.node.current').forEach((el) => el.classList.remove('current'))
  current = index
  const ino = matches[index]
  const el = ino === undefined ? null : nodeOf(ino)
  if (ino === undefined || el === null) return
  el.classList.add('current')
  show(el)
  status.textContent = `${index + 1} of ${matches.length}: ${data[ino]!.type}:[${ino}]`
}

function runSearch(): void {
  canvas.querySelectorAll('g.node.hit').forEach((el) => el.classList.remove('hit'))
  matches = find(search.value)
  for (const ino of matches) nodeOf(ino)?.classList.add('hit')
  status.textContent = search.value.trim() === '' ? '' : 'no match'
  select(matches.length > 0 ? 0 : -1)
}

search.addEventListener('input', runSearch)
search.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && matches.length > 0) select((current + 1) % matches.length)
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

canvas.addEventListener('mouseover', (e) => {
  const el = nodeAt(e.target)
  const d = el === null ? undefined : data[el.getAttribute('data-ino') ?? '']
  if (d === undefined) return
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
  details.replaceChildren(h, dl)
  details.hidden = false
  const x = Math.min(e.clientX + 14, window.innerWidth - details.offsetWidth - 8)
  const y = Math.min(e.clientY + 14, window.innerHeight - details.offsetHeight - 8)
  details.style.left = `${Math.max(0, x)}px`
  details.style.top = `${Math.max(0, y)}px`
})
canvas.addEventListener('mouseout', (e) => {
  const el = nodeAt(e.target)
  if (el && !(e.relatedTarget instanceof Node && el.contains(e.relatedTarget))) details.hidden = true
})
fit()
