// Containers of real engines (Docker, containerd through `ctr` as the CRI
// plugin makes pods, podman, a Docker daemon with --userns-remap), started by
// .ci/docker-testbed.sh, against ground truth read independently: `docker
// inspect`, the containerd task's init.pid, `podman inspect`, and the
// /proc/PID/ns links by stat(2); what discovery says of them under both
// scans (BPF and /proc). Skipped with the reason where the engines cannot
// run (not root, no dockerd). Ends only the containers it made.
import test, { type ExecutionContext } from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

import { type ContainerNamespace, type DiscoveredNamespace, type ListedContainer, type NstypeName, discover } from '../index.js'
import { containerLabel, containersText, isolationText } from '../lib/labels.js'
import { packageCopy } from './helpers/package-copy.js'
import { testNeeding } from './helpers/needs.js'
import { type Run, inode, isRoot, nsInode, runPiped } from './helpers/procs.js'
import { type TestedScan, checkSameModel, scanTest } from './helpers/scans.js'

const TYPES: NstypeName[] = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']
const DOCKER = '/usr/bin/docker'
const IMAGE = 'linuxns-rel-busybox:test'
const script = fileURLToPath(new URL('../.ci/docker-testbed.sh', import.meta.url))
const bin = (name: string): string => fileURLToPath(new URL(`../bin/${name}`, import.meta.url))

function sh(program: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(program, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

/** Why the engines cannot run here, or null: the test bed is brought up once. */
const cannot: string | null = (() => {
  if (!isRoot) return 'the engines need root'
  try {
    sh('bash', [script, 'up'])
    return null
  } catch (err) {
    return `the test bed cannot start: ${String((err as { stderr?: string }).stderr ?? err).trim()}`
  }
})()
const STATE = process.env.LINUXNS_REL_TESTBED_STATE ?? '/run/linuxns-rel-testbed'
const engineTest = (title: string, fn: (t: ExecutionContext) => Promise<void> | void): void => testNeeding({ blocked: cannot }, title, fn)
/** `engineTest` once for each scan, as `scanTest` does. */
const engineScanTest = (title: string, fn: (t: ExecutionContext, scan: TestedScan) => Promise<void> | void): void =>
  scanTest({ blocked: cannot }, title, fn)

const docker = (...args: string[]): string => sh(DOCKER, args)
const tag = `lnsrel-ts-${process.pid}`
const name = (n: string): string => `${tag}-${n}`
const madeDocker: string[] = []
const madeCtr: string[] = []
const madePodman: string[] = []

function run(tool: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<Run> {
  return runPiped([process.execPath, bin(tool), ...args], env)
}

async function lscontainers(t: ExecutionContext, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<ListedContainer[]> {
  const out = await run('lscontainers', ['--json', ...args], env)
  t.is(out.status, 0, out.stderr)
  return (JSON.parse(out.stdout) as { containers: ListedContainer[] }).containers
}

async function lsallns(t: ExecutionContext, scan: TestedScan, args: string[] = []): Promise<DiscoveredNamespace[]> {
  const out = await run('lsallns', ['--json', `--scan=${scan}`, ...args])
  t.is(out.status, 0, out.stderr)
  return (JSON.parse(out.stdout) as { namespaces: DiscoveredNamespace[] }).namespaces
}

function dockerRun(n: string, ...args: string[]): string {
  const id = docker('run', '-d', '--name', name(n), ...args, IMAGE, 'sleep', '3600')
  madeDocker.push(id)
  return id
}

/** What `docker inspect` says of the running containers, by id. */
interface Truth {
  id: string
  name: string
  image: string
  pid: number
}

function inspectAll(host: string[] = []): Map<string, Truth> {
  const ids = sh(DOCKER, [...host, 'ps', '-q', '--no-trunc']).split('\n').filter(Boolean)
  const truth = new Map<string, Truth>()
  if (ids.length === 0) return truth
  const list = JSON.parse(sh(DOCKER, [...host, 'inspect', ...ids])) as {
    Id: string
    Name: string
    Config: { Image: string }
    State: { Pid: number; Running: boolean }
  }[]
  for (const c of list) {
    if (c.State.Running) truth.set(c.Id, { id: c.Id, name: c.Name.replace(/^\//, ''), image: c.Config.Image, pid: c.State.Pid })
  }
  return truth
}

const hostIno = (type: NstypeName): number => inode(`/proc/2/ns/${type}`)

/**
 * Each namespace of each container as the ground truth has it: the inode by
 * stat(2) of the init's link; host where it is PID 2's; shared with the
 * other containers (of `all`, by name) in it, sorted.
 */
function expectedNamespaces(pid: number, all: { name: string; pid: number }[]): Record<NstypeName, ContainerNamespace> {
  const out = {} as Record<NstypeName, ContainerNamespace>
  for (const type of TYPES) {
    const ino = nsInode(pid, type)
    if (ino === hostIno(type)) {
      out[type] = { ino, state: 'host', with: [] }
      continue
    }
    const others = all.filter((o) => o.pid !== pid && nsInode(o.pid, type) === ino).map((o) => o.name)
    others.sort()
    out[type] = { ino, state: others.length > 0 ? 'shared' : 'own', with: others }
  }
  return out
}

/** The containerd pod: a sandbox and two containers joining its net, ipc and uts namespaces. */
const pod = { name: `web-${process.pid}`, uid: '', sandbox: '', members: [] as string[] }
const ctrRoot = '/run/containerd/io.containerd.runtime.v2.task/k8s.io'
const ctrPid = (id: string): number => Number(readFileSync(`${ctrRoot}/${id}/init.pid`, 'utf8').trim())
const randomId = (): string => (readFileSync('/proc/sys/kernel/random/uuid', 'utf8') + readFileSync('/proc/sys/kernel/random/uuid', 'utf8')).replace(/[^0-9a-f]/g, '').slice(0, 64)

function ctrRun(id: string, kind: 'sandbox' | 'container', extra: string[]): void {
  const image = `docker.io/library/${IMAGE}`
  const annotations = [
    `io.kubernetes.cri.container-type=${kind}`,
    `io.kubernetes.cri.sandbox-id=${pod.sandbox}`,
    `io.kubernetes.cri.sandbox-name=${pod.name}`,
    'io.kubernetes.cri.sandbox-namespace=default',
    `io.kubernetes.cri.sandbox-uid=${pod.uid}`,
    ...(kind === 'container' ? [`io.kubernetes.cri.container-name=${id.slice(0, 8)}`, `io.kubernetes.cri.image-name=${image}`] : []),
  ]
  madeCtr.push(id)
  sh('ctr', [
    '-n', 'k8s.io', 'run', '-d', '--null-io',
    '--cgroup', `/kubepods/besteffort/pod${pod.uid}/${id}`,
    ...annotations.flatMap((a) => ['--annotation', a]),
    ...extra,
    image, id, 'sleep', '3600',
  ])
}

let podmanId: string | null = null
let podmanWhy = ''
const PODMAN_ENV = { ...process.env, CONTAINERS_CONF: `${STATE}/containers.conf` }

test.before(() => {
  if (cannot !== null) return
  const web = dockerRun('web', '--label', `com.docker.compose.project=${tag}`, '--label', 'com.docker.compose.service=web')
  dockerRun('shares-net', '--network', `container:${web}`)
  dockerRun('host-net', '--network', 'host')
  dockerRun('host-pid', '--pid', 'host')
  const ipc = dockerRun('ipc', '--ipc', 'shareable')
  dockerRun('ipc-joiner', '--ipc', `container:${ipc}`)
  pod.uid = readFileSync('/proc/sys/kernel/random/uuid', 'utf8').trim()
  pod.sandbox = randomId()
  ctrRun(pod.sandbox, 'sandbox', [])
  const sandboxPid = ctrPid(pod.sandbox)
  for (let i = 0; i < 2; i++) {
    const id = randomId()
    const join = ['network:net', 'ipc:ipc', 'uts:uts'].flatMap((j) => {
      const [flag, type] = j.split(':')
      return ['--with-ns', `${flag}:/proc/${sandboxPid}/ns/${type}`]
    })
    ctrRun(id, 'container', join)
    pod.members.push(id)
  }
  try {
    podmanId = sh('podman', ['run', '-d', '--name', name('podman'), `localhost/${IMAGE}`, 'sleep', '3600'], PODMAN_ENV)
    madePodman.push(podmanId)
  } catch (err) {
    podmanWhy = String((err as { stderr?: string }).stderr ?? err).trim()
  }
})

test.after.always(() => {
  if (madeDocker.length > 0) sh(DOCKER, ['rm', '-f', ...madeDocker])
  for (const id of [...madeCtr].reverse()) {
    try {
      sh('ctr', ['-n', 'k8s.io', 'task', 'kill', '-s', 'KILL', id])
    } catch {
      // not running
    }
  }
  for (const id of [...madeCtr].reverse()) {
    for (let i = 0; i < 50; i++) {
      try {
        sh('ctr', ['-n', 'k8s.io', 'task', 'delete', id])
        break
      } catch {
        execFileSync('sleep', ['0.1'])
      }
    }
    try {
      sh('ctr', ['-n', 'k8s.io', 'container', 'delete', id])
    } catch {
      // gone
    }
  }
  for (const id of madePodman) sh('podman', ['rm', '-f', '-t', '0', id], PODMAN_ENV)
})

/** Our containers of every engine, by name, with their inits' pids, as the ground truth knows them. */
function ours(truth: Map<string, Truth>): { name: string; pid: number }[] {
  const list = [...truth.values()].map((c) => ({ name: c.name, pid: c.pid }))
  list.push({ name: pod.name, pid: ctrPid(pod.sandbox) })
  for (const id of pod.members) list.push({ name: id.slice(0, 8), pid: ctrPid(id) })
  if (podmanId !== null) list.push({ name: name('podman'), pid: Number(sh('podman', ['inspect', '-f', '{{.State.Pid}}', podmanId], PODMAN_ENV)) })
  return list
}

engineTest('lscontainers --json matches docker inspect and /proc for every Docker container and every type', async (t) => {
  const before = inspectAll()
  const listed = await lscontainers(t)
  const after = inspectAll()
  const all = ours(after)
  const dockerListed = listed.filter((c) => c.engine === 'docker')
  // Every container running throughout is listed; every one listed ran at some point.
  for (const id of before.keys()) if (after.has(id)) t.true(dockerListed.some((c) => c.id === id), `${id} not listed`)
  for (const c of dockerListed) t.true(before.has(c.id) || after.has(c.id), `${c.id} listed, unknown to docker`)
  for (const c of dockerListed.filter((c) => before.has(c.id) && after.has(c.id))) {
    const truth = after.get(c.id)!
    t.deepEqual(
      c,
      {
        engine: 'docker',
        id: truth.id,
        name: truth.name,
        pid: truth.pid,
        image: truth.image,
        pod: null,
        podNamespace: null,
        namespaces: expectedNamespaces(truth.pid, all),
      },
      truth.name,
    )
  }
})

engineTest('each kind of sharing says what the container has: own, host, or the other containers', async (t) => {
  const listed = await lscontainers(t)
  const byName = (n: string): ListedContainer => listed.find((c) => c.name === name(n)) ?? t.fail(`${n} not listed`) as never
  const state = (n: string, type: NstypeName): [string | null, string[]] => [byName(n).namespaces[type].state, byName(n).namespaces[type].with]
  t.deepEqual(state('web', 'net'), ['shared', [name('shares-net')]])
  t.deepEqual(state('shares-net', 'net'), ['shared', [name('web')]])
  t.deepEqual(state('web', 'uts'), ['own', []])
  t.deepEqual(state('shares-net', 'uts'), ['own', []])
  t.deepEqual(state('host-net', 'net'), ['host', []])
  t.deepEqual(state('host-net', 'pid'), ['own', []])
  t.deepEqual(state('host-pid', 'pid'), ['host', []])
  t.deepEqual(state('ipc', 'ipc'), ['shared', [name('ipc-joiner')]])
  t.deepEqual(state('ipc-joiner', 'ipc'), ['shared', [name('ipc')]])
  t.deepEqual(state('web', 'user'), ['host', []])
  // The table says the same, in its words.
  const table = await run('lscontainers')
  t.is(table.status, 0, table.stderr)
  const [header, ...lines] = table.stdout.trimEnd().split('\n')
  const columns = header!.split(/\s+/)
  t.deepEqual(columns, ['ENGINE', 'NAME', 'ID', 'PID', 'IMAGE', ...TYPES])
  const row = (n: string): Record<string, string> => {
    const cells = lines.map((l) => l.split(/\s+/)).find((c) => c[1] === name(n)) ?? []
    return Object.fromEntries(columns.map((col, i) => [col, cells[i] ?? '']))
  }
  t.like(row('web'), { ENGINE: 'docker', net: `=${name('shares-net')}`, uts: 'own', user: 'host', ID: byName('web').id.slice(0, 12), PID: String(byName('web').pid), IMAGE: IMAGE })
  t.like(row('host-net'), { net: 'host', pid: 'own' })
  t.like(row('host-pid'), { pid: 'host', net: 'own' })
  t.like(row('ipc-joiner'), { ipc: `=${name('ipc')}` })
  t.like(row('web'), { NAME: `${tag}-web` }, 'compose labels leave the name Docker gave')
})

engineTest("discover() gives the containers' namespaces, field by field, the same through BPF and through /proc", (t) => {
  const procfs = discover({ types: TYPES, scan: 'procfs' })
  const bpf = discover({ types: TYPES, scan: 'bpf' })
  // The namespaces that are not the host's of the containers made before the tests:
  // the tests that run beside this one make and stop others.
  const before = new Set(['web', 'shares-net', 'host-net', 'host-pid', 'ipc', 'ipc-joiner', 'podman'].map(name))
  const made = ours(inspectAll()).filter((c) => before.has(c.name) || !c.name.startsWith(tag))
  const inos = new Set(made.flatMap(({ pid }) => TYPES.map((type) => nsInode(pid, type)).filter((ino, i) => ino !== hostIno(TYPES[i]!))))
  t.true(procfs.namespaces.some((ns) => inos.has(ns.ino) && ns.containers.length > 0), 'namespaces with their containers')
  t.log(`${inos.size} namespaces of ${made.length} containers`)
  checkSameModel(t, procfs, bpf, [...inos], 'containers')
})

engineScanTest('lsallns names the containers of each namespace; the host namespaces are host and list none', async (t, scan) => {
  const truth = inspectAll()
  const pidOf = (n: string): number => [...truth.values()].find((c) => c.name === name(n))!.pid
  const namespaces = await lsallns(t, scan)
  const at = (pid: number, type: NstypeName): DiscoveredNamespace => namespaces.find((ns) => ns.ino === nsInode(pid, type))!
  const names = (ns: DiscoveredNamespace): string[] => ns.containers.map((c) => `${c.engine}:${c.name}`)
  t.deepEqual(names(at(pidOf('web'), 'net')), [`docker:${name('shares-net')}`, `docker:${name('web')}`])
  t.deepEqual(names(at(pidOf('web'), 'uts')), [`docker:${name('web')}`])
  t.like(at(pidOf('web'), 'uts').containers[0], { engine: 'docker', name: name('web'), image: IMAGE, pod: null, podNamespace: null })
  for (const type of TYPES) {
    const host = namespaces.find((ns) => ns.ino === hostIno(type))!
    t.true(host.host, type)
    t.deepEqual(host.containers, [], type)
  }
  t.false(at(pidOf('web'), 'net').host)
  t.is(namespaces.filter((ns) => ns.host).length, TYPES.length)
  // The pod: its sandbox's network namespace is the pod's, once.
  const podNet = at(ctrPid(pod.sandbox), 'net')
  t.is(podNet.containers.length, 3)
  t.true(podNet.containers.every((c) => c.engine === 'containerd' && c.pod === pod.name && c.podNamespace === 'default'))
  // The table's CONTAINER column.
  const table = await run('lsallns', ['-t', 'net,uts', `--scan=${scan}`])
  t.is(table.status, 0, table.stderr)
  const cell = (ino: number): string | undefined => table.stdout.split('\n').find((l) => l.startsWith(`${ino} `))?.split(/\s+/)[7]
  t.is(table.stdout.split('\n')[0]!.split(/\s+/)[8], 'CONTAINER')
  t.is(cell(nsInode(pidOf('web'), 'net')), `docker:${name('shares-net')},+1`)
  t.is(cell(nsInode(pidOf('web'), 'uts')), `docker:${name('web')}`)
  t.is(cell(podNet.ino), `k8s:default/${pod.name}`)
  t.is(cell(hostIno('net')), '-')
  // Off: no containers, the host all the same.
  const off = await lsallns(t, scan, ['--no-containers'])
  t.true(off.every((ns) => ns.containers.length === 0))
  t.deepEqual(off.filter((ns) => ns.host).map((ns) => ns.ino).sort(), TYPES.map(hostIno).sort())
})

engineScanTest('lspidns and lsuserns name the containers after the process', async (t, scan) => {
  const truth = inspectAll()
  const web = [...truth.values()].find((c) => c.name === name('web'))!
  const pidns = await run('lspidns', [`--scan=${scan}`])
  t.is(pidns.status, 0, pidns.stderr)
  const line = pidns.stdout.split('\n').find((l) => l.includes(`pid:[${nsInode(web.pid, 'pid')}]`))
  t.regex(line ?? '', new RegExp(`process "sleep" \\(${web.pid}\\) container docker:${name('web')} owner `))
  const userns = await run('lsuserns', ['-d', `--scan=${scan}`])
  t.is(userns.status, 0, userns.stderr)
  t.true(userns.stdout.includes(`net:[${nsInode(web.pid, 'net')}] process "sleep" (${web.pid}) container docker:${name('shares-net')},+1`))
  const hostLine = pidns.stdout.split('\n')[0]!
  t.false(hostLine.includes('container'), hostLine)
})

engineScanTest('a renamed container is read fresh; one stopped during the scans is listed whole or not at all', async (t, scan) => {
  const id = dockerRun(`before-rename-${scan}`)
  docker('rename', id, name(`after-rename-${scan}`))
  const listed = await lscontainers(t)
  t.is(listed.find((c) => c.id === id)?.name, name(`after-rename-${scan}`))
  const namespaces = await lsallns(t, scan, ['-t', 'uts'])
  t.true(namespaces.some((ns) => ns.containers.some((c) => c.id === id && c.name === name(`after-rename-${scan}`))))

  const stopping = dockerRun(`stopping-${scan}`)
  const stopper = runPiped([DOCKER, 'stop', '-t', '0', stopping])
  let scans = 0
  let done = false
  void stopper.then(() => (done = true))
  while (!done || scans === 0) {
    const [list, all] = await Promise.all([run('lscontainers', ['--json']), run('lsallns', ['--json', '-t', 'net', `--scan=${scan}`])])
    t.is(list.status, 0, list.stderr)
    t.is(all.status, 0, all.stderr)
    const c = (JSON.parse(list.stdout) as { containers: ListedContainer[] }).containers.find((x) => x.id === stopping)
    if (c !== undefined) {
      t.not(c.pid, null)
      t.true(TYPES.every((type) => c.namespaces[type].ino !== null), JSON.stringify(c))
    }
    scans++
  }
  t.is((await stopper).status, 0)
  t.false((await lscontainers(t)).some((c) => c.id === stopping))
  t.log(`${scans} scans while the container stopped`)
})

engineTest('containerd pod made as the CRI plugin makes it: sandbox and containers, grouped by --pods', async (t) => {
  const listed = await lscontainers(t)
  const sandbox = listed.find((c) => c.id === pod.sandbox)!
  t.like(sandbox, { engine: 'containerd', name: pod.name, pid: ctrPid(pod.sandbox), pod: pod.name, podNamespace: 'default' })
  const memberNames = pod.members.map((id) => id.slice(0, 8))
  const all = ours(inspectAll())
  for (const id of pod.members) {
    const c = listed.find((x) => x.id === id)!
    t.deepEqual(c, {
      engine: 'containerd',
      id,
      name: id.slice(0, 8),
      pid: ctrPid(id),
      image: `docker.io/library/${IMAGE}`,
      pod: pod.name,
      podNamespace: 'default',
      namespaces: expectedNamespaces(ctrPid(id), all),
    })
    t.deepEqual(c.namespaces.net.with, [...memberNames.filter((n) => n !== id.slice(0, 8)), pod.name].sort())
    t.is(c.namespaces.mnt.state, 'own')
  }
  t.deepEqual(sandbox.namespaces, expectedNamespaces(ctrPid(pod.sandbox), all))
  // --pods: the pod with its three containers; the rest on their own.
  const out = await run('lscontainers', ['--json', '--pods'])
  t.is(out.status, 0, out.stderr)
  const grouped = JSON.parse(out.stdout) as { pods: { pod: string; podNamespace: string; containers: ListedContainer[] }[]; containers: ListedContainer[] }
  const ourPod = grouped.pods.find((p) => p.pod === pod.name)!
  t.is(ourPod.podNamespace, 'default')
  t.deepEqual(ourPod.containers.map((c) => c.id).sort(), [pod.sandbox, ...pod.members].sort())
  t.false(grouped.containers.some((c) => c.pod !== null))
  const text = await run('lscontainers', ['--pods'])
  const lines = text.stdout.split('\n')
  const at = lines.findIndex((l) => l.startsWith(`pod `) && l.includes(`default/${pod.name}`))
  t.true(at > 0, text.stdout)
  t.deepEqual(lines.slice(at + 1, at + 4).map((l) => l.slice(0, 4)), ['├── ', '├── ', '└── '])
})

engineTest('podman, with the limits of containers.conf that let it run here', async (t) => {
  if (podmanId === null) return t.fail(`podman could not run a container with ${STATE}/containers.conf: ${podmanWhy}`)
  const info = JSON.parse(sh('podman', ['inspect', podmanId], PODMAN_ENV)) as { Name: string; ImageName: string; State: { Pid: number } }[]
  const listed = await lscontainers(t)
  t.deepEqual(listed.find((c) => c.id === podmanId), {
    engine: 'podman',
    id: podmanId,
    name: info[0]!.Name,
    pid: info[0]!.State.Pid,
    image: info[0]!.ImageName,
    pod: null,
    podNamespace: null,
    namespaces: expectedNamespaces(info[0]!.State.Pid, ours(inspectAll())),
  })
})

engineScanTest('userns-remap: the container of a daemon that DOCKER_HOST names, with a user namespace of its own', async (t, scan) => {
  let root: string
  try {
    root = sh('bash', [script, 'up-remap'])
  } catch (err) {
    return t.fail(`dockerd --userns-remap cannot run here: ${String((err as { stderr?: string }).stderr ?? err)}`)
  }
  const socket = `unix://${root.replace(/\/root$/, '')}/docker.sock`
  const host = ['-H', socket]
  const id = sh(DOCKER, [...host, 'run', '-d', '--name', name(`remapped-${scan}`), IMAGE, 'sleep', '3600'])
  try {
    const truth = inspectAll(host).get(id)!
    const listed = await lscontainers(t, [], { DOCKER_HOST: socket })
    const c = listed.find((x) => x.id === id)
    t.like(c, { engine: 'docker', name: truth.name, pid: truth.pid, image: truth.image })
    t.deepEqual(c?.namespaces.user, { ino: nsInode(truth.pid, 'user'), state: 'own', with: [] })
    const uidMap = readFileSync(`/proc/${truth.pid}/uid_map`, 'utf8').trim().split(/\s+/)
    t.is(uidMap[0], '0')
    t.not(uidMap[1], '0')
    // The table gives the uid that created the user namespace: the daemon's, root.
    const table = await run('lscontainers', [], { DOCKER_HOST: socket })
    const row = table.stdout.split('\n').find((l) => l.includes(name(`remapped-${scan}`)))!.split(/\s+/)
    t.is(row[11], 'own(0)')
    // The namespaces of its processes name it too.
    const namespaces = await lsallns(t, scan, ['-t', 'user'])
    // Without DOCKER_HOST, its files are out of sight: its cgroup tells its id alone.
    t.like(namespaces.find((ns) => ns.ino === nsInode(truth.pid, 'user'))?.containers[0], { engine: 'docker', id, name: null })
    const named = await run('lsallns', ['--json', '-t', 'user', `--scan=${scan}`], { DOCKER_HOST: socket })
    const userns = (JSON.parse(named.stdout) as { namespaces: DiscoveredNamespace[] }).namespaces.find((ns) => ns.ino === nsInode(truth.pid, 'user'))
    t.like(userns?.containers[0], { engine: 'docker', id, name: truth.name })
  } finally {
    sh(DOCKER, [...host, 'rm', '-f', id])
  }
})

engineTest('a Docker socket that cannot be asked is one note on stderr, and the files still name the containers', async (t) => {
  const out = await run('lscontainers', ['--json'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' })
  t.is(out.status, 0, out.stderr)
  const notes = out.stderr.split('\n').filter((l) => l.startsWith('lscontainers: note: '))
  t.is(notes.length, 1, out.stderr)
  t.regex(notes[0]!, /^lscontainers: note: docker: \/nonexistent\/docker\.sock: No such file or directory/)
  const listed = (JSON.parse(out.stdout) as { containers: ListedContainer[] }).containers
  t.true(listed.some((c) => c.name === name('web')))
})

/** A user in the docker group, made if missing (and left, for the next run). */
const DOCKER_USER = 'linuxns-rel-docker'

engineTest('as a user in the docker group: names through the API, namespaces out of reach', async (t) => {
  try {
    sh('id', [DOCKER_USER])
  } catch {
    sh('useradd', ['--system', '--no-create-home', '-G', 'docker', DOCKER_USER])
  }
  const copy = packageCopy()
  try {
    const out = await runPiped([
      'setpriv', `--reuid=${DOCKER_USER}`, `--regid=${DOCKER_USER}`, '--init-groups',
      process.execPath, copy.bin('lscontainers'), '--json',
    ])
    t.is(out.status, 0, out.stderr)
    t.regex(out.stderr, /not running as root/)
    const truth = inspectAll()
    const listed = (JSON.parse(out.stdout) as { containers: ListedContainer[] }).containers.filter((c) => c.engine === 'docker')
    for (const c of listed.filter((c) => truth.has(c.id))) {
      const want = truth.get(c.id)!
      t.like(c, { name: want.name, image: want.image, pid: want.pid })
      t.true(TYPES.every((type) => c.namespaces[type].ino === null && c.namespaces[type].state === null))
    }
    t.true(listed.some((c) => c.name === name('web')), out.stdout)
  } finally {
    copy.remove()
  }
})

test('container labels: engine and name, a pod once, several as +N, every text from the system escaped', (t) => {
  const c = (engine: 'docker' | 'containerd', name: string | null, pod: string | null = null) => ({
    engine,
    id: 'aa22e9a5caa5d2ef0123456789abcdef0123456789abcdef0123456789abcdef',
    name,
    image: null,
    pod,
    podNamespace: pod === null ? null : 'default',
  })
  t.is(containerLabel(c('docker', 'web-1')), 'docker:web-1')
  t.is(containerLabel(c('docker', null)), 'docker:aa22e9a5caa5')
  t.is(containerLabel(c('containerd', 'api', 'api-7d9')), 'k8s:default/api-7d9')
  t.is(containersText([c('docker', 'web-1'), c('docker', 'shares-net')]), 'docker:web-1,+1')
  t.is(containersText([c('containerd', 'api', 'p'), c('containerd', 'sidecar', 'p')]), 'k8s:default/p')
  t.is(containersText([]), null)
  // Annotations are anything a client wrote: a pod named to move the cursor or turn the line around.
  t.is(containerLabel(c('containerd', 'x', 'evil\x1b[2J\u202e')), 'k8s:default/evil\\x1b[2J\\xe2\\x80\\xae')
  t.is(isolationText({ ino: 1, state: 'shared', with: ['a\nb', 'c'] }), '=a\\x0ab,+1')
  t.is(isolationText({ ino: 1, state: 'own', with: [] }, 0), 'own(0)')
  t.is(isolationText({ ino: null, state: null, with: [] }), '?')
})

engineScanTest('the graph page finds a namespace by the name and the id of a container in it, and shows the container', async (t, scan) => {
  const { chromiumHere, withTab } = await import('./helpers/browser.js')
  if (!chromiumHere) return t.fail('/usr/bin/chromium is missing: apt-get install -y chromium')
  const id = dockerRun(`graph-${scan}`)
  const pid = Number(docker('inspect', '-f', '{{.State.Pid}}', id))
  const ino = nsInode(pid, 'pid')
  const page = fileURLToPath(new URL(`artifacts/graph-containers-${process.pid}-${scan}.html`, import.meta.url))
  mkdirSync(dirname(page), { recursive: true })
  const made = await run('graphns', ['-o', page, `--scan=${scan}`])
  t.is(made.status, 0, made.stderr)
  await withTab(async (tab, { errors }) => {
    await tab.goto(`file://${page}`)
    for (const query of [name(`graph-${scan}`), id.slice(0, 12)]) {
      await tab.fill('#search', query)
      const current = tab.locator(`g.node.current[data-ino="${ino}"]`)
      await current.waitFor({ state: 'attached' })
      t.regex((await tab.textContent('#status')) ?? '', new RegExp(`: pid:\\[${ino}\\]$`), query)
      await current.hover()
      t.true(((await tab.textContent('#details')) ?? '').includes(`docker:${name(`graph-${scan}`)}`))
    }
    t.deepEqual(errors, [])
  })
})

engineScanTest("graphns draws a container's namespaces in a box labelled with its name, overview and --expand alike", async (t, scan) => {
  const id = dockerRun(`box-${scan}`)
  const pid = Number(docker('inspect', '-f', '{{.State.Pid}}', id))
  const node = `pid_${nsInode(pid, 'pid')}`
  for (const args of [[], ['--expand']]) {
    const made = await run('graphns', ['--format', 'dot', `--scan=${scan}`, ...args])
    t.is(made.status, 0, made.stderr)
    const lines = made.stdout.split('\n')
    const at = lines.findIndex((line) => line.trim().startsWith(`${node} [`))
    t.true(at > 0, `${node} is drawn (${args.join(' ')})`)
    // The nearest cluster opened above the node and not closed before it.
    let depth = 0
    let box = -1
    for (let i = at - 1; i >= 0 && box < 0; i--) {
      const line = lines[i]!.trim()
      if (line === '}') depth++
      else if (line.startsWith('subgraph ')) {
        if (depth === 0) box = i
        else depth--
      }
    }
    t.regex(lines[box] ?? '', /^\s*subgraph cluster_container_/, args.join(' '))
    t.true((lines[box + 1] ?? '').includes(`label="docker:${name(`box-${scan}`)}"`), lines[box + 1])
  }
})
