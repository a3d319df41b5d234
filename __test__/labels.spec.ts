// One word for each state in every tool: a namespace that no process has
// entered yet is "pending" in lspidns, lsallns and graphns alike; a bind
// mount is named by its path in our own mount table; what keeps a namespace
// is told apart from its owner; --json lists in type and inode order. Each
// under both scans: the states and the order are the scan's findings.
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { nsInode, startSleeper, stop, stopAll } from './helpers/procs.js'
import { scanTest } from './helpers/scans.js'

const bin = (name: string): string => fileURLToPath(new URL(`../bin/${name}`, import.meta.url))

test.after.always(stopAll)

function tool(name: string, args: string[] = []): string {
  // The --json of a busy machine runs to megabytes: more than spawnSync's default buffer.
  const r = spawnSync(process.execPath, [bin(name), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 256 << 20 })
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`)
  return r.stdout
}

// The pending namespace's inode comes from discover(), tested against the
// kernel in discover.spec.ts: /proc shows its pid_for_children as an empty link.
scanTest({ feature: ['pidfdNamespace', '6.11'] }, 'a PID namespace no process has entered yet is "pending" in lspidns, lsallns and graphns', async (t, scan) => {
  const [pid] = await startSleeper(['unshare', '-Ur', '--pid', 'sleep', 'infinity'])
  const { discover } = await import('../index.js')
  const pending = discover({ types: ['pid'], scan }).namespaces.filter((ns) => ns.via.includes('pending'))
  const own = nsInode(pid!, 'pid')
  const ns = pending.find((p) => p.owner === nsInode(pid!, 'user'))
  t.truthy(ns, 'discover() finds the pending namespace')
  t.not(ns?.ino, own)
  const ino = ns!.ino
  t.regex(tool('lspidns', [`--scan=${scan}`]), new RegExp(`pid:\\[${ino}\\] no process \\(pending\\) owner user:\\[${nsInode(pid!, 'user')}\\]\\n`))
  t.regex(tool('lsallns', ['-t', 'pid', `--scan=${scan}`]), new RegExp(`^\\s*${ino} pid .* pending +- +\\(pending\\)$`, 'm'))
  const dot = tool('graphns', ['--format', 'dot', '--expand', `--scan=${scan}`])
  t.regex(dot, new RegExp(`  pid_${ino} \\[id="pid_${ino}", class="ns pid pending", label="pid:\\[${ino}\\]\\\\nno process \\(pending\\)\\\\n`))
  stop(pid!)
})

scanTest({ root: true }, 'a bind mount is named by the path in our own mount table, not by a copy in another mount namespace', async (t, scan) => {
  const dir = mkdtempSync(join(tmpdir(), 'linuxns-rel-labels-'))
  const file = join(dir, 'userns')
  writeFileSync(file, '')
  const [holder] = await startSleeper(['unshare', '-U', 'sleep', 'infinity'])
  const ino = nsInode(holder!, 'user')
  execFileSync('mount', ['--bind', `/proc/${holder}/ns/user`, file])
  // A mount namespace made now gets a copy of the mount: /proc/PID/root<file> to us, sorted before our own path.
  const [copier] = await startSleeper(['unshare', '-m', 'sleep', 'infinity'])
  stop(holder!)
  try {
    const { discover } = await import('../index.js')
    for (let i = 0; i < 100 && discover({ scan }).namespaces.find((ns) => ns.ino === ino)?.pid != null; i++) await new Promise((r) => setTimeout(r, 20))
    const ns = discover({ scan }).namespaces.find((n) => n.ino === ino)
    t.deepEqual(ns?.bindMounts, [`/proc/${copier}/root${file}`, file].sort())
    t.regex(tool('lsuserns', [`--scan=${scan}`]), new RegExp(`user:\\[${ino}\\] no process \\(bind mount ${file} and 1 more\\) owner root \\(0\\)\\n`))
    t.regex(tool('lsallns', ['-t', 'user', `--scan=${scan}`]), new RegExp(`^\\s*${ino} user .*\\(bind mount ${file} and 1 more\\)$`, 'm'))
  } finally {
    stop(copier!)
    spawnSync('umount', [file])
    rmSync(dir, { recursive: true, force: true })
  }
})

scanTest({}, 'lsuserns -d --json and lspidns -d --json list in type and inode order', (t, scan) => {
  for (const name of ['lsuserns', 'lspidns']) {
    const { namespaces } = JSON.parse(tool(name, ['-d', '--json', `--scan=${scan}`])) as { namespaces: { type: string; ino: number }[] }
    const sorted = [...namespaces].sort((a, b) => (a.type === b.type ? a.ino - b.ino : a.type < b.type ? -1 : 1))
    t.deepEqual(namespaces, sorted, name)
    t.true(new Set(namespaces.map((ns) => ns.type)).size > 1, `${name} -d lists other types too`)
  }
})
