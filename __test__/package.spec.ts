// The package as a user gets it: packed with `npm pack`, installed into an
// empty project, imported from a plain .mjs file outside the repository.
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
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
  for (const file of ['index.js', 'index.d.ts', 'binding.js', 'binding.d.ts', 'package.json']) {
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
  t.deepEqual(
    readdirSync(join(project, 'node_modules', 'linuxns-rel')).filter((f) => f.endsWith('.node')),
    [],
    'the addon came from the platform package',
  )
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
