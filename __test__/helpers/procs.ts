// Real processes in real namespaces for the specs, and ground truth read
// straight from /proc, independently of the library under test.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, readlinkSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export const isRoot = process.geteuid?.() === 0

/** A uid other than root's for namespaces created by an unprivileged user. */
export const OTHER_UID = 1000

/** The inode of the namespace at a /proc path, read with stat(2). */
export function inode(path: string): number {
  return statSync(path).ino
}

/** The inode of a process's namespace of one type, read from its /proc link. */
export function nsInode(pid: number | 'self', type: string): number {
  const link = readlinkSync(`/proc/${pid}/ns/${type}`)
  const match = /^\w+:\[(\d+)\]$/.exec(link)
  if (!match?.[1]) throw new Error(`unexpected namespace link ${link}`)
  return Number(match[1])
}

/** The direct children of a process. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter((s) => s.trim() !== '')
      .map(Number)
  } catch {
    return []
  }
}

/**
 * Whether a process runs `sleep` with its command line in place: comm
 * changes a moment before exec sets up argv, and until then
 * /proc/PID/cmdline reads empty.
 */
function isSleeping(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\0')
  } catch {
    return false
  }
}

/** The effective uid of a process as /proc/PID/status shows it to us. */
export function effectiveUid(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'))
  return Number(line?.split(/\s+/)[2])
}

const started = new Map<number, ChildProcess>()

/**
 * Runs a command that ends by exec'ing `sleep infinity` (possibly in a forked
 * child, as `unshare --fork` does) and waits until that sleep is running:
 * only then are its namespaces in place. Returns the pids from the started
 * process down to the sleep.
 */
export async function startSleeper(argv: string[]): Promise<number[]> {
  if (argv.length === 0) throw new Error('empty command')
  // Killed with this process, where ava ends it before its teardown runs
  // (a test that times out): setpriv sets that and execs the command, so
  // the pid stays the command's.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`)
  started.set(child.pid, child)
  for (let waited = 0; waited < 10_000; waited += 10) {
    const chain = [child.pid]
    for (let kids = childPids(child.pid); kids.length > 0; kids = childPids(kids[0]!)) chain.push(kids[0]!)
    const last = chain[chain.length - 1]!
    if (isSleeping(last)) return chain
    if (child.exitCode !== null || child.signalCode !== null) break
    await sleep(10)
  }
  stop(child.pid)
  throw new Error(`${argv.join(' ')} did not reach its sleep: ${stderr.trim()}`)
}

/** Kills a process this helper started (and with it what `--kill-child` ties to it). */
export function stop(pid: number): void {
  const child = started.get(pid)
  if (!child) throw new Error(`pid ${pid} was not started by these tests`)
  started.delete(pid)
  child.kill('SIGKILL')
}

/** Kills every process these helpers started and waits until each has exited. */
export async function stopAll(): Promise<void> {
  const children = [...started.values()]
  started.clear()
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve()
          c.once('exit', () => resolve())
          c.kill('SIGKILL')
        }),
    ),
  )
}

/**
 * Builds a chain of `depth` nested user namespaces, each with its own
 * sleeping process; returns their pids from the outermost down.
 */
export async function userNamespaceChain(depth: number): Promise<number[]> {
  const pids: number[] = []
  for (let level = 0; level < depth; level++) {
    const parent = pids[pids.length - 1]
    const enter = parent === undefined ? [] : ['nsenter', '--preserve-credentials', '-U', '-t', String(parent)]
    const chain = await startSleeper([...enter, 'unshare', '-Ur', 'sleep', 'infinity'])
    pids.push(chain[chain.length - 1]!)
  }
  return pids
}

/**
 * Runs `argv` as another uid (root only), killed with its parent as
 * startSleeper's commands are: the change of uid clears the parent-death
 * signal set before it, and setpriv sets this one after.
 */
export function asUid(uid: number, argv: string[]): string[] {
  return ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--pdeathsig', 'KILL', ...argv]
}

/** What a command that ran to its end printed, and how it ended. */
export interface Run {
  status: number | null
  stdout: string
  stderr: string
}

/**
 * Runs a command with stdout and stderr piped, and colour variables cleared
 * unless `env` sets them.
 */
export function runPiped(argv: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const childEnv: Record<string, string | undefined> = { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined, ...env }
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv as NodeJS.ProcessEnv })
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.once('error', reject)
    child.once('close', (status) => resolve({ status, stdout, stderr }))
  })
}
