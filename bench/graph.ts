// npm run bench:graph [-- N/M ...]: graphns as whole processes on scenes of
// N processes in M user namespaces (default 2000/500 and 10000/2000), next
// to lsallns, which discovers everything too: `graphns -o x.svg`,
// `graphns -o x.html` (with the time of each phase as graphns reports it,
// LINUXNS_REL_TIMING=1) and, once at the smaller scenes, `graphns --expand -o x.svg`;
// then the page in Debian's chromium (playwright-core): its first view, and
// the largest group expanded by a click. Prints medians; asserts nothing
// about time. Ends only the processes it started.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { ROUNDS, median, scenesFromArgs, startScene } from './scene.js'

const repo = dirname(dirname(fileURLToPath(import.meta.url)))
const CHROMIUM = '/usr/bin/chromium'
const bin = (tool: string): string => join(repo, 'bin', tool)
// A timed tool loads no extra CA certificates: nothing here uses the network.
const env = { ...process.env, NODE_EXTRA_CA_CERTS: undefined, LINUXNS_REL_TIMING: '1' }

const scenes = scenesFromArgs(['2000/500', '10000/2000'])

/** Median wall time of a whole process, and the medians of the phases graphns reports. */
function time(argv: string[], rounds = ROUNDS): { ms: number; phases: Map<string, number>; counts: string } {
  const wall: number[] = []
  const phases = new Map<string, number[]>()
  let counts = ''
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint()
    const run = spawnSync(process.execPath, argv, { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
    wall.push(Number(process.hrtime.bigint() - start) / 1e6)
    if (run.status !== 0) throw new Error(`${argv.join(' ')} exited with ${run.status ?? run.signal}: ${run.stderr}`)
    for (const m of run.stderr.matchAll(/timing: ([a-z ]+?)(?: \((.*)\))? (\d+) ms/g)) {
      phases.set(m[1]!, [...(phases.get(m[1]!) ?? []), Number(m[3])])
      if (m[1] === 'graph') counts = m[2] ?? ''
    }
  }
  return { ms: median(wall), phases: new Map([...phases].map(([k, v]) => [k, median(v)])), counts }
}

/** The page's first view (navigation to the fitted overview) and one click on its largest group, in chromium. */
async function browse(page: string): Promise<{ first: number; expand: number | null; group: string }> {
  const { chromium } = await import('playwright-core')
  const profile = mkdtempSync(join(tmpdir(), 'bench-graph-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  try {
    const first: number[] = []
    const expand: number[] = []
    let group = ''
    for (let round = 0; round < ROUNDS; round++) {
      const tab = await context.newPage()
      const start = performance.now()
      await tab.goto(`file://${page}`, { waitUntil: 'commit' })
      await tab.waitForSelector('body[data-ready]', { state: 'attached', timeout: 120_000 })
      // The first frame painted after the fit.
      await tab.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))')
      first.push(performance.now() - start)
      // The group with the most members (its label's first line is `N × TYPE ns`).
      const largest = await tab.evaluate<string | null>(`(() => {
        const groups = JSON.parse(document.getElementById('ns-data').textContent).groups
        const ids = Object.keys(groups).sort((a, b) => parseInt(groups[b][0]) - parseInt(groups[a][0]))
        return ids[0] ?? null
      })()`)
      if (largest !== null) {
        group = (await tab.evaluate<string>(`JSON.parse(document.getElementById('ns-data').textContent).groups[${JSON.stringify(largest)}][0]`))
        const clicked = performance.now()
        await tab.locator(`g.node[data-group="${largest}"]`).click()
        await tab.waitForSelector('body[data-views="1"]', { state: 'attached', timeout: 120_000 })
        await tab.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))')
        expand.push(performance.now() - clicked)
      }
      await tab.close()
    }
    return { first: median(first), expand: expand.length > 0 ? median(expand) : null, group }
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

const ms = (n: number): string => `${n.toFixed(0).padStart(7)} ms`

if (process.geteuid?.() !== 0) console.log('note: not root; graphns sees only your own processes')
const dir = mkdtempSync(join(tmpdir(), 'bench-graph-'))
const svg = join(dir, 'x.svg')
const html = join(dir, 'x.html')

try {
  for (const [n, m] of scenes) {
    const scene = await startScene(n, m)
    try {
      const lsallns = time([bin('lsallns')])
      const overview = time([bin('graphns'), '-o', svg])
      const svgSize = statSync(svg).size
      const page = time([bin('graphns'), '-o', html])
      const htmlSize = statSync(html).size
      const load = loadavg().map((l) => l.toFixed(2)).join(' ')
      console.log(`\n${scene.processes} processes in ${m} user namespaces; graph: ${page.counts}; median of ${ROUNDS}; load average ${load}`)
      console.log(`  lsallns                     ${ms(lsallns.ms)}`)
      console.log(`  graphns -o x.svg            ${ms(overview.ms)}   ${(svgSize / 1e6).toFixed(2)} MB`)
      console.log(`  graphns -o x.html           ${ms(page.ms)}   ${(htmlSize / 1e6).toFixed(2)} MB   ${(page.ms / lsallns.ms).toFixed(2)}x lsallns (goal <= 3x)`)
      console.log(`    phases: ${[...page.phases].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')} ms`)
      if (n <= 2000) {
        // Once: it lays out every namespace.
        const all = time([bin('graphns'), '--expand', '-o', svg], 1)
        console.log(`  graphns --expand -o x.svg   ${ms(all.ms)}   ${(statSync(svg).size / 1e6).toFixed(2)} MB (one run)`)
      }
      if (existsSync(CHROMIUM)) {
        const b = await browse(html)
        console.log(`  chromium: first view        ${ms(b.first)}   (goal <= 2000 ms)`)
        if (b.expand !== null) console.log(`  chromium: expand ${b.group.padEnd(11)}${ms(b.expand)}`)
      } else {
        console.log(`  chromium: ${CHROMIUM} is missing; the page's times are not measured`)
      }
    } finally {
      await scene.end()
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
