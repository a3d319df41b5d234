// graphns and its drawing functions, against a zoo of real namespaces made
// here, with ground truth read from /proc. The drawings of what discovery
// finds are checked under each scan. The HTML page is opened in a real
// browser (Debian's chromium, driven by playwright-core).
import test, { type ExecutionContext } from 'ava'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, fstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

import { XMLValidator } from 'fast-xml-parser'

import { discover, getParentns, renderHtml, renderPng, renderSvg, toDot, type NamespaceModel } from '../index.js'
import { browserTest, chromiumNote, withTab } from './helpers/browser.js'
import { isRoot, nsInode, startSleeper, stop, stopAll, userNamespaceChain } from './helpers/procs.js'
import { scanTest } from './helpers/scans.js'

const repo = dirname(dirname(fileURLToPath(import.meta.url)))
const graphns = join(repo, 'bin', 'graphns')
const artifacts = join(repo, '__test__', 'artifacts')

/** A namespace of the zoo, as /proc shows it. */
interface Expected {
  type: 'user' | 'pid'
  ino: number
  kind: 'process' | 'fd' | 'bind-mount' | 'hidden'
  label: string
  pid?: number
}

interface Zoo {
  namespaces: Expected[]
  /** `from -> to`: parent -> child, and pid -> owning user namespace. */
  parentEdges: string[]
  ownerEdges: string[]
  /** A PID namespace two levels down, its process, and the net namespace its user namespace owns. */
  deepPid: { ino: number; pid: number; ownerIno: number; netIno: number }
  fdOnly: { ino: number; holder: number }
  chainMiddle: { ino: number; pid: number }
  bindMount?: { dir: string; file: string }
}

const id = (type: string, ino: number): string => `${type}_${ino}`

async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 500 && existsSync(`/proc/${pid}`); i++) await sleep(10)
}

let zoo: Zoo

test.before(async () => {
  const hostUser = nsInode('self', 'user')
  const hostPid = nsInode('self', 'pid')
  const namespaces: Expected[] = []
  const parentEdges: string[] = []
  const ownerEdges: string[] = []
  const user = (ino: number, parent: number, kind: Expected['kind'], label: string, pid?: number): void => {
    namespaces.push({ type: 'user', ino, kind, label, pid })
    parentEdges.push(`${id('user', parent)} -> ${id('user', ino)}`)
  }

  // A chain of three user namespaces.
  const chain = await userNamespaceChain(3)
  let parent = hostUser
  for (const pid of chain) {
    const ino = nsInode(pid, 'user')
    user(ino, parent, 'process', `sleep (${pid})`, pid)
    parent = ino
  }

  // A user namespace that no process is in: the parent of the sleep's.
  const [hiddenChild] = (await startSleeper(['unshare', '-Ur', 'unshare', '-Ur', 'sleep', 'infinity'])).slice(-1)
  const hiddenChildIno = nsInode(hiddenChild!, 'user')
  const hidden = getParentns(`/proc/${hiddenChild}/ns/user`)
  const hiddenIno = fstatSync(hidden.fd).ino
  hidden.close()
  user(hiddenIno, hostUser, 'hidden', 'no process (hidden)')
  user(hiddenChildIno, hiddenIno, 'process', `sleep (${hiddenChild})`, hiddenChild)

  // Two nested PID namespaces (and a network namespace) owned by one user namespace.
  const pidChain = await startSleeper([
    'unshare', '-Ur', '--pid', '--net', '--fork', '--kill-child',
    'unshare', '--pid', '--fork', '--kill-child', 'sleep', 'infinity',
  ])
  const [outer, init, deep] = pidChain as [number, number, number]
  const pidOwner = nsInode(outer, 'user')
  const [p1, p2] = [nsInode(init, 'pid'), nsInode(deep, 'pid')]
  user(pidOwner, hostUser, 'process', `unshare (${outer})`, outer)
  namespaces.push({ type: 'pid', ino: p1, kind: 'process', label: `unshare (${init})`, pid: init })
  namespaces.push({ type: 'pid', ino: p2, kind: 'process', label: `sleep (${deep})`, pid: deep })
  parentEdges.push(`${id('pid', hostPid)} -> ${id('pid', p1)}`, `${id('pid', p1)} -> ${id('pid', p2)}`)
  ownerEdges.push(`${id('pid', p1)} -> ${id('user', pidOwner)}`, `${id('pid', p2)} -> ${id('user', pidOwner)}`)

  // A user namespace kept only by fd 3 of another process.
  const [lost] = await startSleeper(['unshare', '-Ur', 'sleep', 'infinity'])
  const lostIno = nsInode(lost!, 'user')
  const [holder] = (await startSleeper(['sh', '-c', `exec 3</proc/${lost}/ns/user; exec sleep infinity`])).slice(-1)
  stop(lost!)
  await gone(lost!)
  user(lostIno, hostUser, 'fd', `no process (held by fd 3 of pid ${holder})`)

  // As root: a user namespace kept only by a bind mount.
  let bindMount: Zoo['bindMount']
  if (isRoot) {
    const dir = mkdtempSync(join(tmpdir(), 'graphns-spec-'))
    const file = join(dir, 'userns')
    writeFileSync(file, '')
    const [kept] = await startSleeper(['unshare', '-Ur', 'sleep', 'infinity'])
    const mount = spawnSync('mount', ['--bind', `/proc/${kept}/ns/user`, file], { encoding: 'utf8' })
    if (mount.status !== 0) throw new Error(`mount --bind failed: ${mount.stderr}`)
    bindMount = { dir, file }
    user(nsInode(kept!, 'user'), hostUser, 'bind-mount', `no process (bind mount ${file})`)
    stop(kept!)
    await gone(kept!)
  }

  zoo = {
    namespaces,
    parentEdges,
    ownerEdges,
    deepPid: { ino: p2, pid: deep, ownerIno: pidOwner, netIno: nsInode(deep, 'net') },
    fdOnly: { ino: lostIno, holder: holder! },
    chainMiddle: { ino: nsInode(chain[1]!, 'user'), pid: chain[1]! },
    bindMount,
  }
  mkdirSync(artifacts, { recursive: true })
})

test.after.always(async () => {
  await stopAll()
  if (zoo?.bindMount) {
    spawnSync('umount', [zoo.bindMount.file])
    rmSync(zoo.bindMount.dir, { recursive: true, force: true })
  }
})

/** The zoo's namespaces and their ancestors and owners: what the drawings of the render tests show. */
function zooModel(model: NamespaceModel): NamespaceModel {
  const byIno = new Map(model.namespaces.map((ns) => [ns.ino, ns]))
  const keep = new Set<number>()
  const add = (ino: number | null): void => {
    const ns = ino === null ? undefined : byIno.get(ino)
    if (!ns || keep.has(ino!)) return
    keep.add(ns.ino)
    add(ns.parent)
    add(ns.owner)
  }
  for (const ns of zoo.namespaces) add(ns.ino)
  for (const ns of model.namespaces) if (ns.type !== 'user' && ns.type !== 'pid' && ns.owner === zoo.deepPid.ownerIno) keep.add(ns.ino)
  return { ...model, namespaces: model.namespaces.filter((ns) => keep.has(ns.ino)) }
}

interface Dot {
  nodes: Map<string, Record<string, string>>
  edges: { from: string; to: string; attrs: Record<string, string> }[]
}

/** The nodes and edges of DOT as toDot writes it: one statement a line. */
function parseDot(dot: string): Dot {
  const parseAttrs = (text: string): Record<string, string> => {
    const attrs: Record<string, string> = {}
    for (const m of text.matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([\w.]+))/g)) {
      attrs[m[1]!] = m[2] === undefined ? m[3]! : m[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1')
    }
    return attrs
  }
  const nodes: Dot['nodes'] = new Map()
  const edges: Dot['edges'] = []
  for (const line of dot.split('\n')) {
    const edge = /^\s*(\w+) -> (\w+) \[(.*)\]$/.exec(line)
    if (edge) {
      edges.push({ from: edge[1]!, to: edge[2]!, attrs: parseAttrs(edge[3]!) })
      continue
    }
    const node = /^\s*(\w+) \[(.*)\]$/.exec(line)
    if (node && !['graph', 'node', 'edge'].includes(node[1]!)) nodes.set(node[1]!, parseAttrs(node[2]!))
  }
  return { nodes, edges }
}

scanTest({}, 'the DOT has a node for each namespace of the zoo, styled by how it lives, and exactly its edges', (t, scan) => {
  const dot = parseDot(toDot(discover({ scan }), { expand: true }))
  for (const ns of zoo.namespaces) {
    const node = dot.nodes.get(id(ns.type, ns.ino))
    if (!node) return t.fail(`no node for ${ns.type}:[${ns.ino}]`)
    t.is(node.class, `ns ${ns.type} ${ns.kind}`, `${ns.type}:[${ns.ino}]`)
    const label = node.label!.split('\n')
    t.is(label[0], `${ns.type}:[${ns.ino}]`)
    t.is(label[1]?.replace(/, \d+ processes$/, ''), ns.label)
    t.regex(label[2]!, /^owner /)
  }
  const ids = new Set(zoo.namespaces.map((ns) => id(ns.type, ns.ino)))
  const touching = dot.edges.filter((e) => ids.has(e.from) || ids.has(e.to))
  // An ownership edge is written user -> pid with dir=back: it is drawn from the PID namespace.
  const owner = touching.filter((e) => e.attrs.class === 'owner')
  t.true(owner.every((e) => e.attrs.dir === 'back' && e.attrs.style === 'dashed'))
  t.deepEqual(owner.map((e) => `${e.to} -> ${e.from}`).sort(), [...zoo.ownerEdges].sort())
  const parent = touching.filter((e) => e.attrs.class === 'parent')
  t.deepEqual(parent.map((e) => `${e.from} -> ${e.to}`).sort(), [...zoo.parentEdges].sort())
  t.is(touching.length, owner.length + parent.length)
  // The legend's samples are no namespaces.
  t.true([...dot.nodes.keys()].some((k) => k.startsWith('legend_')))
  t.false(parseDot(toDot(discover({ scan }), { legend: false, expand: true })).nodes.has('legend_user'))
})

scanTest({}, 'with details, a user namespace lists the namespaces of other types it owns', (t, scan) => {
  const all = discover({ types: ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'], scan })
  const label = (dot: string): string => parseDot(dot).nodes.get(id('user', zoo.deepPid.ownerIno))!.label!
  t.regex(label(toDot(all, { details: true, expand: true })), new RegExp(`\nowns:\n(.*\n)*.*net:\\[${zoo.deepPid.netIno}\\]`))
  t.notRegex(label(toDot(all, { expand: true })), /owns:/)
  // Only user and PID namespaces become nodes.
  t.true([...parseDot(toDot(all, { details: true, expand: true })).nodes.keys()].every((k) => /^(user|pid|legend)_/.test(k)))
})

function checkSvg(t: ExecutionContext, svg: string): void {
  t.is(XMLValidator.validate(svg), true, 'well-formed XML')
  for (const ns of zoo.namespaces) {
    t.regex(svg, new RegExp(`<g id="${id(ns.type, ns.ino)}" data-type="${ns.type}" data-ino="${ns.ino}" class="node ns `))
  }
}

/** Width and height from a PNG's IHDR, after checking its signature. */
function pngSize(t: ExecutionContext, png: Buffer): { width: number; height: number } {
  t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature')
  t.is(png.toString('latin1', 12, 16), 'IHDR')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}

scanTest({}, 'the SVG is well-formed and has every namespace; the PNG decodes to a sensible size', async (t, scan) => {
  const svg = await renderSvg(zooModel(discover({ scan })), { expand: true })
  checkSvg(t, svg)
  const { width, height } = pngSize(t, await renderPng(svg))
  t.true(width >= 400 && width <= 16384, `width ${width}`)
  t.true(height >= 100 && height <= 16384, `height ${height}`)
  const small = pngSize(t, await renderPng(svg, { maxSize: 300 }))
  t.true(Math.max(small.width, small.height) <= 300)
  // From DOT text too.
  t.regex(await renderSvg('digraph { a -> b }'), /<svg[\s>]/)
})

browserTest(`the HTML page in chromium: every node, search by inode and by pid, details on hover${chromiumNote}`, async (t) => {
  const page = join(artifacts, 'graph.html')
  writeFileSync(page, await renderHtml(zooModel(discover()), { title: 'graph.spec zoo', expand: true }))
  await withTab(async (tab, { errors, fetched }) => {
    await tab.goto(`file://${page}`)
    for (const ns of zoo.namespaces) t.is(await tab.locator(`g.node[data-ino="${ns.ino}"]`).count(), 1, `${ns.type}:[${ns.ino}]`)

    const node = (ino: number) => tab.locator(`g.node[data-ino="${ino}"]`)
    const inView = async (ino: number): Promise<boolean> => {
      const box = await node(ino).boundingBox()
      return box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= 1280 && box.y + box.height <= 800
    }
    // By inode: that one node is the current match, and brought into view.
    await tab.fill('#search', String(zoo.fdOnly.ino))
    t.is(await tab.locator('g.node.hit').count(), 1)
    t.regex((await node(zoo.fdOnly.ino).getAttribute('class')) ?? '', /\bhit\b.*\bcurrent\b|\bcurrent\b.*\bhit\b/)
    t.true(await inView(zoo.fdOnly.ino))
    t.regex((await tab.textContent('#status')) ?? '', new RegExp(`1 of 1: user:\\[${zoo.fdOnly.ino}\\]`))

    // Hovering it shows its details.
    await node(zoo.fdOnly.ino).hover()
    const details = tab.locator('#details')
    t.true(await details.isVisible())
    const text = (await details.textContent()) ?? ''
    t.true(text.includes(`user:[${zoo.fdOnly.ino}]`), text)
    t.true(text.includes(`fd 3 of pid ${zoo.fdOnly.holder}`), text)
    t.regex(text, /found via.*fd/)
    t.regex(text, /processes0/)
    await tab.screenshot({ path: join(artifacts, 'graph-search-inode.png') })

    // By pid: the user and the PID namespace that the process is in.
    await tab.fill('#search', String(zoo.deepPid.pid))
    const hits = await tab.locator('g.node.hit').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ino'))))
    t.deepEqual(hits.sort(), [zoo.deepPid.ino, zoo.deepPid.ownerIno].sort())
    await tab.keyboard.press('Enter')
    await tab.keyboard.press('Enter')
    t.is(await tab.locator('g.node.current').count(), 1)
    t.true(await inView(Number(await tab.locator('g.node.current').getAttribute('data-ino'))))
    await node(zoo.deepPid.ino).hover()
    t.true(((await details.textContent()) ?? '').includes(`sleep (${zoo.deepPid.pid})`))

    // By process name, and a miss.
    await tab.fill('#search', 'SLEEP')
    t.true((await tab.locator('g.node.hit').count()) >= zoo.namespaces.filter((ns) => /^sleep /.test(ns.label)).length)
    await tab.fill('#search', '999999999999')
    t.is(await tab.locator('g.node.hit').count(), 0)
    t.is(await tab.textContent('#status'), 'no match')

    // The wheel zooms, a drag pans.
    await tab.fill('#search', '')
    // Page code as strings: the specs are type-checked without the DOM's types.
    const transform = () => tab.evaluate<string>(`document.getElementById('canvas').style.transform`)
    const before = await transform()
    await tab.mouse.move(640, 400)
    await tab.mouse.wheel(0, -400)
    await tab.waitForFunction(`document.getElementById('canvas').style.transform !== ${JSON.stringify(before)}`)
    const zoomed = await transform()
    t.not(zoomed, before)
    await tab.mouse.down()
    await tab.mouse.move(540, 300, { steps: 4 })
    await tab.mouse.up()
    t.not(await transform(), zoomed)

    await tab.fill('#search', String(zoo.chainMiddle.ino))
    await tab.screenshot({ path: join(artifacts, 'graph-page.png') })
    t.deepEqual(fetched, [], 'the page fetches nothing')
    t.deepEqual(errors, [])
  })
})

// ---------------------------------------------------------------- the CLI

function run(args: string[], env: NodeJS.ProcessEnv = process.env, cwd = repo) {
  const r = spawnSync(process.execPath, [graphns, ...args], { cwd, env, maxBuffer: 1 << 30 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() }
}

test('graphns -o FILE writes the format its extension names', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'graphns-out-'))
  try {
    for (const ext of ['svg', 'png', 'html', 'dot']) {
      const file = join(dir, `x.${ext}`)
      const r = run(['--expand', '-o', file])
      t.is(r.status, 0, r.stderr)
      t.is(r.stdout.length, 0)
      const data = readFileSync(file)
      if (ext === 'svg') checkSvg(t, data.toString())
      if (ext === 'png') t.true(pngSize(t, data).width > 0)
      if (ext === 'html') {
        t.true(data.toString().startsWith('<!DOCTYPE html>'))
        t.regex(data.toString(), new RegExp(`data-ino="${zoo.fdOnly.ino}"`))
      }
      if (ext === 'dot') t.true(parseDot(data.toString()).nodes.has(id('user', zoo.fdOnly.ino)))
    }
    // --format names the format of a file whose extension names none; where both name one, they must agree.
    const r = run(['-o', join(dir, 'y.gv'), '--format', 'dot'])
    t.is(r.status, 0, r.stderr)
    t.true(readFileSync(join(dir, 'y.gv'), 'utf8').startsWith('digraph'))
    const clash = run(['-o', join(dir, 'z.svg'), '--format', 'png'])
    t.is(clash.status, 2)
    t.regex(clash.stderr, /^graphns: options '--format=png' and '--output=.*z\.svg' name two formats/)
    t.false(existsSync(join(dir, 'z.svg')))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('graphns writes SVG to stdout by default, and --format chooses another', (t) => {
  const svg = run(['-e'])
  t.is(svg.status, 0, svg.stderr)
  checkSvg(t, svg.stdout.toString())
  const dot = run(['--format', 'dot', '-d'])
  t.is(dot.status, 0)
  t.true(dot.stdout.toString().startsWith('digraph'))
  t.regex(dot.stdout.toString(), /\\nowns:\\n/)
  const png = run(['--format=png'])
  t.is(png.status, 0)
  pngSize(t, png.stdout)
  const html = run(['--format', 'html', '--expand'])
  t.true(html.stdout.toString().startsWith('<!DOCTYPE html>'))
  if (!isRoot) t.regex(svg.stderr, /note: not running as root/)
})

test('graphns prints its timings with LINUXNS_REL_TIMING=1', (t) => {
  const r = run(['--format', 'svg'], { ...process.env, LINUXNS_REL_TIMING: '1' })
  t.is(r.status, 0)
  for (const phase of ['discover', 'graph', 'load graphviz', 'layout', 'write']) t.regex(r.stderr, new RegExp(`timing: ${phase}.* ms`))
})

test('graphns: bad usage exits with 2, -h and -V with 0', (t) => {
  for (const args of [['--bogus'], ['-o', 'x.gif'], ['--format', 'gif'], ['--json'], ['--open', '-o', 'x.html'], ['extra'], ['-o']]) {
    const r = run(args)
    t.is(r.status, 2, args.join(' '))
    t.regex(r.stderr, /^graphns: .*\nUsage: graphns /, args.join(' '))
    t.is(r.stdout.length, 0)
  }
  const help = run(['-h'])
  t.is(help.status, 0)
  t.regex(help.stdout.toString(), /^Usage: graphns .*\n[\s\S]*--format[\s\S]*--open[\s\S]*Exit status/)
  const version = run(['-V'])
  t.is(version.status, 0)
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }
  t.is(version.stdout.toString(), `graphns (linuxns-rel) ${pkg.version}\n`)
})

test('graphns refuses to write PNG to a terminal', (t) => {
  if (spawnSync('script', ['--version']).status !== 0) return t.fail('script (util-linux) is missing')
  // script(1) gives the command a terminal for its stdout.
  const r = spawnSync('script', ['-qec', `${process.execPath} ${graphns} --format png`, '/dev/null'], { encoding: 'latin1' })
  t.is(r.status, 2)
  t.regex(r.stdout, /will not write PNG to a terminal/)
  t.false(r.stdout.includes('PNG\r\n'))
})

test('graphns --open writes the page and hands it to xdg-open, or prints its path', async (t) => {
  const bin = mkdtempSync(join(tmpdir(), 'graphns-opener-'))
  const record = join(bin, 'opened')
  try {
    const noOpener = run(['--open'], { ...process.env, PATH: bin })
    t.is(noOpener.status, 0, noOpener.stderr)
    const page = noOpener.stdout.toString().trim()
    t.true(readFileSync(page, 'utf8').startsWith('<!DOCTYPE html>'))
    rmSync(dirname(page), { recursive: true })

    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" > ${record}\n`)
    chmodSync(join(bin, 'xdg-open'), 0o755)
    const opened = run(['--open', '--expand'], { ...process.env, PATH: `${bin}:/usr/bin:/bin` })
    t.is(opened.status, 0, opened.stderr)
    const path = opened.stdout.toString().trim()
    for (let i = 0; i < 500 && !existsSync(record); i++) await sleep(10)
    t.is(readFileSync(record, 'utf8').trim(), path)
    t.regex(readFileSync(path, 'utf8'), new RegExp(`data-ino="${zoo.chainMiddle.ino}"`))
    rmSync(dirname(path), { recursive: true })
  } finally {
    rmSync(bin, { recursive: true, force: true })
  }
})

test('the bin entry is an executable script like the other tools', (t) => {
  const text = readFileSync(graphns, 'utf8')
  t.true(text.startsWith('#!/usr/bin/env node\n'))
  const r = spawnSync(graphns, ['-V'], { encoding: 'utf8' })
  t.is(r.status, 0, r.stderr)
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { bin: Record<string, string> }
  t.is(pkg.bin.graphns, 'bin/graphns')
})
