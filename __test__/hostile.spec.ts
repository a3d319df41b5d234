// Names chosen by someone else reach no terminal raw: processes named with
// escape sequences, newlines, tabs, bidi overrides, bytes that are not UTF-8
// and 4,096 bytes, a bind mount on such a path and a user with such a name
// are shown escaped (\xHH) by every tool, one line each, and exact in --json,
// under both scans (BPF and /proc).
import test, { type ExecutionContext } from 'ava'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

import { childPids, nsInode } from './helpers/procs.js'
import { scanTest } from './helpers/scans.js'

const bin = (name: string): string => fileURLToPath(new URL(`../bin/${name}`, import.meta.url))

/** The names, as the bytes a process gives itself with `exec -a`. */
const NAMES: Record<string, Buffer> = {
  'terminal title': Buffer.from('evil\x1b]0;PWNED\x07<img src=x onerror=alert(1)>'),
  'newline and tab': Buffer.from('two\nlines\tand a tab'),
  'bidi override': Buffer.from('right\u202eleft'),
  'not UTF-8': Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x80, 0x21]),
  '4096 bytes': Buffer.concat([Buffer.from('long\x1b[2J'), Buffer.alloc(4096 - 9, 'x')]),
}

/** The characters the tools must escape: C0, DEL, C1, the backslash, bidi controls, line and paragraph separators. */
const UNSAFE = /[\0-\x1f\x7f-\x9f\\\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u

/** The UTF-8 character at `i` and its length in bytes, or null where the bytes there are no valid character. */
function charAt(bytes: Buffer, i: number): { text: string; len: number } | null {
  const b = bytes[i]!
  const len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0
  if (len === 0 || i + len > bytes.length) return null
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + len)), len }
  } catch {
    return null
  }
}

const hex = (b: number): string => `\\x${b.toString(16).padStart(2, '0')}`

/** What a tool must print for a name: each byte of an unsafe or invalid character as \xHH, the rest as it is. */
function escaped(name: Buffer): string {
  let out = ''
  for (let i = 0; i < name.length; ) {
    const c = charAt(name, i)
    const len = c?.len ?? 1
    out += c !== null && !UNSAFE.test(c.text) ? c.text : [...name.subarray(i, i + len)].map(hex).join('')
    i += len
  }
  return out
}

/** The string the library gives for a name: UTF-8 where valid, each other byte as U+DC80 + byte. */
function exact(name: Buffer): string {
  let out = ''
  for (let i = 0; i < name.length; ) {
    const c = charAt(name, i)
    out += c?.text ?? String.fromCharCode(0xdc00 + name[i]!)
    i += c?.len ?? 1
  }
  return out
}

/** The bytes of a name as a bash ANSI-C quoted word. */
function ansiC(name: Buffer): string {
  return `$'${[...name].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}'`
}

interface Named {
  label: string
  name: Buffer
  /** The sleep named `name`, alone in a PID namespace of its own. */
  pid: number
  /** Kills the processes and waits until they are gone. */
  stop(): Promise<void>
}

/**
 * `unshare -Ur --pid --fork`, both unshare and its sleep named `name`: the
 * user namespace's representative is unshare, the PID namespace's the sleep.
 */
async function startNamed(label: string, name: Buffer): Promise<Named> {
  const word = ansiC(name)
  const child = spawn('bash', ['-c', `exec -a ${word} unshare -Ur --pid --fork --kill-child bash -c "exec -a ${word} sleep infinity"`], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const top = child.pid!
  let sleeper = 0
  const stop = async (): Promise<void> => {
    child.kill('SIGKILL')
    await exited
    // The sleep dies with unshare (--kill-child); its parent reaps it.
    for (let i = 0; i < 500 && sleeper !== 0 && existsPid(sleeper); i++) await sleep(10)
  }
  const argv0 = Buffer.concat([name, Buffer.from([0])])
  for (let waited = 0; waited < 10_000; waited += 10) {
    const kid = childPids(top)[0]
    try {
      if (kid !== undefined && readFileSync(`/proc/${kid}/cmdline`).subarray(0, argv0.length).equals(argv0)) {
        sleeper = kid
        return { label, name, pid: kid, stop }
      }
    } catch {}
    await sleep(10)
  }
  await stop()
  throw new Error(`could not start a process named ${label}`)
}

function existsPid(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`)
    return true
  } catch {
    return false
  }
}

let named: Named[] = []

test.before(async () => {
  for (const [label, name] of Object.entries(NAMES)) named.push(await startNamed(label, name))
})

test.after.always(async () => {
  await Promise.all(named.map((n) => n.stop()))
  named = []
})

/** Runs a tool piped, keeping its output's bytes. */
function run(argv: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined }, maxBuffer: 1 << 28 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() }
}

/** No byte of the output can drive a terminal or start a line: only newlines among the controls, valid UTF-8, no C1 or bidi control. */
function assertInert(t: ExecutionContext, output: Buffer, what: string): void {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(output)
  t.false(/[\0-\x09\x0b-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u.test(text), `${what}: a raw control character`)
}

/** The lines of `output` that hold `text`. */
function linesWith(output: Buffer, text: string): string[] {
  return output
    .toString('utf8')
    .split('\n')
    .filter((line) => line.includes(text))
}

for (const tool of ['lsuserns', 'lspidns', 'lsallns'] as const) {
  scanTest({}, `${tool} shows each hostile process name escaped, on one line of its own`, (t, scan) => {
    const r = run([process.execPath, bin(tool), `--scan=${scan}`])
    t.is(r.status, 0, r.stderr)
    assertInert(t, r.stdout, tool)
    for (const n of named) {
      const type = tool === 'lspidns' ? 'pid' : 'user'
      const ino = nsInode(n.pid, type)
      const lines = linesWith(r.stdout, tool === 'lsallns' ? `${ino} ${type}` : `${type}:[${ino}]`)
      t.is(lines.length, 1, `${n.label}: one line for ${type}:[${ino}]`)
      t.true(lines[0]?.includes(escaped(n.name)), `${n.label}: ${JSON.stringify(lines[0]?.slice(0, 200))}`)
    }
  })
}

scanTest({}, 'graphns --format dot shows each hostile name escaped inside its label', (t, scan) => {
  const r = run([process.execPath, bin('graphns'), '--format', 'dot', '--expand', `--scan=${scan}`])
  t.is(r.status, 0, r.stderr)
  assertInert(t, r.stdout, 'dot')
  for (const n of named) {
    const lines = linesWith(r.stdout, `  pid_${nsInode(n.pid, 'pid')} [id=`)
    t.is(lines.length, 1, n.label)
    // DOT doubles each backslash of the escaped text inside its string literal.
    t.true(lines[0]?.includes(escaped(n.name).replace(/\\/g, '\\\\')), `${n.label}: ${lines[0]?.slice(0, 200)}`)
  }
})

scanTest({}, '--json keeps every name exact: a byte that is not UTF-8 as the lone surrogate U+DC80 + byte', (t, scan) => {
  const r = run([process.execPath, bin('lsallns'), '--json', `--scan=${scan}`])
  t.is(r.status, 0, r.stderr)
  const { namespaces } = JSON.parse(r.stdout.toString('utf8')) as { namespaces: { type: string; ino: number; process: string | null }[] }
  for (const n of named) {
    const ns = namespaces.find((x) => x.type === 'pid' && x.ino === nsInode(n.pid, 'pid'))
    t.is(ns?.process, exact(n.name), n.label)
  }
})

scanTest({ root: true }, 'a bind mount on a hostile path is shown escaped by lsuserns, lsallns and graphns', async (t, scan) => {
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-hostile-'))
  const path = join(dir, 'evil\n\x1b[31mred\x1b[0m\u202etxt')
  const holder = await startNamed('mount holder', Buffer.from('holder'))
  try {
    writeFileSync(path, '')
    execFileSync('mount', ['--bind', `/proc/${holder.pid}/ns/user`, path])
    const ino = nsInode(holder.pid, 'user')
    await holder.stop()
    const shown = escaped(Buffer.from(path))
    for (const [tool, key, text] of [
      ['lsuserns', `user:[${ino}]`, shown],
      ['lsallns', `${ino} user`, shown],
      // The graph shortens long paths from the front; the file's own name stays.
      ['graphns', `  user_${ino} [id=`, escaped(Buffer.from(basename(path))).replace(/\\/g, '\\\\')],
    ] as const) {
      const r = run([process.execPath, bin(tool), `--scan=${scan}`, ...(tool === 'graphns' ? ['--format', 'dot', '--expand'] : [])])
      t.is(r.status, 0, r.stderr)
      assertInert(t, r.stdout, tool)
      const lines = linesWith(r.stdout, key)
      t.is(lines.length, 1, tool)
      t.true(lines[0]?.includes(text), `${tool}: ${lines[0]}`)
    }
  } finally {
    spawnSync('umount', [path])
    await holder.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

scanTest({ root: true }, 'a user name from /etc/passwd is shown escaped by lsuserns and lsallns, exact in --json', async (t, scan) => {
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-passwd-'))
  const uid = 4242
  const name = 'evil\x1b]0;OWNED\x07\u202euser'
  const passwd = join(dir, 'passwd')
  writeFileSync(passwd, `${readFileSync('/etc/passwd', 'utf8')}${name}:x:${uid}:${uid}::/nonexistent:/usr/sbin/nologin\n`)
  const owned = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'unshare', '-U', 'sleep', 'infinity'], { stdio: 'ignore' })
  try {
    let ino = 0
    for (let i = 0; i < 1000 && ino === 0; i++) {
      const kid = owned.pid!
      try {
        if (readFileSync(`/proc/${kid}/cmdline`, 'utf8').startsWith('sleep\0')) ino = nsInode(kid, 'user')
      } catch {}
      if (ino === 0) await sleep(10)
    }
    t.not(ino, 0, 'the uid-4242 user namespace started')
    // The tools read this passwd: bind-mounted over /etc/passwd in a mount namespace of their own.
    const inNs = (tool: string, args: string[] = []): ReturnType<typeof run> =>
      run(['unshare', '-m', 'sh', '-c', 'mount --bind "$0" /etc/passwd && exec "$@"', passwd, process.execPath, bin(tool), `--scan=${scan}`, ...args])
    for (const [tool, key] of [
      ['lsuserns', `user:[${ino}]`],
      ['lsallns', `${ino} user`],
    ] as const) {
      const r = inNs(tool)
      t.is(r.status, 0, r.stderr)
      assertInert(t, r.stdout, tool)
      const lines = linesWith(r.stdout, key)
      t.is(lines.length, 1, tool)
      t.true(lines[0]?.includes(escaped(Buffer.from(name))), `${tool}: ${lines[0]}`)
    }
    const json = JSON.parse(inNs('lsuserns', ['--json']).stdout.toString('utf8')) as { namespaces: { ino: number; ownerName: string | null }[] }
    t.is(json.namespaces.find((ns) => ns.ino === ino)?.ownerName, name)
  } finally {
    owned.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
})
