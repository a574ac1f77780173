// The console end to end in headless Chromium (Debian's /usr/bin/chromium; .ci/install-chromium.sh).
// One browser launch for the whole file.
import { sign } from '@octokit/webhooks-methods'
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { PermanentError } from '../../src/worker/errors.ts'
import { startTestGateway, tempDir, waitFor, type TestGateway } from '../helpers/gateway.ts'

const CHROMIUM = '/usr/bin/chromium'
const SECRET = 'browser-test-github-secret'
const TOKEN = 'browser-test-admin-token-0123456789'
const XSS = '<script>alert(1)</script>'
const SCREENSHOT = resolve('test-output/console-overview.png')

/**
 * An hour of earlier traffic, written through the store with past times before the gateway starts, so the
 * chart has a history: per minute, a few deliveries that were processed (some failed) and a refusal now and then.
 */
async function seedHistory(url: string, now: Date) {
  const store = new SqliteStore(openDatabase(url))
  const seeded = { accepted: 0, processed: 0, failed: 0, rejected: 0 }
  for (let minutesAgo = 55; minutesAgo >= 2; minutesAgo--) {
    const at = new Date(now.getTime() - minutesAgo * 60_000)
    const count = 1 + ((minutesAgo * 7) % 5) + (minutesAgo < 20 ? 3 : 0)
    for (let i = 0; i < count; i++) {
      const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', minutesAgo, i }))
      await store.append({ source: 'github', provider: 'github', type: 'push', deliveryId: `history-${minutesAgo}-${i}`, method: 'POST', path: '/webhooks/github', query: '', headers: [['content-type', 'application/json']], body, receivedAt: at })
    }
    seeded.accepted += count
    for (const event of await store.claim({ limit: count, leaseMs: 60_000, now: at })) {
      const attempt = { attempt: 1, startedAt: at, finishedAt: new Date(at.getTime() + 1500) }
      if (Number(event.id) % 11 === 0) {
        await store.fail(event.id, { ...attempt, error: 'PermanentError: destination answered 422' })
        seeded.failed++
      } else {
        await store.complete(event.id, attempt)
        seeded.processed++
      }
    }
    if (minutesAgo % 6 === 0) {
      store.recordRejection({ at, source: 'github', clientIp: '203.0.113.9', status: 401, reason: 'mismatch', hint: 'no configured secret matches' })
      seeded.rejected++
    }
  }
  await store.close()
  return seeded
}

async function delivery(type: string, body: string, deliveryId: string) {
  return { headers: { 'content-type': 'application/json', 'x-github-event': type, 'x-github-delivery': deliveryId, 'x-hub-signature-256': await sign(SECRET, body) }, body }
}

// Skipped only on a developer machine without Chromium; in CI (.ci/run installs it) a missing browser fails.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('console in a browser', () => {
  let gw: TestGateway
  let context: BrowserContext
  let page: Page
  let profile: { dir: string; cleanup: () => void }
  let database: { dir: string; cleanup: () => void }
  /** The billing handler fails until the test "fixes" it. */
  let billingUp = false
  const dialogs: string[] = []
  const pageErrors: string[] = []

  let seeded: Awaited<ReturnType<typeof seedHistory>>

  beforeAll(async () => {
    database = tempDir('inhook-browser-db-')
    const url = `file:${join(database.dir, 'inhook.db')}`
    seeded = await seedHistory(url, new Date())
    gw = await startTestGateway(
      {
        admin: { token: TOKEN },
        database: { url },
        worker: { maxAttempts: 1 },
        sources: { github: { provider: 'github', secret: SECRET } },
        handlers: {
          github: {
            invoice: () => {
              if (!billingUp) throw new PermanentError('billing service answered 503')
            },
          },
        },
      },
      { worker: true },
    )
    for (let i = 0; i < 5; i++) await gw.send('github', await delivery('push', JSON.stringify({ ref: 'refs/heads/main', n: i }), `push-${i}`))
    await gw.send('github', await delivery('invoice', '{"invoice":"in_123","amount":4200}', 'invoice-1'))
    await gw.send('github', await delivery(XSS, JSON.stringify({ comment: XSS }), `xss-${XSS}`))
    await gw.send('github', await delivery('push', '{"n":0}', 'push-0')) // duplicate
    await gw.send('github', { headers: { 'x-hub-signature-256': 'sha256=00' }, body: '{}' }) // rejected
    await waitFor(async () => (await gw.store.countWhere({ status: 'failed', type: 'invoice' })) === 1 && (await gw.store.countWhere({ status: 'processed', since: new Date(Date.now() - 60_000) })) === 6)

    profile = tempDir('inhook-chromium-')
    context = await chromium.launchPersistentContext(profile.dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.setDefaultTimeout(10_000)
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    page.on('pageerror', (error) => pageErrors.push(error.message))
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    profile?.cleanup()
    await gw?.close()
    database?.cleanup()
  })

  it('logs in with the token', async () => {
    await page.goto(`${gw.url}/ui`)
    expect(new URL(page.url()).pathname).toBe('/ui/login')
    await page.fill('#token', TOKEN)
    await page.click('button[type=submit]')
    await page.waitForURL(`${gw.url}/ui`)
    expect(await page.textContent('h1')).toContain('Overview')
    const cookies = await context.cookies()
    expect(cookies.find((c) => c.name === 'inhook_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
    expect(await page.evaluate('document.cookie')).toBe('')
  })

  it('filters to failed events, opens one, replays it and sees its status change', async () => {
    await page.click('nav >> text=Events')
    await page.selectOption('select[name=status]', 'failed')
    await page.click('form.filters button[type=submit]')
    await page.waitForURL(/status=failed/)
    const rows = page.locator('#events tbody tr[data-id]')
    expect(await rows.count()).toBe(seeded.failed + 1)
    expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status'))))).toEqual(new Set(['failed']))
    expect(await rows.first().textContent()).toContain('billing service answered 503')

    await rows.first().locator('a').first().click()
    await page.waitForURL(/\/ui\/events\/\d+$/)
    expect(await page.textContent('#status')).toBe('failed')
    expect(await page.textContent('#attempts')).toContain('billing service answered 503')

    billingUp = true
    await page.click('#replay')
    await page.waitForSelector('.flash >> text=Replayed')
    // The page reloads itself while the event waits or runs.
    await page.waitForSelector('#status .s-processed')
    const timeline = await page.locator('#attempts li').allTextContents()
    expect(timeline).toHaveLength(3)
    expect(timeline[1]).toContain('replayed')
    expect(timeline[2]).toContain('processed')
  })

  it('shows a stored <script> payload as text and never runs it', async () => {
    await page.goto(`${gw.url}/ui/events?q=xss-`)
    expect(await page.textContent('#events tbody')).toContain(XSS)
    await page.locator('#events tbody a').first().click()
    await page.waitForURL(/\/ui\/events\/\d+$/)
    expect(await page.textContent('#body-pretty')).toContain(`"comment": "${XSS}"`)
    expect(await page.textContent('dl.meta')).toContain(XSS)
    expect(await page.locator('script').count()).toBe(1) // ours, nonce'd
    expect(dialogs).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('draws the overview and saves a screenshot of it', async () => {
    await page.goto(`${gw.url}/ui`)
    const totals = Object.fromEntries(
      await page.locator('svg g.series').evaluateAll((lines) => lines.map((l) => [l.getAttribute('class')!.split('series-')[1], Number(l.getAttribute('data-total'))])),
    )
    expect(totals).toEqual({ accepted: seeded.accepted + 7, duplicate: 1, rejected: seeded.rejected + 1, processed: seeded.processed + 7, failed: seeded.failed })
    expect(await page.textContent('#sources')).toContain('github')
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    expect(existsSync(SCREENSHOT)).toBe(true)
  })
})
