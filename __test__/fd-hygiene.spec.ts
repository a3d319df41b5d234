// Alone in its file: the count of open descriptors is per process, and other
// specs running beside it would open and close their own.
import test from 'ava'
import { closeSync, openSync, readdirSync } from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'

import { getNstype, getOwnerUid, getParentns, getUserns, NamespaceFile } from '../index.js'
import { startSleeper, stopAll } from './helpers/procs.js'

test.after.always(stopAll)

const openFds = (): number => readdirSync('/proc/self/fd').length

const gc = (globalThis as { gc?: () => void }).gc

/** Collects garbage until the finalizers of unclosed NamespaceFiles have run. */
async function collect(target: number): Promise<number> {
  for (let round = 0; round < 100; round++) {
    gc?.()
    await nextTurn()
    if (openFds() <= target) break
  }
  return openFds()
}

test('100,000 mixed calls leave the descriptor count where it was', async (t) => {
  if (!gc) return t.fail('run with --expose-gc (the ava config passes it)')
  const [, pidnsMember] = await startSleeper(['unshare', '-Urpf', '--kill-child', 'sleep', 'infinity'])
  const nested = `/proc/${pidnsMember}/ns/pid`
  const before = await collect(0)
  const fd = openSync('/proc/self/ns/net', 'r')
  let unclosed = 0
  let errors = 0
  for (let i = 0; i < 100_000; i++) {
    try {
      switch (i % 10) {
        case 0:
          getNstype(fd)
          break
        case 1:
          getUserns('/proc/self/ns/net') // dropped unclosed: the finalizer must close it
          unclosed++
          break
        case 2:
          getParentns(nested).close()
          break
        case 3:
          getParentns('/proc/self/ns/user') // EPERM after a successful open
          break
        case 4:
          getNstype('/dev/null') // ENOTTY after a successful open
          break
        case 5:
          getOwnerUid('/no/such/namespace') // ENOENT from open
          break
        case 6:
          getUserns(-1) // EBADF
          break
        case 7: {
          using owner = getUserns(fd)
          getOwnerUid(owner)
          break
        }
        case 8:
          NamespaceFile.open(nested) // dropped unclosed
          unclosed++
          break
        case 9:
          unclosed++
          getParentns(getParentns(nested)) // EPERM on an unclosed intermediate
          break
      }
    } catch {
      errors++
    }
    if (i % 2000 === 1999) await collect(before + 1)
  }
  closeSync(fd)
  t.is(unclosed, 30_000)
  t.is(errors, 50_000)
  t.is(await collect(before), before)
})

test('100,000 NamespaceFiles dropped unclosed, with a turn of the event loop every 1,000 and no explicit collection, never hold more than 2,000 extra descriptors', async (t) => {
  const before = await collect(0)
  let most = 0
  for (let i = 1; i <= 100_000; i++) {
    // Dropped at once, as a program that forgets to close does.
    getUserns('/proc/self/ns/net')
    if (i % 1000 === 0) {
      await nextTurn()
      most = Math.max(most, openFds() - before)
    }
  }
  t.log(`at most ${most} descriptors over the ${before} open before`)
  t.true(most <= 2000, `${most} extra descriptors`)
  // All of them are closed in the end.
  t.is(await collect(before), before)
})
