// bin/lsallns, run as a child process, against the zoo's ground truth, a few
// namespaces of the flat types built here, and util-linux lsns; what it
// lists, under each scan.
import test, { type ExecutionContext } from 'ava'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

import { packageCopy } from './helpers/package-copy.js'
import { OTHER_UID, type Run, asUid, effectiveUid, isRoot, nsInode, runPiped, startSleeper, stop } from './helpers/procs.js'
import { scanTest } from './helpers/scans.js'
import { type Zoo, buildZoo, processName, representative, scanProc, userName } from './helpers/zoo.js'

const bin = fileURLToPath(new URL('../bin/lsallns', import.meta.url))
const pkgVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
const ALL_TYPES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']

/** A namespace whose truth we know: the zoo's, and the extras built here. */
interface Known {
  label: string
  type: string
  ino: number
  /** User and pid namespaces: the parent; null for the flat types. */
  parent: number | null
  /** The owning user namespace. */
  owner: number
  /** The uid USER must show: a user namespace's creator, else the creator of its owner. */
  userUid: number
  via: 'process' | 'fd' | 'bind-mount' | 'hierarchy'
  fdHolder?: { pid: number; fd: number }
  bindMount?: string
}

let zoo: Zoo
let known: Known[] = []
const extraPids: number[] = []
const extraMounts: string[] = []
let extraDir: string | undefined

/** Waits until a process we killed is gone (reaped, not even a zombie). */
async function gone(pid: number): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 10) {
    if (!existsSync(`/proc/${pid}`)) return
    await sleep(10)
  }
  throw new Error(`process ${pid} did not exit`)
}

async function startExtra(argv: string[]): Promise<number[]> {
  const chain = await startSleeper(argv)
  extraPids.push(chain[0]!)
  return chain
}

async function killExtra(chain: number[]): Promise<void> {
  stop(chain[0]!)
  extraPids.splice(extraPids.indexOf(chain[0]!), 1)
  for (const pid of chain) await gone(pid)
}

/**
 * The flat types the zoo lacks (mnt, cgroup, time, each in a process), a net
 * namespace held only by an open descriptor (its user namespace left hidden),
 * and, as root, a net and a uts namespace held only by bind mounts.
 */
async function buildExtras(): Promise<Known[]> {
  const extras: Known[] = []
  {
    // The new mount namespace starts as a copy of ours, bind mounts of namespaces
    // included (the zoo's, and those of specs running beside this one): it drops
    // them at once, so that they stay held by one mount each. As root, without a
    // user namespace of its own, so that it may unmount them.
    const drop = 'for m in $(findmnt -rn -t nsfs -o TARGET); do umount -l "$m" 2>/dev/null; done; exec sleep infinity'
    const own = isRoot ? [] : ['-Ur']
    const chain = await startExtra(['unshare', ...own, '--mount', '--cgroup', '--time', '--fork', '--kill-child', 'sh', '-c', drop])
    const pid = chain[chain.length - 1]!
    const owner = nsInode(pid, 'user')
    const uid = effectiveUid(pid)
    if (!isRoot) {
      extras.push({ label: 'flat-user', type: 'user', ino: owner, parent: zoo.self.user, owner: zoo.self.user, userUid: uid, via: 'process' })
    }
    for (const type of ['mnt', 'cgroup', 'time']) {
      extras.push({ label: `flat-${type}`, type, ino: nsInode(pid, type), parent: null, owner, userUid: uid, via: 'process' })
    }
  }
  {
    const held = await startExtra(['unshare', '-Ur', '--net', 'sleep', 'infinity'])
    const pid = held[0]!
    const net = nsInode(pid, 'net')
    const owner = nsInode(pid, 'user')
    const uid = effectiveUid(pid)
    const [holder] = await startExtra(['sh', '-c', `exec 5</proc/${pid}/ns/net; exec sleep infinity`])
    await killExtra(held)
    if (readlinkSync(`/proc/${holder}/fd/5`) !== `net:[${net}]`) throw new Error('fd 5 lost the net namespace')
    extras.push({ label: 'fd-net', type: 'net', ino: net, parent: null, owner, userUid: uid, via: 'fd', fdHolder: { pid: holder!, fd: 5 } })
    extras.push({ label: 'fd-net-owner', type: 'user', ino: owner, parent: zoo.self.user, owner: zoo.self.user, userUid: uid, via: 'hierarchy' })
  }
  if (isRoot) {
    extraDir = mkdtempSync(join(tmpdir(), 'linuxns-rel-lsallns-'))
    const chain = await startExtra(['unshare', '--net', '--uts', 'sleep', 'infinity'])
    const pid = chain[0]!
    for (const type of ['net', 'uts']) {
      const file = join(extraDir, type)
      writeFileSync(file, '')
      const ino = nsInode(pid, type)
      execFileSync('mount', ['--bind', `/proc/${pid}/ns/${type}`, file], { stdio: 'pipe' })
      extraMounts.push(file)
      extras.push({ label: `bind-${type}`, type, ino, parent: null, owner: zoo.self.user, userUid: 0, via: 'bind-mount', bindMount: file })
    }
    await killExtra(chain)
  }
  return extras
}

async function removeExtras(): Promise<void> {
  for (const top of [...extraPids]) {
    try {
      stop(top)
    } catch {}
    await gone(top).catch(() => {})
  }
  for (const mount of extraMounts.reverse()) {
    try {
      execFileSync('umount', ['-l', mount], { stdio: 'pipe' })
    } catch {}
  }
  if (extraDir !== undefined) rmSync(extraDir, { recursive: true, force: true })
}

test.before(async () => {
  zoo = await buildZoo()
  const uidOf = new Map(zoo.namespaces.filter((z) => z.type === 'user').map((z) => [z.ino, z.ownerUid!]))
  uidOf.set(zoo.self.user, 0)
  known = zoo.namespaces.map((z) => ({
    label: z.label,
    type: z.type,
    ino: z.ino,
    parent: z.parent,
    owner: z.owner,
    userUid: z.type === 'user' ? z.ownerUid! : uidOf.get(z.owner)!,
    via: z.via,
    ...(z.fdHolder && { fdHolder: z.fdHolder }),
    ...(z.bindMount !== undefined && { bindMount: z.bindMount }),
  }))
  try {
    known.push(...(await buildExtras()))
  } catch (err) {
    await removeExtras()
    throw err
  }
})

test.after.always(async () => {
  await removeExtras()
  await zoo?.remove()
})

const rootTest = isRoot ? test : test.skip

/** Runs lsallns; `prefix` runs it through another command (setpriv). */
function run(args: string[], env: Record<string, string | undefined> = {}, prefix: string[] = []): Promise<Run> {
  return runPiped([...prefix, process.execPath, bin, ...args], env)
}

const COLUMNS = ['NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'ID', 'VIA', 'CONTAINER', 'COMMAND'] as const
type Column = (typeof COLUMNS)[number]
/** lsns aligns numbers right, text left; in a tree NS goes left, behind its prefix. */
const RIGHT = new Set<Column>(['NS', 'NPROCS', 'PID', 'ID'])

interface TableRow {
  prefix: string
  depth: number
  cells: Record<Column, string>
  line: string
  /** The row this one hangs under, in a tree. */
  parent: TableRow | null
}

/**
 * Parses the table, checking as it goes that every cell lines up with its
 * heading, and, in a tree, rebuilds the tree from the `├── `, `└── `, `│   `
 * and blank prefixes of the NS column.
 */
function parseTable(t: ExecutionContext, output: string, tree: boolean): TableRow[] {
  const [header, ...lines] = output.split('\n')
  t.is(lines.pop(), '', 'the output ends with a newline')
  const heads = [...header!.matchAll(/\S+/g)]
  t.deepEqual(
    heads.map((m) => m[0]),
    [...COLUMNS],
    'the heading',
  )
  const start = heads.map((m) => m.index)
  const end = heads.map((m) => m.index + m[0].length)
  const rows: TableRow[] = []
  const stack: TableRow[] = []
  for (const line of lines) {
    const prefix = /^((?:│ {3}| {4}|├── |└── )*)/u.exec(line)![1]!
    if (!tree) t.is(prefix, '', `no tree prefix without --tree: ${line}`)
    const tokens = [...line.slice(prefix.length).matchAll(/\S+/g)].map((m) => ({ text: m[0], start: m.index + prefix.length }))
    if (tokens.length < COLUMNS.length) {
      t.fail(`too few cells: ${JSON.stringify(line)}`)
      continue
    }
    const cells = {} as Record<Column, string>
    COLUMNS.forEach((column, i) => {
      const token = tokens[i]!
      if (column === 'COMMAND') {
        t.is(token.start, start[i]!, `COMMAND starts under its heading: ${line}`)
        cells[column] = line.slice(token.start)
      } else if (column === 'NS' && tree) {
        t.is(token.start, prefix.length, `NS right behind the tree prefix: ${line}`)
        cells[column] = token.text
      } else if (RIGHT.has(column)) {
        t.is(token.start + token.text.length, end[i]!, `${column} ends under its heading: ${line}`)
        cells[column] = token.text
      } else {
        t.is(token.start, start[i]!, `${column} starts under its heading: ${line}`)
        cells[column] = token.text
      }
    })
    const depth = [...prefix].length / 4
    if (depth > 0 && !/[├└]── $/u.test(prefix)) t.fail(`no branch at the end of ${JSON.stringify(prefix)}`)
    if (depth > stack.length) t.fail(`line jumps ${depth - stack.length} levels: ${line}`)
    stack.length = Math.min(depth, stack.length)
    const row: TableRow = { prefix, depth, cells, line, parent: stack[depth - 1] ?? null }
    stack.push(row)
    rows.push(row)
  }
  return rows
}

function byKey(rows: TableRow[]): Map<string, TableRow> {
  return new Map(rows.map((r) => [`${r.cells.TYPE}:${r.cells.NS}`, r]))
}

/** The row of each known namespace; a missing one fails the test. */
function knownRows(t: ExecutionContext, keys: Map<string, TableRow>): [Known, TableRow][] {
  const found: [Known, TableRow][] = []
  for (const k of known) {
    const row = keys.get(`${k.type}:${k.ino}`)
    if (row) found.push([k, row])
    else t.fail(`${k.label} is not in the tree`)
  }
  return found
}

function userText(uid: number): string {
  return userName(uid) ?? String(uid)
}

/** A path that opens a known namespace, or null for a hidden one. */
function openable(k: Known, rep: number | null): string | null {
  if (k.via === 'fd') return `/proc/${k.fdHolder!.pid}/fd/${k.fdHolder!.fd}`
  if (k.via === 'bind-mount') return k.bindMount!
  if (k.via === 'process' && rep !== null) return `/proc/${rep}/ns/${k.type}`
  return null
}

/**
 * NS_GET_ID (`_IOR(0xb7, 13, u64)`, Linux 6.18) of each path, asked of the
 * kernel by Python's ioctl, independently of the library; null where the
 * kernel has no such request (ENOTTY).
 */
function kernelIds(paths: string[]): (string | null)[] {
  const script = [
    'import fcntl, os, struct, sys',
    'for p in sys.argv[1:]:',
    '  fd = os.open(p, os.O_RDONLY)',
    '  b = bytearray(8)',
    '  try:',
    '    fcntl.ioctl(fd, 0x8008b70d, b); print(struct.unpack("Q", b)[0])',
    '  except OSError:',
    '    print("-")',
    '  os.close(fd)',
  ].join('\n')
  const out = execFileSync('python3', ['-c', script, ...paths], { encoding: 'utf8' }).trim().split('\n')
  return out.map((line) => (line === '-' ? null : line))
}

/** The kernel's id of every known namespace that can be opened, by `type:ino`. */
function knownIds(proc: ReturnType<typeof scanProc>): Map<string, string | null> {
  const open = known
    .map((k) => ({ k, path: openable(k, representative(proc.members.get(`${k.type}:${k.ino}`) ?? [], proc.ppid)) }))
    .filter((o): o is { k: Known; path: string } => o.path !== null)
  const ids = kernelIds(open.map((o) => o.path))
  return new Map(open.map((o, i) => [`${o.k.type}:${o.k.ino}`, ids[i]!]))
}

/** What COMMAND must say for a known namespace. */
function commandText(k: Known, rep: number | null): string {
  if (k.via === 'fd') return `(held by fd ${k.fdHolder!.fd} of pid ${k.fdHolder!.pid})`
  if (k.via === 'bind-mount') return `(bind mount ${k.bindMount})`
  if (k.via === 'hierarchy') return '(hidden)'
  return processName(rep!)
}

/**
 * How a known namespace must have been found: its own way first. Beside it
 * only 'fd', for a moment: a tool running at the same time (lsns, in the test
 * below) holds namespaces open while it reads them.
 */
function viaFits(via: string[], k: Known): boolean {
  return via[0] === k.via && via.slice(1).every((v) => v === 'fd')
}

scanTest({}, 'lsallns lists every zoo namespace, of every type, with its NPROCS, PID, USER, VIA and COMMAND, in aligned columns', async (t, scan) => {
  const { status, stdout, stderr } = await run([`--scan=${scan}`])
  t.is(status, 0, stderr)
  const rows = byKey(parseTable(t, stdout, false))
  const proc = scanProc(ALL_TYPES)
  const ids = knownIds(proc)
  t.deepEqual([...new Set(known.map((k) => k.type))].sort(), ALL_TYPES, 'the known namespaces cover every type')
  for (const k of known) {
    const row = rows.get(`${k.type}:${k.ino}`)
    if (!row) {
      t.fail(`${k.label} ${k.type}:[${k.ino}] is not listed`)
      continue
    }
    const pids = proc.members.get(`${k.type}:${k.ino}`) ?? []
    const rep = representative(pids, proc.ppid)
    // A process that made a mount namespace while a zoo bind mount existed holds
    // a copy of it: COMMAND names our own path and counts the copies.
    const command = k.via === 'bind-mount' ? row.cells.COMMAND.replace(/ and \d+ more\)$/, ')') : row.cells.COMMAND
    t.deepEqual(
      { ...row.cells, ID: undefined, VIA: undefined, COMMAND: command },
      {
        NS: String(k.ino),
        TYPE: k.type,
        NPROCS: String(pids.length),
        PID: rep === null ? '-' : String(rep),
        USER: userText(k.userUid),
        ID: undefined,
        VIA: undefined,
        // The zoo's processes run in no container.
        CONTAINER: '-',
        COMMAND: commandText(k, rep),
      },
      k.label,
    )
    t.regex(row.cells.ID, /^(?:-|\d+)$/, `${k.label}: ID`)
    const id = ids.get(`${k.type}:${k.ino}`)
    if (id !== undefined) t.is(row.cells.ID, id ?? '-', `${k.label}: ID as the kernel gives it`)
    t.true(viaFits(row.cells.VIA.split(','), k), `${k.label}: VIA ${row.cells.VIA}`)
  }
  // Our own namespaces, which lsns lists too, are there as well.
  for (const type of ALL_TYPES) t.true(rows.has(`${type}:${nsInode('self', type)}`), `our own ${type} namespace`)
})

scanTest({}, '-t keeps only the types asked for: repeated, or as a list; an unknown type is bad usage', async (t, scan) => {
  for (const args of [['-t', 'net', '-t', 'user'], ['-t', 'net,user'], ['--type=user', '--type', 'net']]) {
    const { status, stdout, stderr } = await run([...args, `--scan=${scan}`])
    t.is(status, 0, stderr)
    const rows = parseTable(t, stdout, false)
    t.deepEqual([...new Set(rows.map((r) => r.cells.TYPE))].sort(), ['net', 'user'], args.join(' '))
    const keys = byKey(rows)
    for (const k of known.filter((k) => k.type === 'net' || k.type === 'user')) t.true(keys.has(`${k.type}:${k.ino}`), `${k.label} with ${args.join(' ')}`)
  }
  const json = await run(['-t', 'time', '--json', `--scan=${scan}`])
  t.is(json.status, 0, json.stderr)
  const listed = (JSON.parse(json.stdout) as { namespaces: { type: string; ino: number }[] }).namespaces
  t.true(listed.every((ns) => ns.type === 'time'))
  t.true(listed.some((ns) => ns.ino === known.find((k) => k.label === 'flat-time')!.ino))
  for (const args of [['-t', 'bogus'], ['-t', 'net,'], ['-t']]) {
    const r = await run(args)
    t.is(r.status, 2, args.join(' '))
    t.is(r.stdout, '')
    t.true(r.stderr.startsWith('lsallns: '), r.stderr)
  }
})

scanTest({}, '--tree=parent hangs user and PID namespaces under their parent, the flat types at the top', async (t, scan) => {
  const { status, stdout, stderr } = await run(['--tree=parent', `--scan=${scan}`])
  t.is(status, 0, stderr)
  const rows = parseTable(t, stdout, true)
  const keys = byKey(rows)
  for (const [k, row] of knownRows(t, keys)) {
    if (k.parent === null) t.is(row.depth, 0, `${k.label}: a flat type is a root`)
    else t.is(`${row.parent?.cells.TYPE}:${row.parent?.cells.NS}`, `${k.type}:${k.parent}`, `${k.label} under its parent`)
  }
  for (const row of rows) if (row.parent) t.is(row.parent.cells.TYPE, row.cells.TYPE, `only ${row.cells.TYPE} under ${row.cells.TYPE}`)
  t.is(keys.get(`user:${zoo.self.user}`)?.depth, 0, 'our user namespace is a root')
  t.is(keys.get(`user:${zoo.byLabel.get('chain[3]')!.ino}`)?.depth, 4)
  t.is(keys.get(`pid:${zoo.byLabel.get('pid2-level2')!.ino}`)?.depth, 2)
  const short = await run(['-T', 'parent', '-t', 'pid', `--scan=${scan}`])
  t.is(short.status, 0, short.stderr)
  t.true(parseTable(t, short.stdout, true).every((r) => r.cells.TYPE === 'pid'))
})

scanTest({}, '--tree=owner hangs every namespace under its owning user namespace; with -t, owners are shown to hang them on', async (t, scan) => {
  const { status, stdout, stderr } = await run(['--tree=owner', `--scan=${scan}`])
  t.is(status, 0, stderr)
  const rows = parseTable(t, stdout, true)
  const keys = byKey(rows)
  for (const [k, row] of knownRows(t, keys)) {
    t.is(`${row.parent?.cells.TYPE}:${row.parent?.cells.NS}`, `user:${k.owner}`, `${k.label} under its owner`)
  }
  for (const row of rows) if (row.parent) t.is(row.parent.cells.TYPE, 'user', `${row.line}: only user namespaces own`)
  t.is(keys.get(`user:${zoo.self.user}`)?.depth, 0)
  // Under one owner, the namespaces of other types come before the child user namespaces.
  const underDetails = rows.filter((r) => r.parent?.cells.NS === String(zoo.byLabel.get('details-user')!.ino))
  t.deepEqual(underDetails.map((r) => r.cells.TYPE), ['ipc', 'net', 'pid', 'uts'])

  const net = await run(['--tree=owner', '-t', 'net', `--scan=${scan}`])
  t.is(net.status, 0, net.stderr)
  const netRows = parseTable(t, net.stdout, true)
  const netKeys = byKey(netRows)
  for (const k of known.filter((k) => k.type === 'net')) {
    const row = netKeys.get(`net:${k.ino}`)
    t.is(row && `${row.parent?.cells.TYPE}:${row.parent?.cells.NS}`, `user:${k.owner}`, `${k.label} under its owner with -t net`)
  }
  // The user namespaces there only hold net namespaces up: every one has some net namespace below it.
  for (const row of netRows.filter((r) => r.cells.TYPE === 'user')) {
    const below = netRows.slice(netRows.indexOf(row) + 1)
    const end = below.findIndex((r) => r.depth <= row.depth)
    t.true((end < 0 ? below : below.slice(0, end)).some((r) => r.cells.TYPE === 'net'), `user:[${row.cells.NS}] holds a net namespace`)
  }
})

const FIELDS = ['type', 'ino', 'parent', 'owner', 'ownerUid', 'ownerName', 'pid', 'process', 'processes', 'via'] as const

scanTest({}, '--json: the lsuserns schema for every type, plus id; exact fields for the known namespaces', async (t, scan) => {
  const { status, stdout, stderr } = await run(['--json', `--scan=${scan}`])
  t.is(status, 0, stderr)
  const parsed = JSON.parse(stdout) as { scan: string; namespaces: Record<string, unknown>[] }
  t.deepEqual(Object.keys(parsed), ['scan', 'namespaces'])
  t.is(parsed.scan, scan)
  t.deepEqual([...new Set(parsed.namespaces.map((ns) => ns.type as string))].sort(), ALL_TYPES)
  for (const ns of parsed.namespaces) {
    for (const field of [...FIELDS, 'id']) t.true(field in ns, `${String(ns.type)}:[${String(ns.ino)}] has ${field}`)
    t.true(ns.id === null || (typeof ns.id === 'string' && /^\d+$/.test(ns.id)), `id ${String(ns.id)}`)
  }
  const byKeyJson = new Map(parsed.namespaces.map((ns) => [`${String(ns.type)}:${String(ns.ino)}`, ns]))
  const proc = scanProc(ALL_TYPES)
  const ids = knownIds(proc)
  t.is(ids.size, known.filter((k) => k.via !== 'hierarchy').length, 'ids of all but the hidden namespaces')
  for (const k of known) {
    const id = ids.get(`${k.type}:${k.ino}`)
    const entry = byKeyJson.get(`${k.type}:${k.ino}`)
    if (!entry) {
      t.fail(`${k.label} missing from --json`)
      continue
    }
    const pids = proc.members.get(`${k.type}:${k.ino}`) ?? []
    const rep = representative(pids, proc.ppid)
    const ownerUid = k.type === 'user' ? k.userUid : null
    t.deepEqual(
      Object.fromEntries(FIELDS.map((f) => [f, f === 'via' ? undefined : entry[f]])),
      {
        type: k.type,
        ino: k.ino,
        parent: k.parent,
        owner: k.owner,
        ownerUid,
        ownerName: ownerUid === null ? null : userName(ownerUid),
        pid: rep,
        process: rep === null ? null : processName(rep),
        processes: pids.length,
        via: undefined,
      },
      k.label,
    )
    t.true(viaFits(entry.via as string[], k), `${k.label}: via ${JSON.stringify(entry.via)}`)
    if (id !== undefined) t.is(entry.id, id, `${k.label}: id as the kernel gives it`)
  }
})

/** `type:ns` of every namespace lsns lists, and each one's lowest pid. */
async function lsnsList(t: ExecutionContext): Promise<Map<string, number>> {
  const r = await runPiped(['lsns', '--json', '--output', 'NS,TYPE,NPROCS,PID'])
  t.is(r.status, 0, r.stderr)
  const { namespaces } = JSON.parse(r.stdout) as { namespaces: { ns: number; type: string; nprocs: number; pid: number }[] }
  return new Map(namespaces.map((ns) => [`${ns.type}:${ns.ns}`, ns.pid]))
}

scanTest({}, 'every namespace lsns lists, lsallns lists too; and it finds those lsns misses', async (t, scan) => {
  const lsns = await lsnsList(t)
  const r = await run(['--json', `--scan=${scan}`])
  t.is(r.status, 0, r.stderr)
  const ours = new Set((JSON.parse(r.stdout) as { namespaces: { type: string; ino: number }[] }).namespaces.map((ns) => `${ns.type}:${ns.ino}`))
  t.true(lsns.size > 0)
  for (const [key, pid] of lsns) {
    if (ours.has(key)) continue
    // Other tests run beside this one: a namespace whose process ended between the two runs is no miss.
    const [type, ino] = key.split(':')
    let still = false
    try {
      still = readlinkSync(`/proc/${pid}/ns/${type}`) === `${type}:[${ino}]`
    } catch {}
    t.false(still, `lsns lists ${key} (pid ${pid}), lsallns does not`)
  }
  const missed = known.filter((k) => k.via !== 'process')
  t.true(missed.some((k) => k.via === 'fd') && missed.some((k) => k.via === 'hierarchy'))
  if (isRoot) t.true(missed.some((k) => k.via === 'bind-mount'))
  for (const k of missed) {
    t.false(lsns.has(`${k.type}:${k.ino}`), `lsns misses ${k.label} (${k.via})`)
    t.true(ours.has(`${k.type}:${k.ino}`), `lsallns finds ${k.label} (${k.via})`)
  }
})

test('-h and --help print the usage; -V and --version the version of package.json', async (t) => {
  for (const flag of ['--help', '-h']) {
    const r = await run([flag])
    t.is(r.status, 0, flag)
    t.true(r.stdout.startsWith('Usage: lsallns '), r.stdout)
    for (const text of [/-t, --type/, /--tree=REL/, /--json/, /Exit status/, /USER/]) t.regex(r.stdout, text)
    t.is(r.stderr, '')
  }
  for (const flag of ['-V', '--version']) {
    const r = await run([flag])
    t.is(r.status, 0, flag)
    t.is(r.stdout, `lsallns (linuxns-rel) ${pkgVersion}\n`)
  }
})

test('bad usage exits 2 with a message on stderr and nothing on stdout', async (t) => {
  for (const args of [['--bogus'], ['-x'], ['--tree=sideways'], ['--tree'], ['--color=sometimes'], ['extra-argument']]) {
    const r = await run(args)
    t.is(r.status, 2, args.join(' '))
    t.is(r.stdout, '')
    t.true(r.stderr.startsWith('lsallns: '), r.stderr)
    t.true(r.stderr.includes("Try 'lsallns --help'"), r.stderr)
  }
})

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

test('colour: --color=always and -c colour the table, still aligned; never, piped auto and NO_COLOR do not', async (t) => {
  for (const args of [['--color=always'], ['-c', '--tree=owner']]) {
    const r = await run(args)
    t.is(r.status, 0, r.stderr)
    t.regex(r.stdout, ANSI, args.join(' '))
    parseTable(t, r.stdout.replace(ANSI, ''), args.includes('--tree=owner'))
  }
  for (const [args, env] of [
    [['--color=never'], {}],
    [[], {}],
    [['--color=auto'], { NO_COLOR: '1' }],
    [['--color=never'], { FORCE_COLOR: '1' }],
  ] as const) {
    const r = await run([...args], env)
    t.is(r.status, 0, r.stderr)
    t.notRegex(r.stdout, ANSI, `${args.join(' ')} ${JSON.stringify(env)}`)
  }
})

test('piped and as root: nothing on stderr', async (t) => {
  const r = await run([])
  t.is(r.status, 0)
  if (isRoot) t.is(r.stderr, '')
  else t.regex(r.stderr, /^lsallns: note: not running as root/)
})

rootTest(`as uid ${OTHER_UID}: exit 0, a note on stderr, and that uid's own user namespace listed (needs root)`, async (t) => {
  const z = zoo.byLabel.get('uid1000')!
  // From a copy that uid can read, wherever the clone is.
  const copy = packageCopy()
  t.teardown(copy.remove)
  const r = await runPiped(asUid(OTHER_UID, [process.execPath, copy.bin('lsallns')]))
  t.is(r.status, 0, r.stderr)
  t.regex(r.stderr, /^lsallns: note: not running as root/)
  const row = byKey(parseTable(t, r.stdout, false)).get(`user:${z.ino}`)
  t.truthy(row, `user:[${z.ino}] visible to uid ${OTHER_UID}`)
  t.is(row?.cells.PID, String(zoo.otherUidPid))
  t.is(row?.cells.USER, userText(OTHER_UID))
  t.is(row?.cells.COMMAND, 'sleep')
})
