// lsallns: every namespace of every type on this machine, one a line, in
// columns like util-linux lsns, including those no process is in.

import type { DiscoveredNamespace, NstypeName } from 'linuxns-rel'

import { escapeText } from '../lib/escape.js'
import { containersText, holderOf, holderText, processText } from '../lib/labels.js'
import {
  COLOUR_HELP,
  COLOUR_OPTIONS,
  CONTAINER_HELP,
  CONTAINER_OPTIONS,
  HELP_HELP,
  JSON_HELP,
  JSON_OPTIONS,
  UsageError,
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

const NAME = 'lsallns'

const USAGE = `Usage: ${NAME} [-t TYPE]... [--tree=parent|owner] [--no-containers] [--json] [--color=WHEN]\n`

const HELP = `${USAGE}
List every namespace on this machine, of every type, one a line: those of
processes and threads, and those no process is in any more (hidden ancestors
and owners, namespaces kept only by an open file descriptor or a bind mount).
Run as root to see all.

  -t, --type=TYPE       only namespaces of TYPE: cgroup, ipc, mnt, net, pid, time, user, uts;
                        repeat it (-t net -t user) or give a list (-t net,user)
  -T, --tree=REL        draw a tree: parent (user and PID namespaces under their
                        parent) or owner (every namespace under its owning user
                        namespace; with -t, the user namespaces above the
                        selected ones are shown too, dimmed, to hang them on)
${CONTAINER_HELP}
${COLOUR_HELP}
${JSON_HELP}
${HELP_HELP}

Columns:
  NS       the inode number, as in TYPE:[NS]
  TYPE     the namespace type
  NPROCS   the number of processes in it
  PID      its representative: the lowest pid in it, then up its parents
           while they stay inside; - when no process is in it
  USER     who owns it: for a user namespace the uid that created it, for the
           other types the creator of the user namespace that owns them
           (a name where the user database has one, else the uid)
  ID       the kernel's unique 64-bit namespace id (NS_GET_ID); - where the
           kernel has none
  VIA      how it was found: process, task (a thread), fd, bind-mount,
           hierarchy (an ancestor or owner only the kernel's relations reveal),
           pending (a pid_for_children or time_for_children with no process
           yet), mount-list (a mount namespace only the kernel's list shows)
  CONTAINER  the containers with a process in it: ENGINE:NAME (docker:web-1),
           a Kubernetes pod as k8s:NAMESPACE/POD, several as docker:web-1,+1;
           - for none, and for the host's initial namespaces
  COMMAND  the representative's name; with no process, what keeps it:
           (held by fd N of pid P), (bind mount PATH), (pending),
           (mount list only) or (hidden)

Exit status: 0 on success, 1 on failure, 2 on bad usage.
`

const OPTIONS = {
  ...COLOUR_OPTIONS,
  ...JSON_OPTIONS,
  ...CONTAINER_OPTIONS,
  type: { type: 'string', short: 't', multiple: true },
  tree: { type: 'string', short: 'T' },
} as const

type TreeKind = 'parent' | 'owner'

/** The types of -t, in the model's order; all of them without -t. */
function selectedTypes(values: readonly string[] | undefined, names: readonly NstypeName[]): readonly NstypeName[] {
  if (values === undefined) return names
  const wanted = new Set<string>()
  for (const value of values) {
    for (const type of value.split(',')) {
      if (!(names as readonly string[]).includes(type)) {
        throw new UsageError(`option '--type': unknown namespace type '${type}' (one of ${names.join(', ')})`)
      }
      wanted.add(type)
    }
  }
  return names.filter((type) => wanted.has(type))
}

function treeKind(value: string | undefined): TreeKind | null {
  if (value === undefined) return null
  if (value !== 'parent' && value !== 'owner') throw new UsageError(`option '--tree' must be parent or owner, not '${value}'`)
  return value
}

/** One table row: plain cell texts (for widths) and how to colour each. */
interface Row {
  prefix: string
  ns: DiscoveredNamespace
  /** A user namespace shown only to hang the selected namespaces on (owner tree with -t). */
  context: boolean
  cells: string[]
}

const HEADER = ['NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'ID', 'VIA', 'CONTAINER', 'COMMAND'] as const
/** Right-aligned columns (numbers), as lsns aligns them. */
const RIGHT = new Set<number>([0, 2, 3, 5])

function userText(uid: number | null | undefined, name: string | null | undefined): string {
  if (uid == null) return '-'
  return name === null || name === undefined ? String(uid) : escapeText(name)
}

function commandText(ns: DiscoveredNamespace): string {
  const h = holderOf(ns)
  return h.kind === 'process' ? processText(h.name) : `(${holderText(h)})`
}

function cells(ns: DiscoveredNamespace, users: Map<number, DiscoveredNamespace>): string[] {
  const ownerNs = ns.type === 'user' ? ns : ns.owner === null ? undefined : users.get(ns.owner)
  return [
    String(ns.ino),
    ns.type,
    String(ns.processes),
    ns.pid === null ? '-' : String(ns.pid),
    userText(ownerNs?.ownerUid, ownerNs?.ownerName),
    ns.id ?? '-',
    ns.via.join(','),
    containersText(ns.containers) ?? '-',
    commandText(ns),
  ]
}

function colourCell(i: number, text: string, row: Row, c: Colours): string {
  if (row.context) return c.dim(text)
  switch (HEADER[i]) {
    case 'NS':
      return c.bold(text)
    case 'TYPE':
      return c.magenta(text)
    case 'USER':
      return c.cyan(text)
    case 'CONTAINER':
      return text === '-' ? text : c.yellow(text)
    case 'COMMAND':
      if (row.ns.pid !== null) return c.green(text)
      return ['fd', 'bind-mount'].includes(holderOf(row.ns).kind) ? c.yellow(text) : c.dim(text)
    default:
      return text
  }
}

/** The table, columns padded to their widest cell; the tree prefixes go in front of NS. */
function table(rows: Row[], c: Colours, tree: boolean): string {
  const widths = HEADER.map((h, i) =>
    rows.reduce((w, row) => Math.max(w, (i === 0 ? [...row.prefix].length : 0) + row.cells[i]!.length), h.length),
  )
  const last = HEADER.length - 1
  const pad = (text: string, i: number, shown: number): string => {
    const fill = ' '.repeat(Math.max(0, widths[i]! - shown))
    if (i === last) return text
    // In a tree, NS is left-aligned behind its prefix, as in lsns --tree.
    return RIGHT.has(i) && !(tree && i === 0) ? fill + text : text + fill
  }
  const out = [HEADER.map((h, i) => pad(c.bold(h), i, h.length)).join(' ').trimEnd()]
  for (const row of rows) {
    out.push(
      row.cells
        .map((cell, i) => {
          const text = colourCell(i, cell, row, c)
          if (i !== 0) return pad(text, i, cell.length)
          return pad(c.dim(row.prefix) + text, i, [...row.prefix].length + cell.length)
        })
        .join(' '),
    )
  }
  return `${out.join('\n')}\n`
}

/** The namespaces in drawing order, with their tree prefixes (none without --tree). */
function layout(
  shown: DiscoveredNamespace[],
  all: DiscoveredNamespace[],
  kind: TreeKind | null,
): { ns: DiscoveredNamespace; prefix: string; context: boolean }[] {
  if (kind === null) return shown.map((ns) => ({ ns, prefix: '', context: false }))
  const byIno = new Map(all.map((ns) => [ns.ino, ns]))
  const selected = new Set(shown)
  const nodes = new Set(shown)
  if (kind === 'owner') {
    // The user namespaces above the selected ones, so that each hangs under its owner.
    for (const ns of shown) {
      const seen = new Set<number>()
      for (let up = ns.owner; up !== null && !seen.has(up); ) {
        seen.add(up)
        const owner = byIno.get(up)
        if (owner === undefined || owner.type !== 'user' || nodes.has(owner)) break
        nodes.add(owner)
        up = owner.owner
      }
    }
  }
  const ordered = all.filter((ns) => nodes.has(ns))
  const up = (ns: DiscoveredNamespace): DiscoveredNamespace | undefined => {
    const ino = kind === 'parent' ? ns.parent : ns.owner
    const node = ino === null ? undefined : byIno.get(ino)
    return node !== undefined && nodes.has(node) ? node : undefined
  }
  const children = new Map<DiscoveredNamespace, DiscoveredNamespace[]>()
  for (const ns of ordered) {
    const parent = up(ns)
    if (parent === undefined) continue
    const list = children.get(parent)
    if (list) list.push(ns)
    else children.set(parent, [ns])
  }
  // Under a user namespace (owner tree): the namespaces of other types it owns, then its child user namespaces.
  const order = (list: DiscoveredNamespace[]): DiscoveredNamespace[] =>
    kind === 'owner' ? [...list.filter((ns) => ns.type !== 'user'), ...list.filter((ns) => ns.type === 'user')] : list
  const roots = ordered.filter((ns) => up(ns) === undefined)
  return treeRows(roots, (ns) => order(children.get(ns) ?? [])).map((row) => ({
    ns: row.node,
    prefix: row.prefix,
    context: !selected.has(row.node),
  }))
}

async function main(argv: string[]): Promise<string> {
  const values = parseOptions(argv, OPTIONS)
  if (values.help) return HELP
  if (values.version) return `${NAME} (linuxns-rel) ${version()}\n`
  const c = colours(values)
  const kind = treeKind(values.tree)
  if (values.json && kind !== null) throw new UsageError("options '--json' and '--tree' cannot be used together: --json prints the model, whose parent and owner fields are the trees")
  const { NSTYPE_NAMES, discover } = await library()
  const types = selectedTypes(values.type, NSTYPE_NAMES)
  // User namespaces always: they give the USER column and the owner tree.
  const discovered = types.includes('user') ? types : [...types, 'user' as const]
  const { namespaces, notes } = discover({
    types: discovered,
    tasks: true,
    fds: true,
    bindMounts: true,
    containers: values['no-containers'] !== true,
  })
  notRootNote(NAME)
  containerNotes(NAME, notes)
  const wanted = new Set<string>(types)
  const shown = namespaces.filter((ns) => wanted.has(ns.type))
  if (values.json) return jsonModel(shown)
  const users = new Map(namespaces.filter((ns) => ns.type === 'user').map((ns) => [ns.ino, ns]))
  const rows = layout(shown, namespaces, kind).map(({ ns, prefix, context }) => ({ ns, prefix, context, cells: cells(ns, users) }))
  return table(rows, c, kind !== null)
}

/** Entry point of bin/lsallns. */
export function runLsallns(): void {
  runTool(NAME, USAGE, main)
}
