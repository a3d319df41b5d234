// What every tool does at its edges: usage errors in one style and exit 2,
// options that contradict each other refused, an output that cannot be
// written or an addon that cannot load told plainly (exit 1, no stack trace),
// and a reader that stops early ending it quietly.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { packageCopy, type PackageCopy } from './helpers/package-copy.js'

const TOOLS = ['lsuserns', 'lspidns', 'lsallns', 'graphns'] as const
const bin = (name: string): string => fileURLToPath(new URL(`../bin/${name}`, import.meta.url))

function run(argv: string[], stdout: 'pipe' | number = 'pipe'): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr }
}

/** A stack trace's frames, as Node prints them. */
const STACK = /^\s+at /m

/** The tools' one style of usage message: `tool: message`, the usage line, and where to get help. */
function usageMessage(tool: string): RegExp {
  return new RegExp(`^${tool}: [a-z'][^\\n]*\\nUsage: ${tool} [^\\n]*\\nTry '${tool} --help' for more\\.\\n$`)
}

for (const tool of TOOLS) {
  test(`${tool}: every usage error is in one style, exits 2 and prints nothing on stdout`, (t) => {
    const cases: [string[], RegExp][] = [
      [['--bogus'], /: unknown option '--bogus'\n/],
      [['-z'], /: unknown option '-z'\n/],
      [['extra'], /: unexpected argument 'extra'\n/],
      [['--help=x'], /: option '--help' takes no value\n/],
    ]
    if (tool !== 'graphns') {
      cases.push([['--color'], /: option '--color' needs a value\n/], [['--color=sometimes'], /: option '--color' must be auto, always or never, not 'sometimes'\n/])
      cases.push([['--color=never', '--color=always'], /: option '--color' given twice\n/])
    } else {
      cases.push([['--json'], /: unknown option '--json'\n/], [['--color=never'], /: unknown option '--color'\n/])
      cases.push([['-o'], /: option '-o' needs a value\n/], [['--format=svg', '--format=png'], /: option '--format' given twice\n/])
    }
    for (const [args, message] of cases) {
      const r = run([process.execPath, bin(tool), ...args])
      t.is(r.status, 2, args.join(' '))
      t.is(r.stdout, '', args.join(' '))
      t.regex(r.stderr, usageMessage(tool), args.join(' '))
      t.regex(r.stderr, message, args.join(' '))
    }
  })

  test(`${tool}: an output that cannot be written is a failure, said in one line; a reader that stops early is not`, (t) => {
    const args = tool === 'graphns' ? ['--format', 'dot'] : []
    // Every write to /dev/full fails with ENOSPC.
    const devFull = openSync('/dev/full', 'w')
    const full = run([process.execPath, bin(tool), ...args], devFull)
    closeSync(devFull)
    t.is(full.status, 1)
    const stderr = full.stderr.split('\n').filter((l) => !l.includes('note: not running as root'))
    t.deepEqual(stderr, [`${tool}: cannot write the output: ENOSPC: no space left on device, write`, ''])
    const closed = spawnSync('bash', ['-c', `"$0" "$@" | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`, process.execPath, bin(tool), ...args], { encoding: 'utf8' })
    t.is(closed.stdout, '0\n', closed.stderr)
    t.notRegex(closed.stderr, STACK)
  })
}

test('lsallns: --json with --tree, and two --tree, are bad usage', (t) => {
  for (const args of [['--json', '--tree=owner'], ['--tree=parent', '--tree=owner'], ['-T', 'parent', '--tree', 'owner']]) {
    const r = run([process.execPath, bin('lsallns'), ...args])
    t.is(r.status, 2, args.join(' '))
    t.regex(r.stderr, usageMessage('lsallns'), args.join(' '))
  }
})

test('graphns: --format and -o that name two formats are bad usage, and nothing is written', (t) => {
  const r = run([process.execPath, bin('graphns'), '--format=png', '-o', '/nonexistent/y.svg'])
  t.is(r.status, 2)
  t.regex(r.stderr, /^graphns: options '--format=png' and '--output=\/nonexistent\/y\.svg' name two formats/)
})

for (const tool of TOOLS) {
  test(`${tool}: a /proc that does not show this process (a tmpfs over it) is a failure that says so`, (t) => {
    // A mount namespace of its own (in a user namespace of its own, so that any user can) with a tmpfs on /proc.
    const args = tool === 'graphns' ? ['--format', 'dot'] : []
    const r = run(['unshare', '-Urm', 'sh', '-c', 'mount -t tmpfs none /proc && exec "$@"', 'sh', process.execPath, bin(tool), ...args])
    t.is(r.status, 1, r.stderr)
    t.is(r.stdout, '')
    t.regex(r.stderr, new RegExp(`^${tool}: ESRCH: no such process, open '/proc/\\d+': /proc must be the proc file system of this PID namespace`))
    t.notRegex(r.stderr, STACK)
  })
}

let noAddon: PackageCopy

test.before(() => {
  noAddon = packageCopy({ addon: false })
})

test.after.always(() => noAddon?.remove())

for (const tool of TOOLS) {
  test(`${tool}: without a loadable addon, -h and -V still work, and a run fails in one line that says what to do`, (t) => {
    const help = run([process.execPath, noAddon.bin(tool), '-h'])
    t.is(help.status, 0, help.stderr)
    t.regex(help.stdout, new RegExp(`^Usage: ${tool} `))
    const version = run([process.execPath, noAddon.bin(tool), '-V'])
    t.is(version.status, 0, version.stderr)
    const r = run([process.execPath, noAddon.bin(tool)])
    t.is(r.status, 1)
    t.regex(r.stderr, new RegExp(`^${tool}: linuxns-rel: the native addon for linux-\\S+ could not be loaded .*run \`npm install\``))
    t.notRegex(r.stderr, STACK)
    t.is(r.stdout, '')
  })
}
