import { buildGraph, toDot, viewData } from '../dist/lib/graph.js'
import { htmlPage } from '../dist/lib/page.js'
import type { DiscoveredNamespace } from '../dist/lib/model.js'
const N = Number(process.argv[2] ?? 2000)
const ns: DiscoveredNamespace[] = []
let ino = 4026540000
const mk = (type: 'user' | 'pid', parent: number | null, owner: number | null, pid: number): DiscoveredNamespace => {
  const n = { type, ino: ino++, dev: 4, id: null, parent, children: [], owner, ownerUid: type === 'user' ? 0 : null, ownerName: type === 'user' ? 'root' : null, pid, process: 'sleep', processes: 3, pids: [pid, pid + 1, pid + 2], via: ['process'], fdHolders: [], bindMounts: [] } as unknown as DiscoveredNamespace
  ns.push(n); return n
}
const hu = mk('user', null, null, 1); const hp = mk('pid', null, hu.ino, 1)
for (let i = 0; i < N; i++) { const u = mk('user', hu.ino, hu.ino, 1000 + i * 5); const p = mk('pid', hp.ino, u.ino, 1001 + i * 5); mk('pid', p.ino, u.ino, 1002 + i * 5) }
const model = { namespaces: ns }
let t = performance.now()
const lap = (s: string) => { const n = performance.now(); console.log(s, (n - t).toFixed(0)); t = n }
const g = buildGraph(model); lap('buildGraph')
const dot = toDot(g); lap('toDot ' + dot.length)
const v = viewData(g); lap('viewData')
const html = htmlPage('<svg></svg>', g, 'x', v); lap('htmlPage ' + html.length)
