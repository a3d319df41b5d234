// The two scans that find the processes' namespaces give one model: each
// test of discovery runs once under each, named by it in its title. The
// BPF scan needs root; as another user its tests are listed as skipped,
// saying so.
import type { ExecutionContext } from 'ava'

import type { DiscoveredNamespace, NamespaceModel } from '../../index.js'
import { type Needs, testNeeding } from './needs.js'

/** The scans a test of discovery runs under, as `discover()`'s `scan` and the tools' `--scan=` name them. */
export const SCANS = ['bpf', 'procfs'] as const

export type TestedScan = (typeof SCANS)[number]

/** `testNeeding` once for each scan, with the scan in the title: `title (bpf scan)`, `title (procfs scan)`. */
export function scanTest(
  needs: Needs,
  title: string,
  fn: (t: ExecutionContext, scan: TestedScan) => void | Promise<void>,
): void {
  for (const scan of SCANS) {
    testNeeding(scan === 'bpf' ? { ...needs, root: true } : needs, `${title} (${scan} scan)`, (t) => fn(t, scan))
  }
}

/**
 * The namespaces `inos` of a model and every parent and owner they lead
 * to, by inode.
 */
function partOf(model: NamespaceModel, inos: Iterable<number>): Map<number, DiscoveredNamespace> {
  const byIno = new Map(model.namespaces.map((ns) => [ns.ino, ns]))
  const part = new Map<number, DiscoveredNamespace>()
  const add = (ino: number | null): void => {
    const ns = ino === null ? undefined : byIno.get(ino)
    if (!ns || part.has(ns.ino)) return
    part.set(ns.ino, ns)
    add(ns.parent)
    add(ns.owner)
  }
  for (const ino of inos) add(ino)
  return part
}

/** The fields of a namespace that the processes around it do not change: its identity and relations. */
function relations(ns: DiscoveredNamespace): Partial<DiscoveredNamespace> {
  const { type, ino, dev, id, parent, owner, ownerUid, ownerName } = ns
  return { type, ino, dev, id, parent, owner, ownerUid, ownerName }
}

/**
 * Checks that the BPF scan's model gives what the /proc scan's gives for the
 * namespaces `inos` (a test's own, whose processes stay put) and every
 * parent and owner they lead to: the same namespaces, each of `inos` field by
 * field, the others (shared with the rest of the system, whose processes
 * come and go between two scans) by their relations.
 */
export function checkSameModel(
  t: ExecutionContext,
  procfs: NamespaceModel,
  bpf: NamespaceModel,
  inos: readonly number[],
  what: string,
): void {
  const ours = new Set(inos)
  const expected = partOf(procfs, inos)
  const got = partOf(bpf, inos)
  t.deepEqual(inos.filter((ino) => !expected.has(ino)), [], `${what}: every namespace of the test found`)
  t.deepEqual([...got.keys()].sort(), [...expected.keys()].sort(), `${what}: the same namespaces`)
  for (const [ino, ns] of expected) {
    const other = got.get(ino)
    if (other === undefined) continue
    if (ours.has(ino)) t.deepEqual(other, ns, `${what}: ${ns.type}:[${ino}]`)
    else t.deepEqual(relations(other), relations(ns), `${what}: ${ns.type}:[${ino}], relations`)
  }
}
