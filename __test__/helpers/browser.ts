// Debian's chromium, driven by playwright-core (which cannot fetch a browser
// here), for the specs that open the graph page.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'
import type { BrowserContext, Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const chromiumHere = existsSync(CHROMIUM)

/** ava's test where chromium is here or CI must have it; else a skip that says how to get it. */
export const browserTest = chromiumHere || process.env.CI === 'true' ? test : test.skip

/** Appended to a browser test's title where chromium is missing. */
export const chromiumNote = chromiumHere ? '' : ' (skipped: /usr/bin/chromium is missing; apt-get install -y chromium)'

export const VIEWPORT = { width: 1280, height: 800 }

/**
 * Runs `use` with a fresh headless chromium tab (its own profile, removed
 * afterwards), recording the page's errors and any request that is not for
 * a local file or blob.
 */
export async function withTab<T>(use: (tab: Page, seen: { errors: string[]; fetched: string[] }) => Promise<T>): Promise<T> {
  if (!chromiumHere) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium (CI needs it)`)
  const { chromium } = await import('playwright-core')
  const profile = mkdtempSync(join(tmpdir(), 'graphns-chromium-'))
  let context: BrowserContext | undefined
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: VIEWPORT,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    })
    const tab = context.pages()[0] ?? (await context.newPage())
    const seen = { errors: [] as string[], fetched: [] as string[] }
    tab.on('request', (r) => void (/^(file|blob):/.test(r.url()) || seen.fetched.push(r.url())))
    tab.on('pageerror', (e) => seen.errors.push(String(e)))
    return await use(tab, seen)
  } finally {
    await context?.close()
    rmSync(profile, { recursive: true, force: true })
  }
}
