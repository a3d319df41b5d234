// graphns at scale, on real scenes made once for this file: the benchmark's
// 10,000 processes (2,000 user namespaces, each owning a PID namespace with
// one more inside), and 300 sibling PID namespaces in one user namespace,
// one of which only a descriptor keeps (it stands out). Ground truth from
// /proc. The page is opened in Debian's chromium (playwright-core).
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

import { startScene, startSiblingScene, type Scene, type SiblingScene } from '../bench/scene.js'
import { GROUP_AT } from '../index.js'
import type { PageData } from '../lib/page-data.js'
import { VIEWPORT, browserTest, chromiumNote, withTab } from './helpers/browser.js'
import { childPids, nsInode, startSleeper, stopAll } from './helpers/procs.js'

const repo = dirname(dirname(fileURLToPath(import.meta.url)))
const graphns = join(repo, 'bin', 'graphns')
const artifacts = join(repo, '__test__', 'artifacts')
const page = join(artifacts, 'graph-scale.html')
const SETUP_MS = 10 * 60_000

let big: Scene | undefined
let siblings: SiblingScene | undefined

/** What /proc says of the scenes. */
interface Truth {
  /** The big scene's user namespaces, and the PID namespaces below ours in each (outer, inner). */
  users: number[]
  outerPids: number[]
  innerPids: number[]
  /** The sibling PID namespaces that have their process, and the one only fd 3 of `holder` keeps. */
  siblingPids: number[]
  fdOnly: number
  holder: number
}
let truth: Truth

function graph(args: string[]): string {
  const r = spawnSync(process.execPath, [graphns, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 })
  if (r.status !== 0) throw new Error(`graphns ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** The PID namespaces of a process and all below it, but ours. */
function pidNamespacesBelow(pid: number, host: number): Set<number> {
  const found = new Set<number>()
  const stack = [pid]
  while (stack.length > 0) {
    const p = stack.pop()!
    const ino = nsInode(p, 'pid')
    if (ino !== host) found.add(ino)
    stack.push(...childPids(p))
  }
  return found
}

test.before(async (t) => {
  t.timeout(SETUP_MS)
  mkdirSync(artifacts, { recursive: true })
  big = await startScene(10000, 2000)
  siblings = await startSiblingScene(300)
  const host = nsInode('self', 'pid')
  const users = big.pids.map((p) => nsInode(p, 'user'))
  const outerPids: number[] = []
  const innerPids: number[] = []
  for (const p of big.pids) {
    // The outer unshare's child is the PID namespace's init; the inner namespace is below it.
    const [init] = childPids(p)
    const outer = nsInode(init!, 'pid')
    outerPids.push(outer)
    innerPids.push(...[...pidNamespacesBelow(p, host)].filter((ino) => ino !== outer))
  }
  // One sibling loses its only process; fd 3 of another keeps its namespace.
  const gone = siblings.pids[siblings.pids.length - 1]!
  const fdOnly = nsInode(gone, 'pid')
  const [holder] = (await startSleeper(['sh', '-c', `exec 3</proc/${gone}/ns/pid; exec sleep infinity`])).slice(-1)
  process.kill(gone, 'SIGKILL')
  for (let i = 0; i < 500 && existsSync(`/proc/${gone}`); i++) await sleep(10)
  truth = {
    users,
    outerPids,
    innerPids,
    siblingPids: siblings.pids.slice(0, -1).map((p) => nsInode(p, 'pid')),
    fdOnly,
    holder: holder!,
  }
  graph(['-o', page])
})

test.after.always(async () => {
  await stopAll()
  await siblings?.end()
  await big?.end()
})

/** The page's own data: what graphns found, and its groups. */
function pageData(): PageData {
  const html = readFileSync(page, 'utf8')
  const json = /<script type="application\/json" id="ns-data">(.*?)<\/script>/s.exec(html)![1]!
  return JSON.parse(json) as PageData
}

/** The node ids of a DOT's namespace and group nodes, with their labels. */
function dotNodes(dot: string): Map<string, string> {
  const nodes = new Map<string, string>()
  for (const m of dot.matchAll(/^\s*((?:user|pid|group_user|group_pid)_\d+) \[.*?label="((?:[^"\\]|\\.)*)"/gm)) nodes.set(m[1]!, m[2]!)
  return nodes
}

test('the scenes are there as /proc shows them', (t) => {
  t.is(truth.users.length, 2000)
  t.is(new Set(truth.outerPids).size, 2000)
  t.is(new Set(truth.innerPids).size, 2000)
  t.is(new Set(truth.siblingPids).size, 299)
})

test('the overview folds each scene into groups that say what their members share; what stands out stays drawn', (t) => {
  const nodes = dotNodes(graph(['--format', 'dot']))
  const groups = [...nodes].filter(([id]) => id.startsWith('group_'))
  // Other alike namespaces on the machine may join a group, or make one: the largest that fits holds at least the scene's members.
  const largest = (re: RegExp): number => Math.max(0, ...groups.filter(([, l]) => re.test(l)).map(([, l]) => Number(/^(\d+) × /.exec(l)?.[1])))
  const each = '(\\d+|\\d+ to \\d+) process(es)? each'
  // The scene's user namespaces are made by this process: their owner is this user.
  const me = userInfo()
  const owner = `owner ${me.username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${me.uid}\\)`
  t.true(largest(new RegExp(` × user ns\\\\n${each}\\\\n${owner}$`)) >= 2000, groups.join('\n'))
  const owned = 'owned by (user:\\[\\d+\\]|members of \\d+ × user ns)'
  t.true(largest(new RegExp(` × pid ns\\\\n${each}\\\\neach with 1 pid ns below\\\\n${owned}\\\\n`)) >= 2000, groups.join('\n'))
  t.true(largest(new RegExp(` × pid ns\\\\n${each}\\\\n${owned}\\\\n`)) >= 299, groups.join('\n'))
  for (const ino of [...truth.users.map((i) => `user_${i}`), ...[...truth.outerPids, ...truth.innerPids, ...truth.siblingPids].map((i) => `pid_${i}`)]) {
    if (nodes.has(ino)) return t.fail(`${ino} is drawn on its own`)
  }
  t.true(nodes.has(`pid_${truth.fdOnly}`), 'the PID namespace kept only by a descriptor is drawn')
  t.true(nodes.size < 200, `${nodes.size} nodes`)
  t.true(GROUP_AT <= 299)
})

test('--expand draws every namespace of the scenes, and no group', (t) => {
  const nodes = dotNodes(graph(['--format', 'dot', '--expand']))
  t.false([...nodes.keys()].some((id) => id.startsWith('group_')))
  const missing = [...truth.users.map((i) => `user_${i}`), ...[...truth.outerPids, ...truth.innerPids, ...truth.siblingPids, truth.fdOnly].map((i) => `pid_${i}`)]
    .filter((id) => !nodes.has(id))
  t.deepEqual(missing, [])
})

test("the page's groups hold the scenes' namespaces; every member and all below it has a process", (t) => {
  const data = pageData()
  t.truthy(data.view)
  const groupOf = new Map<string, string>()
  for (const [id, g] of Object.entries(data.view!.groups)) for (const m of g.members) groupOf.set(m, id)
  const same = (ids: string[]): Set<string | undefined> => new Set(ids.map((id) => groupOf.get(id)))
  t.deepEqual([...same(truth.users.map((i) => `user_${i}`))].length, 1)
  t.false(same(truth.users.map((i) => `user_${i}`)).has(undefined))
  t.deepEqual([...same(truth.outerPids.map((i) => `pid_${i}`))].length, 1)
  t.false(same(truth.outerPids.map((i) => `pid_${i}`)).has(undefined))
  t.deepEqual([...same(truth.siblingPids.map((i) => `pid_${i}`))].length, 1)
  t.false(same(truth.siblingPids.map((i) => `pid_${i}`)).has(undefined))
  // The inner PID namespaces go with their parents, members of no group themselves.
  t.false(truth.innerPids.some((i) => groupOf.has(`pid_${i}`)))
  t.false(groupOf.has(`pid_${truth.fdOnly}`))
  const byId = new Map(Object.values(data.nodes).map((n) => [n.id, n]))
  const kids = new Map<string, string[]>()
  for (const [child, parent] of Object.entries(data.view!.parent)) kids.set(parent, [...(kids.get(parent) ?? []), child])
  const notProcess: string[] = []
  const visit = (id: string): void => {
    if (byId.get(id)?.kind !== 'process') notProcess.push(id)
    for (const kid of kids.get(id) ?? []) visit(kid)
  }
  for (const id of groupOf.keys()) visit(id)
  t.deepEqual(notProcess, [])
})

browserTest(`the page in chromium: a readable overview, search expands the group that holds a namespace, and every namespace is reachable${chromiumNote}`, async (t) => {
  t.timeout(SETUP_MS)
  const data = pageData()
  await withTab(async (tab, { errors, fetched }) => {
    await tab.goto(`file://${page}`)
    await tab.waitForSelector('body[data-ready]', { state: 'attached' })
    // Until an expression is true in the page. (waitForFunction evaluates its text with eval, which the page's CSP forbids.)
    const until = async (expression: string): Promise<void> => {
      for (let waited = 0; !(await tab.evaluate<boolean>(expression)); waited += 50) {
        if (waited > SETUP_MS) throw new Error(`the page never had ${expression}`)
        await sleep(50)
      }
    }
    // Runs `act` and waits until the page has drawn the view it asked for.
    const redrawn = async (act: () => Promise<unknown>): Promise<void> => {
      const before = await tab.evaluate<number>(`Number(document.body.dataset.views ?? 0)`)
      await act()
      await until(`Number(document.body.dataset.views ?? 0) > ${before} && !('busy' in document.body.dataset)`)
    }

    // The fit view: the whole drawing in the window, and every label at least 8 px high.
    await tab.screenshot({ path: join(artifacts, 'graph-scale-overview.png') })
    const heights = await tab.evaluate<number[]>(`[...document.querySelectorAll('#canvas g.node text')].map((e) => e.getBoundingClientRect().height)`)
    t.true(heights.length > 10)
    t.true(Math.min(...heights) >= 8, `smallest label ${Math.min(...heights)} px`)
    const box = await tab.locator('#canvas svg').boundingBox()
    t.true(box !== null && box.x >= 0 && box.x + box.width <= VIEWPORT.width + 1 && box.y + box.height <= VIEWPORT.height + 1, JSON.stringify(box))

    const inView = async (selector: string): Promise<boolean> => {
      const b = await tab.locator(selector).boundingBox()
      return b !== null && b.x >= 0 && b.y >= 0 && b.x + b.width <= VIEWPORT.width && b.y + b.height <= VIEWPORT.height
    }
    // By inode: an inner PID namespace, below a member of a folded group.
    const inner = truth.innerPids[1234]!
    t.is(await tab.locator(`g.node[data-ino="${inner}"]`).count(), 0)
    await redrawn(() => tab.fill('#search', String(inner)))
    await tab.waitForSelector(`g.node.current[data-ino="${inner}"]`)
    t.true(await inView(`g.node[data-ino="${inner}"]`))
    t.is(await tab.textContent('#status'), `1 of 1: pid:[${inner}]`)
    await tab.screenshot({ path: join(artifacts, 'graph-scale-search.png') })

    // By pid: the sibling's sleep is in its PID namespace (folded) and in the one user namespace (drawn).
    const sibling = siblings!.pids[7]!
    const siblingPid = nsInode(sibling, 'pid')
    await redrawn(() => tab.fill('#search', `pid:[${siblingPid}]`))
    await tab.waitForSelector(`g.node.current[data-ino="${siblingPid}"]`)
    await tab.fill('#search', String(sibling))
    await until(`/^1 of 2: (user|pid):\\[\\d+\\]$/.test(document.getElementById('status').textContent)`)
    const status = (await tab.textContent('#status')) ?? ''
    await tab.keyboard.press('Enter')
    await until(`/^2 of 2: /.test(document.getElementById('status').textContent)`)
    const found = await tab.locator('g.node.current').getAttribute('data-ino')
    t.deepEqual([Number(found), Number(/\[(\d+)\]/.exec(status)![1])].sort(), [nsInode(sibling, 'user'), siblingPid].sort())

    // By process name: every sleep, the first brought into view.
    await tab.fill('#search', 'SLEEP')
    await until(`/^1 of \\d+: /.test(document.getElementById('status').textContent)`)
    const total = Number(/^1 of (\d+)/.exec((await tab.textContent('#status')) ?? '')?.[1])
    t.true(total >= 2000 + 299, `${total} matches`)
    t.true(await inView('g.node.current'))

    // Every group expanded, one click each: every namespace of the page's model is drawn, the scenes' too.
    await tab.fill('#search', '')
    for (let left = await tab.locator('g.node[data-group]').count(); left > 0; left = await tab.locator('g.node[data-group]').count()) {
      // A click event on the node: it may lie outside the window.
      await redrawn(() => tab.locator('g.node[data-group]').first().dispatchEvent('click'))
    }
    const drawn = new Set(await tab.locator('g.node[data-ino]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ino')))))
    const model = Object.keys(data.nodes).map(Number)
    t.deepEqual(model.filter((ino) => !drawn.has(ino)), [])
    const scene = [...truth.users, ...truth.outerPids, ...truth.innerPids, ...truth.siblingPids, truth.fdOnly]
    t.deepEqual(scene.filter((ino) => !drawn.has(ino)), [])
    t.deepEqual(fetched, [], 'the page fetches nothing')
    t.deepEqual(errors, [])
  })
})
