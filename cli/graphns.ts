// graphns: a picture of the user and PID namespace hierarchies, as SVG, PNG,
// a self-contained HTML page or DOT, drawn in-process (no Graphviz install).
import { spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { delimiter, extname, join } from 'node:path'

import { buildGraph, toDot, viewData } from '../lib/graph.js'
import { GROUP_AT } from '../lib/group.js'
import { htmlPage } from '../lib/page.js'
import { loadGraphviz, renderPng, renderSvg } from '../lib/render.js'
import { viewDot } from '../lib/view.js'
import { HELP_HELP, SCAN_HELP, SCAN_OPTIONS, UsageError, library, notRootNote, parseOptions, runTool, scanOption, version } from './common.js'

const NAME = 'graphns'
const FORMATS = ['svg', 'png', 'html', 'dot'] as const
type Format = (typeof FORMATS)[number]

const USAGE = `Usage: ${NAME} [-d] [-e] [-o FILE] [--format svg|png|html|dot] [--open] [--scan=HOW]\n`

const HELP = `${USAGE}
Draw the user and PID namespace hierarchies of this machine: a node for each
namespace, including those no process is in any more (hidden ancestors, and
namespaces kept only by an open file descriptor or a bind mount, each drawn
in its own style), parent-to-child edges, and a dashed edge from each PID
namespace to the user namespace that owns it. Graphviz runs inside the tool
(WebAssembly); nothing else needs installing. Run as root to see all.

Where ${GROUP_AT} or more sibling namespaces are alike (same type, subtrees of the
same shape, a process in each, the same owner), they are drawn as one node
\`N × TYPE ns\` that says what they share: the overview, in every format. The
page expands a group on a click, and its search finds any namespace inside
one. A namespace that stands out (hidden, pending, kept by a descriptor or a
bind mount, another owner) is never folded.

  -d, --details         under each user namespace, list the namespaces of other types it owns
  -e, --expand          draw every namespace: fold no group (slow past a few thousand)
  -o, --output=FILE     write to FILE; its extension (.svg, .png, .html, .dot) gives the format
      --format=FORMAT   svg (the default), png, html (a page with pan, zoom and search) or dot
      --open            write the HTML page to a temporary file and open it with xdg-open
                        where there is one; print the file's path
${SCAN_HELP}
${HELP_HELP}

Set LINUXNS_REL_TIMING=1 to print the time of each phase to stderr.

Exit status: 0 on success, 1 on failure, 2 on bad usage.
`

const OPTIONS = {
  ...SCAN_OPTIONS,
  details: { type: 'boolean', short: 'd' },
  expand: { type: 'boolean', short: 'e' },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  open: { type: 'boolean' },
} as const

function isFormat(text: string): text is Format {
  return (FORMATS as readonly string[]).includes(text)
}

/** The format --format names, or -o's extension; both must agree where both name one. */
function chooseFormat(format: string | undefined, output: string | undefined): Format {
  if (format !== undefined && !isFormat(format)) throw new UsageError(`option '--format' must be svg, png, html or dot, not '${format}'`)
  const ext = output === undefined ? undefined : extname(output).slice(1).toLowerCase()
  const named = ext !== undefined && isFormat(ext) ? ext : undefined
  if (format !== undefined && named !== undefined && named !== format) {
    throw new UsageError(`options '--format=${format}' and '--output=${output}' name two formats: give one, or make them agree`)
  }
  if (format !== undefined) return format
  if (output === undefined) return 'svg'
  if (named !== undefined) return named
  throw new UsageError(`cannot tell the format from '${output}': name it .svg, .png, .html or .dot, or give --format`)
}

/** The path of `command` on PATH, if it is there. */
function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, command), constants.X_OK)
      return join(dir, command)
    } catch {}
  }
  return undefined
}

function timer(): (phase: string) => void {
  const on = process.env.LINUXNS_REL_TIMING === '1'
  let last = performance.now()
  return (phase) => {
    const now = performance.now()
    if (on) process.stderr.write(`${NAME}: timing: ${phase} ${(now - last).toFixed(0)} ms\n`)
    last = now
  }
}

async function main(argv: string[]): Promise<string | Buffer> {
  const values = parseOptions(argv, OPTIONS)
  if (values.help) return HELP
  if (values.version) return `${NAME} (linuxns-rel) ${version()}\n`
  if (values.open && (values.output !== undefined || values.format !== undefined)) {
    throw new UsageError("option '--open' writes its own HTML file: leave out -o and --format")
  }
  if (values.output === '') throw new UsageError("option '--output' needs a file name")
  const format = values.open ? 'html' : chooseFormat(values.format, values.output)
  if (format === 'png' && values.output === undefined && process.stdout.isTTY) {
    throw new UsageError('will not write PNG to a terminal: give -o FILE.png or redirect stdout')
  }

  const lap = timer()
  const options = { details: values.details === true, expand: values.expand === true }
  const { NSTYPE_NAMES, discoverAsync } = await library()
  // Graphviz's WebAssembly compiles while discovery runs on another thread.
  const graphviz = format === 'dot' ? undefined : loadGraphviz()
  const model = await discoverAsync({ types: options.details ? NSTYPE_NAMES : ['user', 'pid'], scan: scanOption(values) })
  notRootNote(NAME)
  lap(`discover (${model.namespaces.length} namespaces)`)
  const graph = buildGraph(model, options)
  const view = graph.groups.length > 0 ? viewData(graph, options) : null
  let output: string | Buffer = view === null ? toDot(graph, options) : viewDot(view, new Set())
  lap(`graph (${graph.nodes.length} nodes, ${graph.edges.length} edges, ${graph.groups.length} groups)`)
  if (graphviz !== undefined) {
    await graphviz
    lap('load graphviz')
    const svg = await renderSvg(output)
    lap('layout')
    output = format === 'png' ? await renderPng(svg) : format === 'html' ? htmlPage(svg, graph, `Linux namespaces on ${hostname()}`, view) : svg
    if (format === 'png' || format === 'html') lap(format)
  }

  let stdout: string | Buffer = ''
  if (values.open) {
    const file = join(mkdtempSync(join(tmpdir(), 'graphns-')), 'namespaces.html')
    writeFileSync(file, output)
    const opener = onPath('xdg-open')
    if (opener !== undefined) spawn(opener, [file], { detached: true, stdio: 'ignore' }).unref()
    stdout = `${file}\n`
  } else if (values.output !== undefined) {
    writeFileSync(values.output, output)
  } else {
    stdout = output
  }
  lap('write')
  return stdout
}

/** Entry point of bin/graphns. */
export function runGraphTool(): void {
  runTool(NAME, USAGE, main)
}
