// A copy of the built package that any user can read: the tests that run a
// tool as another uid must not depend on the clone's folder being readable
// (root's home and every `mktemp -d` are mode 0700). Made once per test file.
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('../..', import.meta.url))

/** The installed packages `name` needs at run time, itself first. */
function runtimeDeps(name: string, seen = new Set<string>()): Set<string> {
  const dir = join(repo, 'node_modules', name)
  if (seen.has(name) || !existsSync(dir)) return seen
  seen.add(name)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) runtimeDeps(dep, seen)
  return seen
}

export interface PackageCopy {
  dir: string
  /** The path of a tool's bin in the copy. */
  bin(name: string): string
  remove(): void
}

/** Copies the package as `npm pack` would ship it, its run-time dependencies, and (unless `addon` is false) the built addon. */
export function packageCopy({ addon = true }: { addon?: boolean } = {}): PackageCopy {
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-copy-'))
  chmodSync(dir, 0o755)
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  const shipped = ['package.json', 'index.js', 'binding.cjs', 'bin', 'dist', ...readdirSync(repo).filter((f) => addon && f.endsWith('.node'))]
  for (const file of shipped) cpSync(join(repo, file), join(dir, file), { recursive: true, filter: (src) => !src.endsWith('.tsbuildinfo') })
  const deps = new Set<string>()
  for (const name of Object.keys(pkg.dependencies)) runtimeDeps(name, deps)
  for (const name of deps) cpSync(join(repo, 'node_modules', name), join(dir, 'node_modules', name), { recursive: true })
  // cpSync keeps the modes; directories made along the way follow the umask.
  for (const sub of ['node_modules', ...new Set([...deps].filter((d) => d.startsWith('@')).map((d) => join('node_modules', d.split('/')[0]!)))]) {
    if (existsSync(join(dir, sub))) chmodSync(join(dir, sub), 0o755)
  }
  return { dir, bin: (name) => join(dir, 'bin', name), remove: () => rmSync(dir, { recursive: true, force: true }) }
}
