// Replay protection. A captured, validly signed delivery sent again:
// - later than the provider's timestamp tolerance → 401 (reason 'stale'), for every provider whose
//   scheme carries a timestamp;
// - within it (or for schemes without a timestamp) → acknowledged again, stored once (dedupe by delivery id).
// The gateway's clock is a parameter (createApp's `now`), so "later" costs no waiting.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinProviders, draftToRawRequest, type Provider, type RequestDraft } from '../../providers/index.ts'
import { createApp } from '../../src/app.ts'
import { resolveConfig, type Config } from '../../src/config.ts'
import { createMetrics } from '../../src/metrics.ts'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { silentLog, tempDir, waitFor } from '../helpers/gateway.ts'
import { checksTimestamp, findSigningRecipe, signSample } from './signing-recipes.ts'

const T0 = new Date()
const BASE = 'http://hooks.test/webhooks'

interface Case {
  provider: Provider
  timestamped: boolean
  toleranceSeconds?: number
  /** The provider names a delivery id, so dedupe can recognise the replay. */
  hasDeliveryId: boolean
}

// Which providers carry a checked timestamp, and which name a delivery id, found from their own sign/verify/describe.
const cases: Case[] = []
const sourceInputs: Record<string, Record<string, unknown> & { provider: string }> = {}
for (const provider of builtinProviders) {
  const recipe = await findSigningRecipe(provider, T0)
  if (!recipe) continue
  const bag = recipe.bag()
  sourceInputs[provider.name] = { ...bag, provider: provider.name }
  const options = provider.options.parse(bag) as { toleranceSeconds?: number }
  const signed = await signSample(provider, options, `${BASE}/${provider.name}`, T0)
  cases.push({
    provider,
    timestamped: await checksTimestamp(provider, options, `${BASE}/${provider.name}`, T0),
    toleranceSeconds: options.toleranceSeconds,
    hasDeliveryId: !!provider.describe(draftToRawRequest(signed), options).deliveryId,
  })
}

describe('replayed deliveries', () => {
  const { dir, cleanup } = tempDir('inhook-replay-')
  let store: SqliteStore
  let config: Config
  let clock = T0
  let app: ReturnType<typeof createApp>

  beforeAll(async () => {
    config = await resolveConfig({ sources: sourceInputs as never })
    store = new SqliteStore(openDatabase(`file:${join(dir, 'inhook.db')}`))
    app = createApp({ config, store, log: silentLog, metrics: createMetrics(), adminToken: 'replay-test-admin-token', now: () => clock })
  })
  afterAll(async () => {
    await store.close()
    cleanup()
  })

  /** Sends `draft` as the gateway sees it at time `at`. */
  async function deliverAt(at: Date, draft: RequestDraft): Promise<number> {
    clock = at
    const res = await app.request(draft.url, { method: draft.method, headers: draft.headers, body: draft.method === 'GET' || draft.method === 'HEAD' ? undefined : draft.body })
    await res.arrayBuffer()
    return res.status
  }

  const timestamped = cases.filter((c) => c.timestamped)

  it('finds the timestamped schemes', () => {
    console.log(`replay: ${timestamped.length} of ${cases.length} providers check a timestamp: ${timestamped.map((c) => c.provider.name).join(', ')}`)
    expect(timestamped.length).toBeGreaterThanOrEqual(15)
  })

  it.each(timestamped.map((c) => [c.provider.name, c] as const))('%s: a replay after the tolerance is refused (401, stale)', async (name, c) => {
    const signed = await signSample(c.provider, config.sources.get(name)!.options, `${BASE}/${name}`, T0)
    expect(await deliverAt(T0, signed)).toBeLessThan(300)
    const tolerance = c.toleranceSeconds ?? 15 * 60
    expect(await deliverAt(new Date(T0.getTime() + (tolerance + 5) * 1000), signed)).toBe(401)
    // The rejection log is written in the background (best effort): wait for it.
    const rejection = await waitFor(async () => (await store.rejections({ source: name, limit: 1 }))[0])
    expect(rejection).toMatchObject({ status: 401, reason: 'stale' })
  })

  it.each(cases.filter((c) => c.hasDeliveryId).map((c) => [c.provider.name, c] as const))('%s: a replay within the tolerance is acknowledged and stored once', async (name, c) => {
    const signed = await signSample(c.provider, config.sources.get(name)!.options, `${BASE}/${name}`, new Date(T0.getTime() + 1000))
    const before = await store.countWhere({ source: name })
    const later = new Date(T0.getTime() + (c.timestamped ? Math.min(2, Math.max(0, (c.toleranceSeconds ?? 60) - 3)) : 3600) * 1000)
    const statuses = [await deliverAt(new Date(T0.getTime() + 1000), signed), await deliverAt(later, signed), await deliverAt(later, signed)]
    expect(statuses.every((s) => s < 300), `answers ${statuses.join(', ')}`).toBe(true)
    expect((await store.countWhere({ source: name })) - before).toBeLessThanOrEqual(1)
  })
})
