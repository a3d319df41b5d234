// bin/lsuserns and bin/lspidns, run as child processes, against the zoo's
// ground truth; what they find, under both scans (BPF and /proc).
import test, { type ExecutionContext } from 'ava'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

import { packageCopy } from './helpers/package-copy.js'
import { scanTest } from './helpers/scans.js'
import { OTHER_UID, type Run, asUid, isRoot, nsInode, runPiped } from './helpers/procs.js'
import { type Zoo, type ZooNamespace, buildZoo, processName, representative, scanProc, userName } from './helpers/zoo.js'

const bin = (name: string): string => fileURLToPath(new URL(`../bin/${name}`, import.meta.url))
const pkgVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

let zoo: Zoo

test.before(async () => {
  zoo = await buildZoo()
})

test.after.always(async () => {
  await zoo?.remove()
})

const rootTest = isRoot ? test : test.skip

/** Runs a tool with stdout and stderr piped; `prefix` runs it through another command (setpriv). */
function run(tool: string, args: string[], env: Record<string, string | undefined> = {}, prefix: string[] = []): Promise<Run> {
  return runPiped([...prefix, process.execPath, bin(tool), ...args], env)
}

interface Node {
  type: string
  ino: number
  text: string
  depth: number
  parent: Node | null
  details: { type: string; ino: number; text: string }[]
}

/** Rebuilds the tree from the `├── `, `└── `, `│   ` and blank prefixes. */
function parseTree(t: ExecutionContext, output: string): Map<string, Node> {
  const nodes = new Map<string, Node>()
  const stack: Node[] = []
  let last: Node | undefined
  for (const line of output.split('\n')) {
    if (line === '') continue
    const match = /^((?:│ {3}| {4}|├── |└── )*)(.*)$/u.exec(line)!
    const prefix = match[1]!
    const rest = match[2]!
    const depth = [...prefix].length / 4
    const detail = /^(?:│ | {2})(\w+):\[(\d+)\] (.*)$/u.exec(rest)
    if (detail) {
      if (!last) return t.fail(`a detail line before any namespace: ${line}`), nodes
      last.details.push({ type: detail[1]!, ino: Number(detail[2]), text: detail[3]! })
      continue
    }
    const entry = /^(\w+):\[(\d+)\] (.*)$/u.exec(rest)
    if (!entry) {
      t.fail(`unparsable line: ${JSON.stringify(line)}`)
      continue
    }
    // Only the last group of a prefix is a branch; the others are continuation.
    if (depth > 0 && !/[├└]── $/u.test(prefix)) t.fail(`no branch at the end of ${JSON.stringify(prefix)}`)
    if (depth > stack.length) t.fail(`line jumps ${depth - stack.length} levels: ${line}`)
    stack.length = depth
    const node: Node = { type: entry[1]!, ino: Number(entry[2]), text: entry[3]!, depth, parent: stack[depth - 1] ?? null, details: [] }
    if (nodes.has(`${node.type}:${node.ino}`)) t.fail(`${node.type}:[${node.ino}] appears twice`)
    nodes.set(`${node.type}:${node.ino}`, node)
    stack.push(node)
    last = node
  }
  return nodes
}

/** `root (0)`, or the bare uid where there is no user name. */
function ownerText(uid: number): string {
  const name = userName(uid)
  return name === null ? `${uid}` : `${name} (${uid})`
}

/** What the tool must say keeps a zoo namespace. */
function holderText(z: ZooNamespace, rep: number | null): string {
  if (z.via === 'fd') return `no process (held by fd ${z.fdHolder!.fd} of pid ${z.fdHolder!.pid})`
  if (z.via === 'bind-mount') return `no process (bind mount ${z.bindMount})`
  if (z.via === 'hierarchy') return 'no process (hidden)'
  return `process "${processName(rep!)}" (${rep})`
}

function checkTree(t: ExecutionContext, output: string, kind: 'user' | 'pid'): Map<string, Node> {
  const nodes = parseTree(t, output)
  const scan = scanProc([kind])
  for (const node of nodes.values()) t.is(node.type, kind, `${node.type}:[${node.ino}] in the ${kind} tree`)
  for (const z of zoo.namespaces.filter((z) => z.type === kind)) {
    const what = `${z.label} ${z.type}:[${z.ino}]`
    const node = nodes.get(`${kind}:${z.ino}`)
    if (!node) {
      t.fail(`${what} is not in the tree`)
      continue
    }
    t.is(node.parent?.ino, z.parent!, `${what} sits under its parent`)
    const rep = representative(scan.members.get(`${kind}:${z.ino}`) ?? [], scan.ppid)
    if (z.via === 'fd') {
      // Another process (a discovery running beside this test) may hold the
      // namespace for a moment too: the line then names the first holder and
      // counts the others.
      const held = /^no process \(held by fd (\d+) of pid (\d+)( and \d+ more)?\) /.exec(node.text)
      t.truthy(held, `${what}: ${node.text}`)
      const first = held?.[1] === String(z.fdHolder!.fd) && held?.[2] === String(z.fdHolder!.pid)
      t.true(first || held?.[3] !== undefined, `${what}: ${node.text}`)
    } else {
      // A copy of a bind mount in a mount namespace made meanwhile is counted after our own path.
      const text = z.via === 'bind-mount' ? node.text.replace(/ and \d+ more\) /, ') ') : node.text
      t.true(text.startsWith(`${holderText(z, rep)} `), `${what}: ${node.text}`)
    }
    if (kind === 'user') {
      t.true(node.text.endsWith(` owner ${ownerText(z.ownerUid!)}`), `${what}: ${node.text}`)
    } else {
      // A PID namespace's owner is its user namespace, named by inode (README).
      t.true(node.text.endsWith(` owner user:[${z.owner}]`), `${what}: ${node.text}`)
    }
  }
  return nodes
}

scanTest({}, 'lsuserns draws every zoo user namespace under its true parent, with what keeps it and its owner', async (t, scan) => {
  const { status, stdout, stderr } = await run('lsuserns', [`--scan=${scan}`])
  t.is(status, 0, stderr)
  const nodes = checkTree(t, stdout, 'user')
  // Our own user namespace is a root of the forest (we run at the top of what we see).
  t.is(nodes.get(`user:${zoo.self.user}`)?.depth, 0)
  // The chain is four levels deep below ours.
  t.is(nodes.get(`user:${zoo.byLabel.get('chain[3]')!.ino}`)?.depth, 4)
})

scanTest({}, 'lspidns draws every zoo PID namespace under its true parent, naming the owning user namespace', async (t, scan) => {
  const { status, stdout, stderr } = await run('lspidns', [`--scan=${scan}`])
  t.is(status, 0, stderr)
  const nodes = checkTree(t, stdout, 'pid')
  t.is(nodes.get(`pid:${zoo.byLabel.get('pid2-level2')!.ino}`)?.depth, 2)
})

/** The fields of one zoo namespace as --json must print them. */
function expectedJson(z: ZooNamespace, scan: ReturnType<typeof scanProc>): Record<string, unknown> {
  const pids = scan.members.get(`${z.type}:${z.ino}`) ?? []
  const rep = representative(pids, scan.ppid)
  // ownerUid and ownerName belong to user namespaces; null otherwise (README).
  const ownerUid = z.type === 'user' ? z.ownerUid : null
  return {
    type: z.type,
    ino: z.ino,
    parent: z.parent,
    owner: z.owner,
    ownerUid,
    ownerName: ownerUid === null ? null : userName(ownerUid),
    pid: rep,
    process: rep === null ? null : processName(rep),
    processes: pids.length,
    via: [z.via],
  }
}

const FIELDS = ['type', 'ino', 'parent', 'owner', 'ownerUid', 'ownerName', 'pid', 'process', 'processes', 'via'] as const

for (const [tool, kind] of [
  ['lsuserns', 'user'],
  ['lspidns', 'pid'],
] as const) {
  scanTest({}, `${tool} --json lists the zoo's ${kind} namespaces with exact fields`, async (t, scan) => {
    const { status, stdout, stderr } = await run(tool, ['--json', `--scan=${scan}`])
    t.is(status, 0, stderr)
    const parsed = JSON.parse(stdout) as { scan: string; namespaces: Record<string, unknown>[] }
    t.deepEqual(Object.keys(parsed), ['scan', 'namespaces'])
    t.is(parsed.scan, scan)
    t.true(parsed.namespaces.every((ns) => ns.type === kind), `only ${kind} namespaces without -d`)
    const byIno = new Map(parsed.namespaces.map((ns) => [ns.ino, ns]))
    const truth = scanProc([kind])
    for (const z of zoo.namespaces.filter((z) => z.type === kind)) {
      const entry = byIno.get(z.ino)
      if (!entry) {
        t.fail(`${z.label} missing from --json`)
        continue
      }
      t.deepEqual(Object.fromEntries(FIELDS.map((f) => [f, entry[f]])), expectedJson(z, truth), z.label)
    }
  })
}

scanTest({}, 'lsuserns -d lists the namespaces each user namespace owns', async (t, scan) => {
  const { status, stdout, stderr } = await run('lsuserns', ['-d', `--scan=${scan}`])
  t.is(status, 0, stderr)
  const nodes = checkTree(t, stdout, 'user')
  const owner = zoo.byLabel.get('details-user')!
  const owned = zoo.namespaces.filter((z) => z.type !== 'user' && z.owner === owner.ino)
  t.deepEqual(owned.map((z) => z.type).sort(), ['ipc', 'net', 'pid', 'uts'])
  const details = nodes.get(`user:${owner.ino}`)?.details ?? []
  // Every namespace our scan finds in the details processes that the user namespace owns.
  t.deepEqual(
    details.map((d) => `${d.type}:${d.ino}`).sort(),
    owned.map((z) => `${z.type}:${z.ino}`).sort(),
  )
  // The details of another namespace don't go astray: nothing the zoo's details-user owns sits elsewhere.
  for (const node of nodes.values()) {
    if (node.ino === owner.ino) continue
    for (const d of node.details) t.false(owned.some((z) => z.ino === d.ino), `${d.type}:[${d.ino}] under user:[${node.ino}]`)
  }
  const pidOwned = zoo.byLabel.get('pid2-level1')!
  t.true(
    (nodes.get(`user:${pidOwned.owner}`)?.details ?? []).some((d) => d.type === 'pid' && d.ino === pidOwned.ino),
    'the two-level PID namespaces are listed under their owner',
  )

  const json = await run('lsuserns', ['-d', '--json', `--scan=${scan}`])
  t.is(json.status, 0, json.stderr)
  const listed = new Map((JSON.parse(json.stdout) as { namespaces: { type: string; ino: number; owner: number }[] }).namespaces.map((ns) => [`${ns.type}:${ns.ino}`, ns]))
  for (const z of owned) t.is(listed.get(`${z.type}:${z.ino}`)?.owner, owner.ino, `${z.label} in -d --json`)
})

scanTest({}, 'lspidns -d lists the namespaces of each PID namespace\'s process', async (t, scan) => {
  const { status, stdout, stderr } = await run('lspidns', ['-d', `--scan=${scan}`])
  t.is(status, 0, stderr)
  const nodes = checkTree(t, stdout, 'pid')
  const pidns = zoo.byLabel.get('details-pid')!
  const details = new Set((nodes.get(`pid:${pidns.ino}`)?.details ?? []).map((d) => `${d.type}:${d.ino}`))
  // Exactly the namespaces of the other types its process is in, read from /proc ourselves.
  t.deepEqual(
    [...details].sort(),
    ['cgroup', 'ipc', 'mnt', 'net', 'time', 'user', 'uts'].map((type) => `${type}:${nsInode(zoo.detailsPid, type)}`).sort(),
  )
  for (const label of ['details-user', 'details-net', 'details-uts', 'details-ipc']) {
    const z = zoo.byLabel.get(label)!
    t.true(details.has(`${z.type}:${z.ino}`), `${label} under pid:[${pidns.ino}]`)
  }
})

test('--help and -h print the usage and exit 0; -V prints the version of package.json', async (t) => {
  for (const tool of ['lsuserns', 'lspidns']) {
    for (const flag of ['--help', '-h']) {
      const r = await run(tool, [flag])
      t.is(r.status, 0, `${tool} ${flag}`)
      t.true(r.stdout.startsWith(`Usage: ${tool} `), r.stdout)
      t.regex(r.stdout, /--json/)
      t.regex(r.stdout, /-d, --details/)
      t.regex(r.stdout, /Exit status/)
    }
    for (const flag of ['-V', '--version']) {
      const r = await run(tool, [flag])
      t.is(r.status, 0, `${tool} ${flag}`)
      t.is(r.stdout, `${tool} (linuxns-rel) ${pkgVersion}\n`)
    }
  }
})

test('a bad option exits 2 with a message on stderr and nothing on stdout', async (t) => {
  for (const [tool, args] of [
    ['lsuserns', ['--bogus']],
    ['lspidns', ['-x']],
    ['lsuserns', ['--color=sometimes']],
    ['lspidns', ['extra-argument']],
  ] as const) {
    const r = await run(tool, [...args])
    t.is(r.status, 2, `${tool} ${args.join(' ')}`)
    t.is(r.stdout, '')
    t.true(r.stderr.startsWith(`${tool}: `), r.stderr)
    t.true(r.stderr.includes(`Try '${tool} --help'`), r.stderr)
  }
})

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/

test('colour: --color=always and -c colour the tree; never, piped auto and NO_COLOR do not', async (t) => {
  for (const args of [['--color=always'], ['-c'], ['--color', 'always']]) {
    const r = await run('lsuserns', args)
    t.is(r.status, 0, r.stderr)
    t.regex(r.stdout, ANSI, args.join(' '))
    // Without the escapes, the same tree.
    t.notThrows(() => checkTree(t, r.stdout.replace(new RegExp(ANSI, 'g'), ''), 'user'))
  }
  for (const [args, env] of [
    [['--color=never'], {}],
    [[], {}],
    [['--color=auto'], {}],
    [['--color=auto'], { NO_COLOR: '1' }],
    [['--color=never'], { FORCE_COLOR: '1' }],
  ] as const) {
    const r = await run('lspidns', [...args], env)
    t.is(r.status, 0, r.stderr)
    t.notRegex(r.stdout, ANSI, `${args.join(' ')} ${JSON.stringify(env)}`)
  }
})

test('colour: auto colours on a terminal, unless NO_COLOR is set or colour is off', async (t) => {
  // script(1) runs the tool with a pseudo-terminal as its output.
  const onTerminal = (args: string[], env: Record<string, string> = {}): Promise<Run> => {
    const command = [process.execPath, bin('lsuserns'), ...args].map((a) => `'${a}'`).join(' ')
    return runPiped(['script', '--quiet', '--return', '--command', command, '/dev/null'], env)
  }
  for (const args of [[], ['--color=auto']]) {
    const r = await onTerminal(args)
    t.is(r.status, 0, r.stderr)
    t.regex(r.stdout, ANSI, args.join(' '))
  }
  for (const [args, env] of [
    [[], { NO_COLOR: '1' }],
    [['--color=never'], {}],
  ] as const) {
    const r = await onTerminal([...args], env)
    t.is(r.status, 0, r.stderr)
    t.notRegex(r.stdout, ANSI, `${args.join(' ')} ${JSON.stringify(env)}`)
    t.regex(r.stdout, /user:\[\d+\]/)
  }
})

test('a reader slower than the tool still gets all of its output: the tool ends only once it is written', async (t) => {
  // A process named with 100,000 bytes makes the output outgrow a pipe's
  // 64 KiB, so that the tool waits on its reader before it may exit.
  const name = 'n'.repeat(100_000)
  const child = spawn('unshare', ['-U', 'bash', '-c', 'exec -a "$0" sleep infinity', name], { stdio: 'ignore' })
  t.teardown(() => child.kill('SIGKILL'))
  const named = (): boolean => {
    try {
      return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').startsWith(`${name}\0`)
    } catch {
      return false
    }
  }
  for (let waited = 0; !named() && waited < 10_000; waited += 10) await sleep(10)
  t.true(named(), 'the process with the long name is running')
  const ino = nsInode(child.pid!, 'user')
  const command = 'set -o pipefail; "$0" "$1" --json | { sleep 0.5; cat; }'
  const r = await runPiped(['bash', '-c', command, process.execPath, bin('lsuserns')])
  t.is(r.status, 0, r.stderr)
  t.true(r.stdout.length > 100_000, `${r.stdout.length} bytes`)
  const { namespaces } = JSON.parse(r.stdout) as { namespaces: { ino: number; process: string | null }[] }
  // Not t.is: a failure would print both names in full.
  t.true(namespaces.find((ns) => ns.ino === ino)?.process === name, `user:[${ino}] named by the long name`)
})

test('where Node has work at exit (V8 coverage, a profiler, an exit listener preloaded), the tools exit through Node, which does it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-exit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const preload = join(dir, 'at-exit.cjs')
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'listener', 'ran'))}, ''))\n`)
  mkdirSync(join(dir, 'listener'))
  for (const [what, nodeArgs, env, ending] of [
    ['coverage', [], { NODE_V8_COVERAGE: join(dir, 'coverage') }, '.json'],
    ['profiles', ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profiles')}`], {}, '.cpuprofile'],
    ['listener', [], { NODE_OPTIONS: `--require=${preload}` }, 'ran'],
  ] as const) {
    const r = await runPiped([process.execPath, ...nodeArgs, bin('lsuserns')], env)
    t.is(r.status, 0, r.stderr)
    t.regex(r.stdout, /^user:\[\d+\]/)
    const where = join(dir, what)
    t.true(existsSync(where) && readdirSync(where).some((f) => f.endsWith(ending)), `${what}: a ${ending} file in ${where}`)
  }
})

test('as root there is no note on stderr', async (t) => {
  const r = await run('lsuserns', [])
  t.is(r.status, 0)
  if (isRoot) t.is(r.stderr, '')
  else t.regex(r.stderr, /note: not running as root/)
})

rootTest(`as uid ${OTHER_UID}: a note on stderr, exit 0, and that uid's own user namespace in the tree (needs root)`, async (t) => {
  const z = zoo.byLabel.get('uid1000')!
  // From a copy that uid can read, wherever the clone is.
  const copy = packageCopy()
  t.teardown(copy.remove)
  for (const tool of ['lsuserns', 'lspidns']) {
    const r = await runPiped(asUid(OTHER_UID, [process.execPath, copy.bin(tool)]))
    t.is(r.status, 0, r.stderr)
    t.regex(r.stderr, new RegExp(`^${tool}: note: not running as root`))
    t.not(r.stdout, '')
    if (tool === 'lsuserns') {
      const nodes = parseTree(t, r.stdout)
      const node = nodes.get(`user:${z.ino}`)
      t.truthy(node, `user:[${z.ino}] visible to uid ${OTHER_UID}`)
      t.is(node?.parent?.ino, z.parent!)
      t.is(node?.text, `process "sleep" (${zoo.otherUidPid}) owner ${ownerText(OTHER_UID)}`)
    }
  }
})
