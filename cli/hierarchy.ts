// lsuserns and lspidns: the tree of user or PID namespaces, one namespace a line.

import type { DiscoveredNamespace, NstypeName } from 'linuxns-rel'

import { byOwner, containersText, holderOf, holderText, nsName, processText, uidText } from '../lib/labels.js'
import {
  COLOUR_HELP,
  COLOUR_OPTIONS,
  CONTAINER_HELP,
  CONTAINER_OPTIONS,
  HELP_HELP,
  JSON_HELP,
  JSON_OPTIONS,
  SCAN_HELP,
  SCAN_OPTIONS,
  colours,
  containerNotes,
  jsonModel,
  library,
  notRootNote,
  parseOptions,
  runTool,
  scanOption,
  version,
  type Colours,
} from './common.js'
import { walkTree } from './tree.js'

type Kind = 'user' | 'pid'

function usage(name: string): string {
  return `Usage: ${name} [-d] [--no-containers] [--json] [--scan=HOW] [--color=WHEN]\n`
}

function help(name: string, kind: Kind): string {
  const details =
    kind === 'user'
      ? 'under each user namespace, list the namespaces of other types it owns'
      : 'under each PID namespace, list the namespaces of other types its process is in'
  return `${usage(name)}
Show the tree of ${kind === 'user' ? 'user' : 'PID'} namespaces on this machine, one namespace a line,
including those no process is in any more: hidden ancestors, and namespaces
kept only by an open file descriptor or a bind mount. A namespace that
containers have processes in names them after its process
(container docker:web-1). Run as root to see all.

  -d, --details         ${details}
${CONTAINER_HELP}
${COLOUR_HELP}
${JSON_HELP}
${SCAN_HELP}
${HELP_HELP}

Exit status: 0 on success, 1 on failure, 2 on bad usage.
`
}

/**
 * Why a namespace lives: its process, or what holds it when none is in it.
 * Built with plain concatenation, as line() is: see tree().
 */
function holder(ns: DiscoveredNamespace, c: Colours): string {
  if (ns.pid !== null) {
    const text = 'process ' + c.green('"' + processText(ns.process) + '"') + ' (' + ns.pid + ')'
    return ns.containers.length === 0 ? text : text + ' container ' + c.yellow(containersText(ns.containers)!)
  }
  const h = holderOf(ns)
  if (h.kind === 'process') return ''
  const text = `no process (${holderText(h)})`
  return h.kind === 'fd' || h.kind === 'bind-mount' ? c.yellow(text) : c.dim(text)
}

function line(ns: DiscoveredNamespace, c: Colours): string {
  const text = c.bold(nsName(ns)) + ' ' + holder(ns, c)
  if (ns.type === 'user') return ns.ownerUid === null ? text : text + ' owner ' + c.cyan(uidText(ns.ownerUid, ns.ownerName))
  if (ns.owner !== null) return text + ' owner ' + c.cyan(nsName({ type: 'user', ino: ns.owner }))
  return text + ' ' + c.dim('owner out of view')
}

/**
 * The namespaces of other types shown with -d, by the namespace they go
 * under: for a user namespace those it owns, for a PID namespace those its
 * representative process is in.
 */
function detailsIndex(kind: Kind, namespaces: DiscoveredNamespace[]): Map<number, DiscoveredNamespace[]> {
  if (kind === 'user') return byOwner(namespaces, new Set([kind]))
  const index = new Map<number, DiscoveredNamespace[]>()
  for (const ns of namespaces) {
    if (ns.type === kind) continue
    for (const pid of ns.pids) {
      const list = index.get(pid)
      if (list) list.push(ns)
      else index.set(pid, [ns])
    }
  }
  return index
}

/**
 * Draws the forest, children under their parent, in inode order, each with
 * the lines `details` gives it below; built into one string as it goes. The
 * tools draw thousands of lines once, mostly before the engine has compiled
 * this code: each call, object and array a line shows in their time, so
 * the lines are built with few of them.
 */
function tree(
  roots: DiscoveredNamespace[],
  byIno: Map<number, DiscoveredNamespace>,
  text: (ns: DiscoveredNamespace) => string,
  details: (ns: DiscoveredNamespace) => readonly string[],
  c: Colours,
): string {
  let out = ''
  const leaf: readonly DiscoveredNamespace[] = []
  const children = (ns: DiscoveredNamespace): readonly DiscoveredNamespace[] => {
    if (ns.children.length === 0) return leaf
    const found: DiscoveredNamespace[] = []
    for (let i = 0; i < ns.children.length; i++) {
      const child = byIno.get(ns.children[i]!)
      if (child !== undefined) found.push(child)
    }
    return found
  }
  walkTree(roots, children, (node, prefix, under, hasChildren) => {
    out += c.dim(prefix) + text(node) + '\n'
    const below = details(node)
    for (let i = 0; i < below.length; i++) out += c.dim(under + (hasChildren ? '│ ' : '  ')) + below[i] + '\n'
  })
  return out
}

async function main(name: string, kind: Kind, argv: string[]): Promise<string> {
  const values = parseOptions(argv, {
    ...COLOUR_OPTIONS,
    ...JSON_OPTIONS,
    ...CONTAINER_OPTIONS,
    ...SCAN_OPTIONS,
    details: { type: 'boolean', short: 'd' },
  })
  if (values.help) return help(name, kind)
  if (values.version) return `${name} (linuxns-rel) ${version()}\n`
  const c = colours(values)
  const scan = scanOption(values)
  const { NSTYPE_NAMES, discover } = await library()
  const types: readonly NstypeName[] = values.details ? NSTYPE_NAMES : [kind]
  // Plain lsuserns asks for the user namespaces that only own namespaces of
  // other types too (with -d every type is asked for, which finds them
  // anyway); but not with --scan=procfs, which keeps the /proc scan's speed:
  // those owners cost it a link of every type of every process.
  const model = discover({
    types,
    scan,
    owners: kind === 'user' && scan !== 'procfs',
    containers: values['no-containers'] !== true,
  })
  const { namespaces, notes } = model
  notRootNote(name)
  containerNotes(name, notes)
  const byIno = new Map<number, DiscoveredNamespace>()
  for (const ns of namespaces) byIno.set(ns.ino, ns)
  const shown = namespaces.filter((ns) => ns.type === kind)
  const index = values.details ? detailsIndex(kind, namespaces) : new Map<number, DiscoveredNamespace[]>()
  const details = (ns: DiscoveredNamespace): DiscoveredNamespace[] =>
    index.get(kind === 'user' ? ns.ino : (ns.pid ?? -1)) ?? []

  if (values.json) return jsonModel([...new Set([...shown, ...shown.flatMap(details)])], model.scan)
  const roots = shown.filter((ns) => ns.parent === null || byIno.get(ns.parent)?.type !== kind)
  const none: readonly string[] = []
  return tree(
    roots,
    byIno,
    (ns) => line(ns, c),
    values.details ? (ns) => details(ns).map((d) => `${c.magenta(nsName(d))} ${holder(d, c)}`) : () => none,
    c,
  )
}

/** Entry point of bin/lsuserns and bin/lspidns. */
export function runHierarchyTool(name: string, kind: Kind): void {
  runTool(name, usage(name), (argv) => main(name, kind, argv))
}
