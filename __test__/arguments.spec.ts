// Property tests of the argument checks: any value that is not a namespace
// reference (a path string, an int32 descriptor, an object with an int32 fd)
// is refused with a TypeError or RangeError in Node's style, before any
// system call: never a crash, never an error of the kernel's.
import test from 'ava'
import fc from 'fast-check'

import * as ns from '../index.js'

const INT32_MAX = 2 ** 31 - 1
const INT32_MIN = -(2 ** 31)

const isInt32 = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX

/** Whether `v` is a reference the functions accept (a system call may then fail, which is not this test's concern). */
function isReference(v: unknown): boolean {
  if (typeof v === 'string' || isInt32(v)) return true
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && isInt32((v as { fd?: unknown }).fd)
}

/** Values of every kind, with numbers, fds and objects near the edges the checks draw. */
const anyValue = fc.oneof(
  fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }),
  fc.double(),
  fc.integer().map((n) => n * 2 ** 20),
  fc.record({ fd: fc.oneof(fc.double(), fc.string(), fc.bigInt(), fc.constant(null), fc.constant(2 ** 31), fc.constant(-(2 ** 31) - 1)) }),
  fc.constantFrom(Symbol('x'), () => 3, Buffer.from('/proc/self/ns/net'), new Uint8Array(4), Number.NaN, Infinity, -Infinity),
)

/** The error is one of Node's argument errors, and no system call's. */
function isArgumentError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException
  return (
    (e instanceof TypeError || e instanceof RangeError) &&
    ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE'].includes(String(e.code)) &&
    e.errno === undefined &&
    e.syscall === undefined
  )
}

function refused(call: () => unknown): boolean {
  try {
    call()
  } catch (err) {
    return isArgumentError(err)
  }
  return false
}

const BY_REFERENCE: [string, (ref: ns.NamespaceRef) => unknown][] = [
  ['getNstype', ns.getNstype],
  ['getOwnerUid', ns.getOwnerUid],
  ['getUserns', ns.getUserns],
  ['getParentns', ns.getParentns],
  ['getNsId', ns.getNsId],
  ['nsStat', ns.nsStat],
  ['getMntnsId', ns.getMntnsId],
  ['nsFileHandle', ns.nsFileHandle],
  ['pidFromPidns', (ref) => ns.pidFromPidns(ref, 1)],
  ['tgidFromPidns', (ref) => ns.tgidFromPidns(ref, 1)],
  ['pidInPidns', (ref) => ns.pidInPidns(ref, 1)],
  ['tgidInPidns', (ref) => ns.tgidInPidns(ref, 1)],
]

for (const [name, fn] of BY_REFERENCE) {
  test(`${name}: every value that is not a namespace reference is an argument error`, (t) => {
    t.notThrows(() =>
      fc.assert(fc.property(anyValue.filter((v) => !isReference(v)), (v) => refused(() => fn(v as ns.NamespaceRef))), { numRuns: 500 }),
    )
  })
}

test('the other arguments: a pid, a type name, a handle, a path, a descriptor, discover() options', (t) => {
  t.notThrows(() => {
    const notPid = anyValue.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= INT32_MAX))
    fc.assert(fc.property(notPid, (v) => refused(() => ns.pidInPidns('/proc/self/ns/pid', v as number))), { numRuns: 300 })
    fc.assert(fc.property(notPid, (v) => refused(() => ns.openProcessNamespace(v as number, 'net'))), { numRuns: 300 })
    const notTypeName = anyValue.filter((v) => !(ns.NSTYPE_NAMES as readonly unknown[]).includes(v))
    fc.assert(fc.property(notTypeName, (v) => refused(() => ns.openProcessNamespace(process.pid, v as ns.NstypeName))), { numRuns: 300 })
    fc.assert(fc.property(notTypeName, (v) => refused(() => ns.discover({ types: [v as ns.NstypeName] }))), { numRuns: 300 })
    const notBytes = anyValue.filter((v) => !(v instanceof Uint8Array))
    fc.assert(fc.property(notBytes, (v) => refused(() => ns.openNsFileHandle(v as Buffer))), { numRuns: 300 })
    const notString = anyValue.filter((v) => typeof v !== 'string')
    fc.assert(fc.property(notString, (v) => refused(() => ns.NamespaceFile.open(v as string))), { numRuns: 300 })
    const notFd = anyValue.filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= INT32_MAX))
    fc.assert(fc.property(notFd, (v) => refused(() => new ns.NamespaceFile(v as number))), { numRuns: 300 })
    const notOptions = anyValue.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
    fc.assert(fc.property(notOptions.filter((v) => v !== undefined), (v) => refused(() => ns.discover(v as ns.DiscoverOptions))), { numRuns: 300 })
    const notBoolean = anyValue.filter((v) => typeof v !== 'boolean' && v !== undefined)
    for (const key of ['tasks', 'fds', 'bindMounts'] as const) {
      fc.assert(fc.property(notBoolean, (v) => refused(() => ns.discover({ [key]: v as boolean }))), { numRuns: 200 })
    }
  })
})
