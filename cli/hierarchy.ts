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
  colours,
  containerNotes,
  jsonModel,
  library,
  notRootNote,
  parseOptions,
  runTool,
  version,
  type Colours,
} from './common.js'
import { treeRows } from './tree.js'

type Kind = 'user' | 'pid'

function usage(name: string): string {
  return `Usage: ${name} [-d] [--no-containers] [--json] [--color=WHEN]\n`
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
${HELP_HELP}

Exit status: 0 on success, 1 on failure, 2 on bad usage.
`
}

/** Why a namespace lives: its process, or what holds it when none is in it. */
function holder(ns: DiscoveredNamespace, c: Colours): string {
  const h = holderOf(ns)
  if (h.kind === 'process') {
    const containers = containersText(ns.containers)
    const where = containers === null ? '' : ` container ${c.yellow(containers)}`
    return `process ${c.green(`"${processText(h.name)}"`)} (${h.pid})${where}`
  }
  const text = `no process (${holderText(h)})`
  return h.kind === 'fd' || h.kind === 'bind-mount' ? c.yellow(text) : c.dim(text)
}

function line(ns: DiscoveredNamespace, c: Colours): string {
  const parts = [c.bold(nsName(ns)), holder(ns, c)]
  if (ns.type === 'user') {
    if (ns.ownerUid !== null) parts.push(`owner ${c.cyan(uidText(ns.ownerUid, ns.ownerName))}`)
  } else if (ns.owner !== null) {
    parts.push(`owner ${c.cyan(nsName({ type: 'user', ino: ns.owner }))}`)
  } else {
    parts.push(c.dim('owner out of view'))
  }
  return parts.join(' ')
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

/** Draws the forest, children under their parent, in inode order. */
function tree(
  roots: DiscoveredNamespace[],
  byIno: Map<number, DiscoveredNamespace>,
  text: (ns: DiscoveredNamespace) => string,
  details: (ns: DiscoveredNamespace) => string[],
  c: Colours,
): string {
  const out: string[] = []
  const children = (ns: DiscoveredNamespace): DiscoveredNamespace[] =>
    ns.children.map((ino) => byIno.get(ino)).filter((k) => k !== undefined)
  for (const row of treeRows(roots, children)) {
    out.push(`${c.dim(row.prefix)}${text(row.node)}`)
    for (const detail of details(row.node)) out.push(`${c.dim(row.under + (row.hasChildren ? '│ ' : '  '))}${detail}`)
  }
  return out.length > 0 ? `${out.join('\n')}\n` : ''
}

async function main(name: string, kind: Kind, argv: string[]): Promise<string> {
  const values = parseOptions(argv, {
    ...COLOUR_OPTIONS,
    ...JSON_OPTIONS,
    ...CONTAINER_OPTIONS,
    details: { type: 'boolean', short: 'd' },
  })
  if (values.help) return help(name, kind)
  if (values.version) return `${name} (linuxns-rel) ${version()}\n`
  const c = colours(values)
  const { NSTYPE_NAMES, discover } = await library()
  const types: readonly NstypeName[] = values.details ? NSTYPE_NAMES : [kind]
  const { namespaces, notes } = discover({ types, containers: values['no-containers'] !== true })
  notRootNote(name)
  containerNotes(name, notes)
  const byIno = new Map(namespaces.map((ns) => [ns.ino, ns]))
  const shown = namespaces.filter((ns) => ns.type === kind)
  const index = values.details ? detailsIndex(kind, namespaces) : new Map<number, DiscoveredNamespace[]>()
  const details = (ns: DiscoveredNamespace): DiscoveredNamespace[] =>
    index.get(kind === 'user' ? ns.ino : (ns.pid ?? -1)) ?? []

  if (values.json) return jsonModel([...new Set([...shown, ...shown.flatMap(details)])])
  const roots = shown.filter((ns) => ns.parent === null || byIno.get(ns.parent)?.type !== kind)
  return tree(
    roots,
    byIno,
    (ns) => line(ns, c),
    (ns) => details(ns).map((d) => `${c.magenta(nsName(d))} ${holder(d, c)}`),
    c,
  )
}

/** Entry point of bin/lsuserns and bin/lspidns. */
export function runHierarchyTool(name: string, kind: Kind): void {
  runTool(name, usage(name), (argv) => main(name, kind, argv))
}
