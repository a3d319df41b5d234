// The examples of the README, runnable: node --import tsx examples/tour.ts
import { readFileSync } from 'node:fs'
import { open } from 'node:fs/promises'

import {
  CLONE_NEWNET,
  getNstype,
  getOwnerUid,
  getParentns,
  getUserns,
  nstypeStr,
} from '../index.js'

/** The user name of a uid, from /etc/passwd (Node has no getpwuid). */
function userName(uid: number): string | undefined {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[2] === String(uid))
  return entry?.[0]
}

// Who owns the user namespace that owns our network namespace?
{
  using ownerNs = getUserns('/proc/self/ns/net')
  const ownerUid = getOwnerUid(ownerNs)
  console.log('owning user:', userName(ownerUid))
}

// The parent of our own user namespace is out of view.
try {
  using parent = getParentns('/proc/self/ns/user')
} catch (err) {
  console.log(String(err))
}

// Flat namespaces have no parent at all.
try {
  using parent = getParentns('/proc/self/ns/uts')
} catch (err) {
  console.log(String(err))
}

console.log(getNstype('/proc/self/ns/net') === CLONE_NEWNET)

// An already open file works as well.
{
  await using netns = await open('/proc/self/ns/net')
  console.log(getNstype(netns) === CLONE_NEWNET)
}

console.log(getOwnerUid('/proc/self/ns/user'))

{
  using owningUserns = getUserns('/proc/self/ns/pid')
  console.log(getOwnerUid(owningUserns))
}

console.log(nstypeStr(getNstype('/proc/self/ns/net')))
console.log(nstypeStr(getNstype(getUserns('/proc/self/ns/net'))))
