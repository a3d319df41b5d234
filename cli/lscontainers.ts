// lscontainers: the running containers of every engine, one a line, and
// what each has of its own: for each of the eight namespace types, its own
// namespace, the host's, or the same as another container's.

import type { ContainerList, ListedContainer, NstypeName } from 'linuxns-rel'

import { escapeText } from '../lib/escape.js'
import { isolationText } from '../lib/labels.js'
import {
  COLOUR_HELP,
  COLOUR_OPTIONS,
  HELP_HELP,
  JSON_HELP,
  JSON_OPTIONS,
  colours,
  containerNotes,
  library,
  notRootNote,
  parseOptions,
  runTool,
  version,
  type Colours,
} from './common.js'
import { treeRows } from './tree.js'

const NAME = 'lscontainers'

const USAGE = `Usage: ${NAME} [--pods] [--json] [--color=WHEN]\n`

const HELP = `${USAGE}
List the running containers of every engine (Docker, containerd, CRI-O,
podman, systemd-nspawn), one a line, and for each of the eight namespace
types whether the container has its own, the host's, or another
container's. Read from the engines' own state on disk (or Docker's API where
that cannot be read): no engine needs to answer, and no process is scanned.
Run as root to see the namespaces.

      --pods            group the containers of each Kubernetes pod under it
${COLOUR_HELP}
${JSON_HELP}
${HELP_HELP}

Columns:
  ENGINE   docker, containerd, cri-o, podman, lxc or nspawn
  NAME     the container's name (a Kubernetes container's, the pod's for its sandbox)
  ID       the first 12 characters of its id
  PID      its init process
  IMAGE    the image it was started from, as it was asked for
  cgroup, ipc, mnt, net, pid, time, user, uts
           how it has that namespace: own (a user namespace of its own as
           own(UID), with the uid that created it), host (the host's initial
           namespace), =NAME (the same as the container NAME, as
           --network container:NAME or a pod's sandbox gives; =NAME,+N where
           N more share it), ? where it could not be read

Exit status: 0 on success, 1 on failure, 2 on bad usage.
`

const OPTIONS = { ...COLOUR_OPTIONS, ...JSON_OPTIONS, pods: { type: 'boolean' } } as const

const FIXED = ['ENGINE', 'NAME', 'ID', 'PID', 'IMAGE'] as const

/** A line of the table: a container, or the pod its containers go under (--pods). */
type Node = { kind: 'container'; c: ListedContainer } | { kind: 'pod'; label: string }

interface Row {
  prefix: string
  node: Node
  cells: string[]
}

/** The uid that created a container's own user namespace (owner uid); null where it cannot be asked. */
function ownerUidOf(c: ListedContainer, getOwnerUid: (ref: string) => number): number | null {
  if (c.namespaces.user.state !== 'own' || c.pid === null) return null
  try {
    return getOwnerUid(`/proc/${c.pid}/ns/user`)
  } catch {
    return null
  }
}

function cells(c: ListedContainer, types: readonly NstypeName[], getOwnerUid: (ref: string) => number): string[] {
  return [
    c.engine,
    c.name === null ? '-' : escapeText(c.name),
    escapeText(c.id.slice(0, 12)),
    c.pid === null ? '-' : String(c.pid),
    c.image === null ? '-' : escapeText(c.image),
    ...types.map((t) => isolationText(c.namespaces[t], t === 'user' ? ownerUidOf(c, getOwnerUid) : null)),
  ]
}

function colourCell(text: string, i: number, row: Row, c: Colours): string {
  if (row.node.kind === 'pod') return i === 0 ? c.magenta(text) : c.bold(text)
  if (i === 1) return c.bold(text)
  if (i < FIXED.length) return text
  if (text.startsWith('own')) return c.green(text)
  if (text === 'host') return c.yellow(text)
  if (text.startsWith('=')) return c.cyan(text)
  return c.dim(text)
}

function table(header: readonly string[], rows: Row[], c: Colours): string {
  const width = (row: Row, i: number): number => (i === 0 ? [...row.prefix].length : 0) + (row.cells[i]?.length ?? 0)
  const widths = header.map((h, i) => rows.reduce((w, row) => Math.max(w, width(row, i)), h.length))
  const last = header.length - 1
  const pad = (text: string, i: number, shown: number): string => {
    if (i === last) return text
    const fill = ' '.repeat(Math.max(0, widths[i]! - shown))
    // PID is a number: right-aligned, as the other tools align numbers.
    return header[i] === 'PID' ? fill + text : text + fill
  }
  const out = [header.map((h, i) => pad(c.bold(h), i, h.length)).join(' ').trimEnd()]
  for (const row of rows) {
    const line = header.map((_, i) => {
      const cell = row.cells[i] ?? ''
      const text = colourCell(cell, i, row, c)
      return i === 0 ? pad(c.dim(row.prefix) + text, i, width(row, i)) : pad(text, i, cell.length)
    })
    out.push(line.join(' ').trimEnd())
  }
  return `${out.join('\n')}\n`
}

/** A pod's key and label: `NAMESPACE/POD`. */
function podLabel(c: ListedContainer): string | null {
  if (c.pod === null) return null
  return c.podNamespace === null ? c.pod : `${c.podNamespace}/${c.pod}`
}

/** With --pods: each pod, then its containers under it, then the containers of no pod. */
function nodes(list: readonly ListedContainer[], pods: boolean): { roots: Node[]; children: Map<Node, Node[]> } {
  const children = new Map<Node, Node[]>()
  if (!pods) return { roots: list.map((c) => ({ kind: 'container', c })), children }
  const byPod = new Map<string, Node>()
  const roots: Node[] = []
  const loose: Node[] = []
  for (const c of list) {
    const label = podLabel(c)
    const node: Node = { kind: 'container', c }
    if (label === null) {
      loose.push(node)
      continue
    }
    let pod = byPod.get(label)
    if (pod === undefined) {
      pod = { kind: 'pod', label }
      byPod.set(label, pod)
      roots.push(pod)
      children.set(pod, [])
    }
    children.get(pod)!.push(node)
  }
  return { roots: [...roots, ...loose], children }
}

/** --json with --pods: `{"pods": [{"pod", "podNamespace", "containers"}], "containers": [those of no pod]}`. */
function podsJson(list: ContainerList['containers']): object {
  const pods = new Map<string, { pod: string; podNamespace: string | null; containers: ListedContainer[] }>()
  const containers: ListedContainer[] = []
  for (const c of list) {
    const label = podLabel(c)
    if (label === null || c.pod === null) {
      containers.push(c)
      continue
    }
    const entry = pods.get(label) ?? { pod: c.pod, podNamespace: c.podNamespace, containers: [] }
    entry.containers.push(c)
    pods.set(label, entry)
  }
  return { pods: [...pods.values()], containers }
}

async function main(argv: string[]): Promise<string> {
  const values = parseOptions(argv, OPTIONS)
  if (values.help) return HELP
  if (values.version) return `${NAME} (linuxns-rel) ${version()}\n`
  const c = colours(values)
  const { NSTYPE_NAMES, getOwnerUid, listContainers } = await library()
  const { containers, notes } = listContainers()
  notRootNote(NAME)
  containerNotes(NAME, notes)
  if (values.json) {
    const shape = values.pods ? podsJson(containers) : { containers }
    return `${JSON.stringify(shape, null, 2)}\n`
  }
  const header = [...FIXED, ...NSTYPE_NAMES]
  const { roots, children } = nodes(containers, values.pods === true)
  const rows = treeRows(roots, (n) => children.get(n) ?? []).map(({ node, prefix }) => ({
    prefix,
    node,
    cells: node.kind === 'pod' ? ['pod', escapeText(node.label)] : cells(node.c, NSTYPE_NAMES, getOwnerUid),
  }))
  return table(header, rows, c)
}

/** Entry point of bin/lscontainers. */
export function runLscontainers(): void {
  runTool(NAME, USAGE, main)
}
