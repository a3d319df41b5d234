// The benchmark scene, and the timing the benchmarks share. The scene: N sleeping processes spread over M user namespaces,
// each owning a PID namespace with one nested PID namespace inside. Started
// and ended by pid; nothing else on the machine is touched.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Scene {
  processes: number
  userNamespaces: number
  /** The processes started, one per user namespace (each is in its user namespace, and the PID namespaces lie below it). */
  pids: number[]
  end(): Promise<void>
}

/**
 * `argv` as `spawn` takes it, run with no descriptor but the standard
 * streams: one that the shell running the bench leaves open without
 * close-on-exec (a job runner's pipe, say) would be in every process of the
 * scene, and the BPF scan's files' iterator walks every slot of a process's
 * table up to its highest descriptor. The process that runs `argv` keeps the
 * size its table had; those it starts get tables of their own size.
 */
function withStdioOnly(argv: string[]): [string, string[]] {
  const closeRest = 'for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && exec {fd}>&-; done; exec "$@"'
  return ['bash', ['-c', closeRest, 'bash', ...argv]]
}

/** The number of processes below `pid` (its children, their children, ...). */
function descendants(pid: number, childrenOf: Map<number, number[]>): number {
  let count = 0
  const stack = [...(childrenOf.get(pid) ?? [])]
  while (stack.length > 0) {
    const next = stack.pop()!
    count++
    stack.push(...(childrenOf.get(next) ?? []))
  }
  return count
}

function processTree(): Map<number, number[]> {
  const childrenOf = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = childrenOf.get(ppid)
      if (list) list.push(pid)
      else childrenOf.set(ppid, [pid])
    } catch {
      // gone already
    }
  }
  return childrenOf
}

/**
 * Starts the scene and waits until every process of it runs. Each user
 * namespace gets `unshare` (outside), a shell that becomes the PID
 * namespace's init and starts `extra` sleeps, and one sleep in the nested
 * PID namespace: 3 + extra processes.
 */
export async function startScene(processes: number, userNamespaces: number): Promise<Scene> {
  const extra = Math.max(0, Math.round(processes / userNamespaces) - 3)
  const script = `for i in $(seq ${extra}); do sleep 100000 & done; exec unshare --pid --fork --kill-child sleep 100000`
  const started: ChildProcess[] = []
  const end = async (): Promise<void> => {
    await Promise.all(
      started.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            child.once('exit', () => resolve())
            // --kill-child ties each PID namespace's init to this process: all of it goes.
            child.kill('SIGKILL')
          }),
      ),
    )
  }
  try {
    for (let i = 0; i < userNamespaces; i++) {
      started.push(
        spawn(...withStdioOnly(['unshare', '-Ur', '--pid', '--fork', '--kill-child', 'sh', '-c', script]), { stdio: 'ignore' }),
      )
      if (i % 100 === 99) await sleep(50) // let the machine keep up
    }
    const perNamespace = 2 + extra // below the outer unshare
    for (let waited = 0; ; waited += 200) {
      const tree = processTree()
      const ready = started.filter((c) => descendants(c.pid!, tree) >= perNamespace).length
      if (ready === started.length) break
      if (waited > 120_000) throw new Error(`scene not ready: ${ready} of ${started.length} namespaces`)
      await sleep(200)
    }
  } catch (err) {
    await end()
    throw err
  }
  return { processes: userNamespaces * (3 + extra), userNamespaces, pids: started.map((c) => c.pid!), end }
}

/** `count` sibling PID namespaces in one user namespace, as a host with a few hundred pods has them. */
export interface SiblingScene {
  /** The one process in each PID namespace (its init, a sleep). */
  pids: number[]
  end(): Promise<void>
}

/**
 * Starts one user namespace in which `count` PID namespaces, each with one
 * sleep as its init, sit side by side below ours; waits until each runs.
 */
export async function startSiblingScene(count: number): Promise<SiblingScene> {
  // Nothing ties a background job to its shell: each inner unshare asks to be
  // killed when the shell dies, and kills its sleep through --kill-child.
  const script = `for i in $(seq ${count}); do setpriv --pdeathsig KILL unshare --pid --fork --kill-child sleep 100000 & done; wait`
  const child = spawn(...withStdioOnly(['unshare', '-Ur', '--kill-child', 'sh', '-c', script]), { stdio: 'ignore' })
  let below: number[] = []
  const end = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      // --kill-child ties the shell to this process, and the shell the rest.
      child.kill('SIGKILL')
      await exited
    }
    for (let waited = 0; below.some((pid) => existsSync(`/proc/${pid}`)); waited += 50) {
      if (waited > 10_000) throw new Error(`the sibling scene's processes outlived it: ${below.filter((pid) => existsSync(`/proc/${pid}`)).join(' ')}`)
      await sleep(50)
    }
  }
  try {
    for (let waited = 0; ; waited += 200) {
      const tree = processTree()
      // Below the outer unshare: the shell, each inner unshare and its sleep.
      const shell = tree.get(child.pid!) ?? []
      const unshares = shell.flatMap((sh) => tree.get(sh) ?? [])
      const sleeps = unshares.flatMap((u) => tree.get(u) ?? [])
      below = [...shell, ...unshares, ...sleeps]
      if (sleeps.length === count) return { pids: sleeps, end }
      if (waited > 60_000) throw new Error(`scene not ready: ${sleeps.length} of ${count} PID namespaces`)
      await sleep(200)
    }
  } catch (err) {
    await end()
    throw err
  }
}

export const ROUNDS = 7

export function median(samples: number[]): number {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!
}

/**
 * The environment the commands are timed in: this one without
 * NODE_EXTRA_CA_CERTS, which a user's shell has not, and which costs each
 * Node start-up 60 to 90 ms where it is set.
 */
const { NODE_EXTRA_CA_CERTS: _certs, ...COMMAND_ENV } = process.env

/**
 * Median wall times in ms of running each of `argvs` as a whole process,
 * output discarded. The commands take turns, round after round, so that a
 * burst of load on the machine falls on each of them alike.
 */
export function timeCommands(argvs: string[][], env: NodeJS.ProcessEnv = COMMAND_ENV): number[] {
  const samples: number[][] = argvs.map(() => [])
  for (let round = 0; round < ROUNDS; round++) {
    argvs.forEach((argv, i) => {
      const start = process.hrtime.bigint()
      const run = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', env })
      if (run.status !== 0) throw new Error(`${argv.join(' ')} exited with ${run.status ?? run.signal}`)
      samples[i]!.push(Number(process.hrtime.bigint() - start) / 1e6)
    })
  }
  return samples.map(median)
}

/** Median wall time in ms of running `argv` as a whole process, output discarded. */
export function timeCommand(argv: string[], env: NodeJS.ProcessEnv = COMMAND_ENV): number {
  return timeCommands([argv], env)[0]!
}

/** Median wall time in ms of `call` in this process. */
export function timeInProcess(call: () => unknown): number {
  const samples: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint()
    call()
    samples.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return median(samples)
}

/** The scenes named on the command line as N/M, or `defaults`. */
export function scenesFromArgs(defaults: string[]): (readonly [number, number])[] {
  return (process.argv.length > 2 ? process.argv.slice(2) : defaults).map((s) => {
    const [n, m] = s.split('/').map(Number)
    if (!n || !m) throw new Error(`a scene is N/M, for example 2000/500; not ${s}`)
    return [n, m] as const
  })
}
