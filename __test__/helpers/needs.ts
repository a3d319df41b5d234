// Tests that cannot run here are listed as skipped, saying why in their
// title, never passed: a kernel without a feature, a user other than root.
import test, { type ExecutionContext } from 'ava'

import { kernelFeatures, type KernelFeatures } from '../../index.js'
import { isRoot } from './procs.js'

export const features = kernelFeatures()

type Body = (t: ExecutionContext) => void | Promise<void>

/** What a test needs: root, and a kernel feature with the release that brought it. */
export interface Needs {
  root?: boolean
  feature?: [keyof Omit<KernelFeatures, 'release'>, string]
  /** Why it cannot run here for another reason (the container engines cannot start); null where nothing stands in its way. */
  blocked?: string | null
}

/** `test`, or `test.skip` with the unmet need in the title. */
export function testNeeding(needs: Needs, title: string, fn: Body): void {
  const why =
    needs.blocked != null
      ? needs.blocked
      : needs.root && !isRoot
      ? 'needs root'
      : needs.feature && !features[needs.feature[0]]
        ? `needs Linux ${needs.feature[1]}, this is ${features.release}`
        : null
  if (why === null) test(title, fn)
  else test.skip(`${title} (skipped: ${why})`, fn)
}

/** A test that needs `feature`, which Linux `since` brought. */
export function featureTest(feature: keyof Omit<KernelFeatures, 'release'>, since: string, title: string, fn: Body): void {
  testNeeding({ feature: [feature, since] }, title, fn)
}
