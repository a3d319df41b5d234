// What every command-line tool of linuxns-rel shares: option parsing, usage
// errors, --help and --version, colours, exit codes, and loading the library.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { parseArgs, type ParseArgsConfig } from 'node:util'

import type { DiscoveredNamespace, ScanName } from 'linuxns-rel'

import { escapeText } from '../lib/escape.js'

/** Exit status: success, failure, bad usage. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>

/** -h and -V: every tool takes them. */
const HELP_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies Options

/** --color and -c, for the tools that colour their output. */
export const COLOUR_OPTIONS = {
  color: { type: 'string' },
  c: { type: 'boolean', short: 'c' },
} as const satisfies Options

/** --json, for the tools that can print the model. */
export const JSON_OPTIONS = {
  json: { type: 'boolean' },
} as const satisfies Options

/** --scan, for the tools that discover namespaces. */
export const SCAN_OPTIONS = {
  scan: { type: 'string' },
} as const satisfies Options

export const SCAN_HELP = `      --scan=HOW        how to find the processes' namespaces: auto (BPF where it can
                        run, else /proc), bpf (fail, saying why, where it cannot), procfs`

/** --no-containers, for the tools that name each namespace's containers. */
export const CONTAINER_OPTIONS = {
  'no-containers': { type: 'boolean' },
} as const satisfies Options

export const CONTAINER_HELP = `      --no-containers   do not tell the containers of each namespace (saves reading
                        /proc/PID/cgroup of the processes in containers)`
export const COLOUR_HELP = `  -c                    colour always (same as --color=always)
      --color=WHEN      colour the output: auto (on a terminal, unless NO_COLOR is set), always, never`
export const JSON_HELP = `      --json            print JSON instead of text`
export const HELP_HELP = `  -h, --help            show this help and exit
  -V, --version         show the version and exit`

type Config<T extends Options> = { args: string[]; options: typeof HELP_OPTIONS & T; strict: true; allowPositionals: false }
export type OptionValues<T extends Options> = ReturnType<typeof parseArgs<Config<T>>>['values']

/**
 * Parses argv with -h and -V plus the options the tool names (its own, and
 * those of COLOUR_OPTIONS and JSON_OPTIONS it takes). Anything else is a
 * UsageError in the tools' one style: an unknown option, a missing value or
 * one given to an option that takes none, an argument, and an option with a
 * value given twice (unless it is `multiple`).
 */
export function parseOptions<T extends Options>(argv: string[], options: T): OptionValues<T> {
  const config = { ...HELP_OPTIONS, ...options }
  const { tokens } = parseArgs({ args: argv, options: config, strict: false, allowPositionals: true, tokens: true })
  const given = new Set<string>()
  for (const token of tokens) {
    if (token.kind === 'positional') throw new UsageError(`unexpected argument '${token.value}'`)
    if (token.kind !== 'option') continue
    const option = (config as Options)[token.name]
    if (option === undefined) throw new UsageError(`unknown option '${token.rawName}'`)
    if (option.type === 'boolean' && token.value !== undefined) throw new UsageError(`option '${token.rawName}' takes no value`)
    if (option.type === 'string' && token.value === undefined) throw new UsageError(`option '${token.rawName}' needs a value`)
    if (option.type === 'string' && !option.multiple && given.has(token.name)) {
      throw new UsageError(`option '--${token.name}' given twice`)
    }
    given.add(token.name)
  }
  return parseArgs({ args: argv, options: config, strict: true, allowPositionals: false }).values as OptionValues<T>
}

/** The styles the tools colour with. */
export interface Colours {
  bold(text: string): string
  cyan(text: string): string
  dim(text: string): string
  green(text: string): string
  magenta(text: string): string
  yellow(text: string): string
}

const plain = (text: string): string => text
const NO_COLOURS: Colours = { bold: plain, cyan: plain, dim: plain, green: plain, magenta: plain, yellow: plain }

/** The colours that --color / -c, the terminal and NO_COLOR ask for. */
export function colours(values: { color?: string | boolean; c?: string | boolean }): Colours {
  const when = values.c === true ? 'always' : (values.color ?? 'auto')
  if (when !== 'auto' && when !== 'always' && when !== 'never') {
    throw new UsageError(`option '--color' must be auto, always or never, not '${String(when)}'`)
  }
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== ''
  const on = when === 'always' || (when === 'auto' && process.stdout.isTTY === true && !noColor)
  if (!on) return NO_COLOURS
  // Loaded only here: chalk costs several milliseconds of start-up, and
  // piped output, the common case, has no colours.
  const { Chalk } = createRequire(import.meta.url)('chalk') as typeof import('chalk')
  return new Chalk({ level: 1 })
}

/** The scan --scan asks for; 'auto' without it. */
export function scanOption(values: { scan?: string | boolean }): ScanName {
  const scan = values.scan ?? 'auto'
  if (scan !== 'auto' && scan !== 'bpf' && scan !== 'procfs') {
    throw new UsageError(`option '--scan' must be auto, bpf or procfs, not '${String(scan)}'`)
  }
  return scan
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/**
 * The library, loaded only once a tool has work for it: --help and
 * --version need no addon, and an addon that cannot load is then an error
 * that says what to do, not a stack trace.
 */
export async function library(): Promise<typeof import('linuxns-rel')> {
  const lib = await import('linuxns-rel')
  // Loaded by the library's import: this require costs nothing more.
  native = createRequire(import.meta.url)('#binding') as typeof import('#binding')
  return lib
}

/** The addon, once library() has loaded it. */
let native: typeof import('#binding') | undefined

/**
 * Whether someone has work for Node's exit: a flag given to node or in
 * NODE_OPTIONS (a profiler writes its profile then), V8's coverage, or an
 * 'exit' listener.
 */
function exitIsWatched(): boolean {
  const { NODE_OPTIONS, NODE_V8_COVERAGE } = process.env
  return process.execArgv.length > 0 || Boolean(NODE_OPTIONS) || NODE_V8_COVERAGE !== undefined || process.listenerCount('exit') > 0
}

/**
 * Ends the process with `code`. Once the addon is loaded, and where nobody
 * has work for Node's exit, at once, through the addon's _exit: Node's own
 * exit would first wait for V8's background compiles of the code that made
 * the output, 10 to 30 ms after a large discovery. Only once all output is
 * written: stdout and stderr are synchronous for files, pipes and terminals
 * on Linux, and each write's callback has run.
 */
function exitNow(code: number): never {
  if (native && !exitIsWatched()) native.exitNow(code)
  process.exit(code)
}

/**
 * Runs a tool's main function with Unix conventions: what it returns to
 * stdout, messages to stderr prefixed with the tool's name, exit status 0, 1
 * or 2. An output that cannot be written (a full disk) is a failure; a
 * reader that stops early (`| head`) is not.
 */
export function runTool(name: string, usage: string, main: (argv: string[]) => Promise<string | Buffer>): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK)
    process.stderr.write(`${name}: cannot write the output: ${err.message}\n`)
    process.exit(EXIT_FAILURE)
  })
  const fail = (err: unknown): void => {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\n${usage}Try '${name} --help' for more.\n`)
      process.exitCode = EXIT_USAGE
    } else {
      process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}${procHint(err)}\n`)
      process.exitCode = EXIT_FAILURE
    }
  }
  // Exits once the output is written, not when Node's event loop ends.
  const done = (output: string | Buffer): void => {
    process.stdout.write(output, (err) => {
      if (!err) exitNow(EXIT_OK)
    })
  }
  main(process.argv.slice(2)).then(done, fail)
}

/** What a failure to read /proc itself means, for the user to act on. */
function procHint(err: unknown): string {
  const path = (err as NodeJS.ErrnoException | undefined)?.path
  if (typeof path !== 'string' || !/^\/proc(\/\d+)?$/.test(path)) return ''
  return ': /proc must be the proc file system of this PID namespace (mount -t proc proc /proc), and it is not'
}

/** The note for a user who is not root: other users' namespaces may be out of view. */
export function notRootNote(name: string): void {
  if (process.geteuid?.() !== 0) {
    process.stderr.write(`${name}: note: not running as root, so namespaces of other users' processes may be missing\n`)
  }
}

/** What could not be told of the containers, said once on stderr, one line each. */
export function containerNotes(name: string, notes: readonly string[]): void {
  for (const note of notes) process.stderr.write(`${name}: note: ${escapeText(note)}\n`)
}

/** One namespace for --json: the documented fields first, then the rest of the model. */
export function jsonEntry(ns: DiscoveredNamespace) {
  const { type, ino, parent, owner, ownerUid, ownerName, pid, process, processes, via, host, containers, ...rest } = ns
  return { type, ino, parent, owner, ownerUid, ownerName, pid, process, processes, via, host, containers, ...rest }
}

/**
 * The model as --json prints it: `{"scan": "bpf", "namespaces": [...]}`,
 * the namespaces sorted by type and inode.
 */
export function jsonModel(namespaces: readonly DiscoveredNamespace[], scan: 'bpf' | 'procfs'): string {
  const sorted = [...namespaces].sort((a, b) => (a.type === b.type ? a.ino - b.ino : a.type < b.type ? -1 : 1))
  return `${JSON.stringify({ scan, namespaces: sorted.map(jsonEntry) }, null, 2)}\n`
}
