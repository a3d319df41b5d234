// What every command-line tool of linuxns-rel shares: option parsing, usage
// errors, --help and --version, colours and exit codes.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { parseArgs, type ParseArgsConfig } from 'node:util'

import type { DiscoveredNamespace } from 'linuxns-rel'

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

export const COLOUR_HELP = `  -c                    colour always (same as --color=always)
      --color=WHEN      colour the output: auto (on a terminal, unless NO_COLOR is set), always, never`
export const JSON_HELP = `      --json            print JSON instead of text`
export const HELP_HELP = `  -h, --help            show this help and exit
  -V, --version         show the version and exit`

type Config<T extends Options> = { args: string[]; options: typeof HELP_OPTIONS & T; strict: true; allowPositionals: false }
export type OptionValues<T extends Options> = ReturnType<typeof parseArgs<Config<T>>>['values']

/**
 * Parses argv with -h and -V plus the options the tool names (its own, and
 * those of COLOUR_OPTIONS and JSON_OPTIONS it takes); usage errors become UsageError.
 */
export function parseOptions<T extends Options>(argv: string[], options: T): OptionValues<T> {
  try {
    return parseArgs({ args: argv, options: { ...HELP_OPTIONS, ...options }, strict: true, allowPositionals: false })
      .values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
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
    throw new UsageError(`--color must be auto, always or never, not '${String(when)}'`)
  }
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== ''
  const on = when === 'always' || (when === 'auto' && process.stdout.isTTY === true && !noColor)
  if (!on) return NO_COLOURS
  // Loaded only here: chalk costs several milliseconds of start-up, and
  // piped output, the common case, has no colours.
  const { Chalk } = createRequire(import.meta.url)('chalk') as typeof import('chalk')
  return new Chalk({ level: 1 })
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/**
 * Runs a tool's main function with Unix conventions: what it returns to
 * stdout, messages to stderr prefixed with the tool's name, exit status 0, 1
 * or 2. `main` may be async.
 */
export function runTool(
  name: string,
  usage: string,
  main: (argv: string[]) => string | Buffer | Promise<string | Buffer>,
): void {
  // A reader that stops early (`| head`) is no failure.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(EXIT_OK)
  })
  const fail = (err: unknown): void => {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\n${usage}Try '${name} --help' for more.\n`)
      process.exitCode = EXIT_USAGE
    } else {
      process.stderr.write(`${name}: ${(err as Error).message ?? String(err)}\n`)
      process.exitCode = EXIT_FAILURE
    }
  }
  const done = (output: string | Buffer): void => {
    process.stdout.write(output)
    process.exitCode = EXIT_OK
  }
  try {
    const output = main(process.argv.slice(2))
    if (typeof output === 'string' || Buffer.isBuffer(output)) done(output)
    else output.then(done, fail)
  } catch (err) {
    fail(err)
  }
}

/** The note for a user who is not root: other users' namespaces may be out of view. */
export function notRootNote(name: string): void {
  if (process.geteuid?.() !== 0) {
    process.stderr.write(`${name}: note: not running as root, so namespaces of other users' processes may be missing\n`)
  }
}

/** One namespace for --json: the documented fields first, then the rest of the model. */
export function jsonEntry(ns: DiscoveredNamespace) {
  const { type, ino, parent, owner, ownerUid, ownerName, pid, process, processes, via, ...rest } = ns
  return { type, ino, parent, owner, ownerUid, ownerName, pid, process, processes, via, ...rest }
}
