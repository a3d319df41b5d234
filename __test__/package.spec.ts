// The package as a user gets it: packed with `npm pack`, installed into an
// empty project, imported from a plain .mjs file outside the repository.
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = dirname(dirname(fileURLToPath(import.meta.url)))

/** The platform package folder name of this machine, as napi-rs names them. */
function hostTarget(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header
  return `linux-${process.arch}-${header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
}

/** Packs the package in `dir` into `dest` and returns the tarball's path and file list. */
function pack(dir: string, dest: string): { tarball: string; files: string[] } {
  // --ignore-scripts: the addon is built already; `prepare` would build it again.
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], {
    cwd: dir,
    encoding: 'utf8',
  })
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[]
  return { tarball: join(dest, info!.filename), files: info!.files.map((f) => f.path) }
}

function emptyProject(root: string, name: string): string {
  const dir = join(root, name)
  mkdirSync(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true }))
  return dir
}

function npmInstall(project: string, tarballs: string[]): void {
  // --omit=optional: the other platforms' packages are not in any registry yet;
  // the tarballs named here are direct dependencies and are installed all the same.
  // The package's own dependencies come from npm's cache where they are in it, else the registry.
  execFileSync('npm', ['install', '--prefer-offline', '--omit=optional', '--no-audit', '--no-fund', ...tarballs], {
    cwd: project,
    stdio: 'pipe',
  })
}

// Prints, from the installed package, what it tells about this process's
// namespaces next to the inodes that stat(2) gives for the same ones.
const CHECK = `
import { statSync, fstatSync } from 'node:fs'
import { getNstype, getUserns, getOwnerUid, nstypeStr, CLONE_NEWNET } from 'linuxns-rel'
const owner = getUserns('/proc/self/ns/net')
console.log(JSON.stringify({
  netType: getNstype('/proc/self/ns/net'),
  CLONE_NEWNET,
  ownerType: nstypeStr(getNstype(owner)),
  ownerIno: fstatSync(owner.fd).ino,
  userIno: statSync('/proc/self/ns/user').ino,
  ownerUid: getOwnerUid(owner),
}))
owner.close()
`

// A strict TypeScript consumer of the installed package: every export used,
// and a compile error naming any export whose type is, takes or gives `any`.
const CONSUMER = `
import * as ns from 'linuxns-rel'
import {
  CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS,
  NSTYPE_NAMES, NamespaceFile, buildGraph, discover, discoverAsync, getMntnsId, getNsId, getNstype, getOwnerUid,
  getParentns, getUserns, kernelFeatures, listMountNamespaces, nsFileHandle, nsStat, nstypeStr, openNsFileHandle,
  openProcessNamespace, pidFromPidns, pidInPidns, renderHtml, renderPng, renderSvg, tgidFromPidns, tgidInPidns, toDot,
  type DiscoverOptions, type DiscoveredNamespace, type GraphOptions, type KernelFeatures, type MountNamespaceInfo,
  type NamespaceGraph, type NamespaceModel, type NamespaceRef, type NamespaceSource, type NamespaceStat, type NstypeName,
  type PngOptions,
} from 'linuxns-rel'

type IsAny<T> = 0 extends 1 & T ? true : false
type HasAny<T> = true extends { [K in keyof T]: IsAny<T[K]> }[keyof T] ? true : false
/** The exports that are any, or functions or classes that take or give any. */
type AnyExports<M> = {
  [K in keyof M]: IsAny<M[K]> extends true
    ? K
    : M[K] extends abstract new (...args: infer A) => infer I
      ? HasAny<A> extends true ? K : HasAny<I> extends true ? K : never
      : M[K] extends (...args: infer A) => infer R
        ? HasAny<A> extends true ? K : IsAny<R> extends true ? K : IsAny<Awaited<R>> extends true ? K : HasAny<Awaited<R>> extends true ? K : never
        : never
}[keyof M]
const noAny: [AnyExports<typeof ns>] extends [never] ? 'none' : AnyExports<typeof ns> = 'none'

const flags: number[] = [CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS]
const names: readonly NstypeName[] = NSTYPE_NAMES
const ref: NamespaceRef = '/proc/self/ns/net'
const type: number = getNstype(ref)
const name: NstypeName = nstypeStr(type)
const uid: number = getOwnerUid('/proc/self/ns/user')
const owner: NamespaceFile = getUserns(ref)
const parent: NamespaceFile = getParentns('/proc/self/ns/pid')
const opened: NamespaceFile = NamespaceFile.open(ref)
const options: DiscoverOptions = { types: ['user', 'pid'], tasks: false, fds: true, bindMounts: true }
const model: NamespaceModel = discover(options)
const first: DiscoveredNamespace | undefined = model.namespaces[0]
const via: NamespaceSource[] = first?.via ?? []
const later: Promise<NamespaceModel> = discoverAsync()
const graphOptions: GraphOptions = { details: true, legend: false }
const graph: NamespaceGraph = buildGraph(model, graphOptions)
const dot: string = toDot(graph)
const svg: Promise<string> = renderSvg(model)
const pngOptions: PngOptions = { zoom: 1 }
const png: Promise<Buffer> = svg.then((s) => renderPng(s, pngOptions))
const html: Promise<string> = renderHtml(model, { title: 'x' })
const features: Readonly<KernelFeatures> = kernelFeatures()
const id: bigint = getNsId(ref)
const stat: NamespaceStat = nsStat(ref)
const pids: number[] = [pidFromPidns(ref, 1), tgidFromPidns(ref, 1), pidInPidns(ref, 1), tgidInPidns(ref, 1)]
const mntId: bigint = getMntnsId('/proc/self/ns/mnt')
const mounts: MountNamespaceInfo[] = listMountNamespaces()
const handle: Buffer = nsFileHandle(ref)
const reopened: NamespaceFile = openNsFileHandle(handle)
const other: NamespaceFile = openProcessNamespace(1, 'net')
const fd: number = reopened.fd
export const used = [noAny, flags, names, name, uid, owner, parent, opened, via, later, dot, png, html, features, id, stat, pids, mntId, mounts, other, fd]
`

test('the packed main and platform packages install into an empty project and work there', (t) => {
  const target = hostTarget()
  const addon = join(repo, `linuxns-rel.${target}.node`)
  if (!existsSync(addon)) return t.fail(`${addon} is missing: run npm run build first`)
  const work = mkdtempSync(join(tmpdir(), 'linuxns-rel-pack-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))

  const platformDir = join(work, target)
  cpSync(join(repo, 'npm', target), platformDir, { recursive: true })
  copyFileSync(addon, join(platformDir, `linuxns-rel.${target}.node`))
  const platform = pack(platformDir, work)
  t.true(platform.files.includes(`linuxns-rel.${target}.node`))

  const main = pack(repo, work)
  t.deepEqual(main.files.filter((f) => f.endsWith('.node')), [], 'the main package ships no addon')
  for (const file of ['index.js', 'index.d.ts', 'binding.cjs', 'binding.d.ts', 'package.json']) {
    t.true(main.files.includes(file), file)
  }

  const project = emptyProject(work, 'consumer')
  npmInstall(project, [main.tarball, platform.tarball])
  writeFileSync(join(project, 'check.mjs'), CHECK)
  const out = JSON.parse(execFileSync(process.execPath, ['check.mjs'], { cwd: project, encoding: 'utf8' }))
  t.is(out.netType, out.CLONE_NEWNET)
  t.is(out.CLONE_NEWNET, 0x40000000)
  t.is(out.ownerType, 'user')
  t.is(out.ownerIno, out.userIno)
  t.is(typeof out.ownerUid, 'number')
  // From CommonJS too: the package awaits nothing at its top, so require loads it.
  writeFileSync(join(project, 'check.cjs'), CHECK.replace(/^import (\{[^}]*\}) from ('[^']*')$/gm, 'const $1 = require($2)'))
  t.deepEqual(JSON.parse(execFileSync(process.execPath, ['check.cjs'], { cwd: project, encoding: 'utf8' })), out)
  t.deepEqual(
    readdirSync(join(project, 'node_modules', 'linuxns-rel')).filter((f) => f.endsWith('.node')),
    [],
    'the addon came from the platform package',
  )

  // The published types, as a strict TypeScript consumer sees them: no skipLibCheck, no any.
  writeFileSync(join(project, 'consumer.ts'), CONSUMER)
  const tsconfig = {
    compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'ESNext.Disposable'], types: ['node'], typeRoots: [join(repo, 'node_modules', '@types')], skipLibCheck: false },
    files: ['consumer.ts'],
  }
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig))
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies }))
  const tsc = spawnSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { encoding: 'utf8' })
  t.is(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`)
})

test('without a platform package, importing fails with one message that says what to do', (t) => {
  const work = mkdtempSync(join(tmpdir(), 'linuxns-rel-pack-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const main = pack(repo, work)
  const project = emptyProject(work, 'no-addon')
  npmInstall(project, [main.tarball])
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('linuxns-rel')"], {
    cwd: project,
    encoding: 'utf8',
  })
  t.is(run.status, 1)
  t.regex(run.stderr, /linuxns-rel: the native addon for linux-\w+-(gnu|musl) could not be loaded/)
  t.regex(run.stderr, /npm install/)
  t.regex(run.stderr, /without --omit=optional, so that linuxns-rel-linux-\w+-(gnu|musl) comes along/)
})
