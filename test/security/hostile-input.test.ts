// Nobody gets in who should not, property-based (fast-check), through the real HTTP ingest path of one
// gateway with three sources per built-in provider (fuzz, a, b — each with its own fresh secrets and keys):
// - random and mutated methods, headers, query strings and bodies never yield a 5xx or a stored event;
// - a validly signed delivery whose signature headers are replaced or removed is never stored;
// - a timestamp far outside any tolerance is never accepted; one inside the provider's tolerance is;
// - a delivery signed with one source's secret is refused by every other source, its sibling included
//   (same provider, same URL it was signed for, different secret).
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinProviders, draftToRawRequest, type Provider, type RequestDraft } from '../../providers/index.ts'
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts'
import { checksTimestamp, findSigningRecipe, sampleFor, signatureHeaders, signSample } from './signing-recipes.ts'

/** Runs per provider for each property: bounded so the whole file stays within a few seconds. */
const RUNS = { unsigned: 20, broken: 8, staleTimestamps: 6, freshTimestamps: 3 }
/** Providers tested at once (each property runs its inputs one after another). */
const PARALLEL = 10

/** Headers fetch manages itself, or that would make the request malformed rather than hostile. */
const UNSENDABLE = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection'])

const JUNK = ['', ' ', '0', '-1', 'NaN', '1e308', '99999999999999999999999', 't=,v1=', 'sha256=', 'v1,', 'Basic !!!', 'Bearer a.b.c', 'eyJhbGciOiJub25lIn0.e30.', '{"a":', 'null', '%00%ff', '=,=;;=']

interface Subject {
  provider: Provider
  fuzz: string
  a: string
  b: string
  /** Headers the signature lives in (dropping one fails verify). */
  signatureHeaders: string[]
  checksTimestamp: boolean
  toleranceSeconds?: number
  headerNames: string[]
  queryNames: string[]
  sample: RequestDraft
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 })
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,24}$/).filter((n) => !UNSENDABLE.has(n))
const headerValue = fc.oneof(
  printable,
  fc.constantFrom(...JUNK),
  fc.integer({ min: -1e13, max: 1e13 }).map(String),
  fc.base64String({ maxLength: 120 }),
  fc.stringMatching(/^(sha1|sha256|v1|t)=[0-9a-f]{0,80}$/),
  fc.tuple(fc.integer({ min: 0, max: 2e9 }), fc.stringMatching(/^[0-9a-f]{64}$/)).map(([t, s]) => `t=${t},v1=${s}`),
)

/** Bytes near the provider's sample: flipped, cut, extended. */
const mutatedBody = (sample: string) =>
  fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
      const b = Buffer.from(sample)
      if (b.length) b[i % b.length]! ^= x
      return b
    }),
    fc.nat().map((i) => Buffer.from(sample).subarray(0, sample.length ? i % sample.length : 0)),
    printable.map((extra) => Buffer.from(sample + extra)),
  )

const bodyArb = (sample: string) =>
  fc.oneof(fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b)), fc.json().map((j) => Buffer.from(j)), fc.constant(Buffer.from(sample)), mutatedBody(sample))

const methodsOf = (p: Provider) => p.methods ?? ['POST']

describe('hostile input, property-based, through HTTP', () => {
  let gw: TestGateway
  const subjects: Subject[] = []
  const unsignable: string[] = []
  let inputs = 0
  let offline = 0
  const now = new Date()

  const urlOf = (source: string) => `${gw.url}/webhooks/${source}`

  async function send(url: string, method: string, headers: Record<string, string>, body: Uint8Array | string | undefined): Promise<number> {
    inputs++
    const res = await fetch(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : (body as RequestInit['body']), redirect: 'manual' })
    await res.arrayBuffer()
    return res.status
  }
  const sendDraft = (draft: RequestDraft) => send(draft.url, draft.method, draft.headers, draft.body)
  const storedIn = (source: string) => gw.store.countWhere({ source })

  /** Runs `check` for each subject, PARALLEL at a time. */
  async function eachSubject(check: (s: Subject) => Promise<void>, filter: (s: Subject) => boolean = () => true) {
    const queue = subjects.filter(filter)
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) await check(s)
    }))
  }

  beforeAll(async () => {
    const sources: Record<string, { provider: string; [option: string]: unknown }> = {}
    const recipes = new Map<string, NonNullable<Awaited<ReturnType<typeof findSigningRecipe>>>>()
    for (const provider of builtinProviders) {
      const recipe = await findSigningRecipe(provider, now)
      if (!recipe) {
        unsignable.push(provider.name)
        continue
      }
      recipes.set(provider.name, recipe)
      for (const role of ['fuzz', 'a', 'b']) sources[`${provider.name}.${role}`] = { ...recipe.bag(), provider: provider.name }
    }
    gw = await startTestGateway({ sources: sources as never })
    for (const provider of builtinProviders.filter((p) => recipes.has(p.name))) {
      const fuzz = `${provider.name}.fuzz`
      const options = gw.config.sources.get(fuzz)!.options as { toleranceSeconds?: number }
      const signed = await signSample(provider, options, urlOf(fuzz), now)
      const sample = sampleFor(provider, urlOf(fuzz))
      const redact = provider.redact?.(options) ?? {}
      subjects.push({
        provider,
        fuzz,
        a: `${provider.name}.a`,
        b: `${provider.name}.b`,
        signatureHeaders: await signatureHeaders(provider, options, urlOf(fuzz), now),
        checksTimestamp: await checksTimestamp(provider, options, urlOf(fuzz), now),
        toleranceSeconds: typeof options.toleranceSeconds === 'number' ? options.toleranceSeconds : undefined,
        headerNames: [...new Set([...Object.keys(sample.headers), ...Object.keys(signed.headers), ...(redact.headers ?? [])].map((h) => h.toLowerCase()))].filter((h) => !UNSENDABLE.has(h)),
        queryNames: [...new Set([...new URL(signed.url).searchParams.keys(), ...(redact.query ?? []), 'challenge', 'hub.challenge', 'hub.mode', 'hub.verify_token', 'crc_token'])],
        sample,
      })
    }
  }, 60_000)

  afterAll(async () => {
    console.log(`hostile inputs tried: ${inputs} HTTP requests and ${offline} cross-source verifications, ${subjects.length} providers, ${subjects.length * 3} sources`)
    await gw?.close()
  })

  it('has a signing recipe for every built-in provider', () => {
    expect(unsignable).toEqual([])
  })

  it('random and mutated requests never yield a 5xx, and nothing unsigned is stored', { timeout: 60_000 }, async () => {
    await eachSubject(async (s) => {
      const request = fc.record({
        method: fc.constantFrom(...methodsOf(s.provider), 'PUT', 'DELETE'),
        headers: fc.dictionary(fc.oneof(fc.constantFrom(...s.headerNames), headerName), fc.oneof(headerValue, fc.constantFrom(...Object.values(s.sample.headers).filter((v) => !/[\r\n]/.test(v)), '')), { maxKeys: 12 }),
        query: fc.dictionary(fc.oneof(fc.constantFrom(...s.queryNames), headerName), printable, { maxKeys: 4 }),
        body: bodyArb(s.sample.body),
      })
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const query = new URLSearchParams(r.query).toString()
          const status = await send(`${urlOf(s.fuzz)}${query ? `?${query}` : ''}`, r.method, r.headers, r.body)
          expect(status, `${s.provider.name}: ${r.method}`).toBeLessThan(500)
          if (status < 300) expect(await storedIn(s.fuzz), `${s.provider.name} stored an unsigned request`).toBe(0)
        }),
        { numRuns: RUNS.unsigned, seed: seedOf(s.provider.name) },
      )
    })
    for (const s of subjects) expect(await storedIn(s.fuzz), s.fuzz).toBe(0)
  })

  it('a signed delivery with its signature headers replaced or removed is never stored', { timeout: 60_000 }, async () => {
    await eachSubject(
      async (s) => {
        const breakage = fc.record({
          names: fc.subarray(s.signatureHeaders, { minLength: 1 }),
          remove: fc.boolean(),
          value: headerValue,
        })
        await fc.assert(
          fc.asyncProperty(breakage, async ({ names, remove, value }) => {
            const signed = await signSample(s.provider, gw.config.sources.get(s.fuzz)!.options, urlOf(s.fuzz), new Date())
            const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]))
            for (const name of names) {
              fc.pre(remove || headers[name] !== value)
              if (remove) delete headers[name]
              else headers[name] = value
            }
            const status = await sendDraft({ ...signed, headers })
            expect(status).toBeLessThan(500)
            if (status < 300) expect(await storedIn(s.fuzz), `${s.provider.name} stored a delivery with ${names.join(', ')} ${remove ? 'removed' : `set to ${JSON.stringify(value)}`}`).toBe(0)
          }),
          { numRuns: RUNS.broken, seed: seedOf(s.provider.name) },
        )
      },
      (s) => s.signatureHeaders.length > 0,
    )
    for (const s of subjects) expect(await storedIn(s.fuzz), s.fuzz).toBe(0)
  })

  it('a timestamp far outside the tolerance is refused; one inside the tolerance is accepted', { timeout: 60_000 }, async () => {
    const YEAR = 365 * 86_400
    await eachSubject(
      async (s) => {
        const far = fc.oneof(fc.integer({ min: 3600, max: 10 * YEAR }), fc.integer({ min: -10 * YEAR, max: -3600 }))
        await fc.assert(
          fc.asyncProperty(far, async (offsetSeconds) => {
            const signed = await signSample(s.provider, gw.config.sources.get(s.fuzz)!.options, urlOf(s.fuzz), new Date(Date.now() + offsetSeconds * 1000))
            const status = await sendDraft(signed)
            expect(status).toBeLessThan(500)
            if (status < 300) expect(await storedIn(s.fuzz), `${s.provider.name} accepted a delivery signed ${offsetSeconds} s away`).toBe(0)
          }),
          { numRuns: RUNS.staleTimestamps, seed: seedOf(s.provider.name) },
        )
        // Inside the window (leaving room for whole-second rounding), a delivery is accepted.
        const window = Math.max(0, Math.min(30, (s.toleranceSeconds ?? 0) - 2))
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: -window, max: window }), async (offsetSeconds) => {
            const signed = await signSample(s.provider, gw.config.sources.get(s.b)!.options, urlOf(s.b), new Date(Date.now() + offsetSeconds * 1000))
            expect(await sendDraft(signed), `${s.provider.name} refused a delivery signed ${offsetSeconds} s away`).toBeLessThan(300)
          }),
          { numRuns: RUNS.freshTimestamps, seed: seedOf(s.provider.name) },
        )
      },
      (s) => s.checksTimestamp,
    )
  })

  it('a delivery signed with one source’s secret is refused by every other source, and accepted by its own', { timeout: 60_000 }, async () => {
    const sources = subjects.flatMap((t) => [t.a, t.b, t.fuzz])
    const wrongly: string[] = []
    await eachSubject(async (s) => {
      const options = gw.config.sources.get(s.a)!.options
      const signedFor = (target: string) => signSample(s.provider, options, urlOf(target), new Date())
      // Over HTTP: its own source accepts it; its siblings (same provider, other secrets) and a sample of
      // other sources refuse it, even signed for their own URL.
      expect(await sendDraft(await signedFor(s.a)), `${s.a} refused its own delivery`).toBeLessThan(300)
      const others = fc.sample(fc.shuffledSubarray(sources.filter((t) => !t.startsWith(`${s.provider.name}.`)), { minLength: 8, maxLength: 8 }), { numRuns: 1, seed: seedOf(s.a) })[0]!
      for (const target of [s.b, s.fuzz, ...others]) {
        const status = await sendDraft(await signedFor(target))
        expect(status).toBeLessThan(500)
        if (status < 300) wrongly.push(`HTTP ${s.a} → ${target}: ${status}`)
      }
      // One source of every provider (and its own siblings), by that provider's verify with that
      // source's options, exactly as ingest calls it: no HTTP, so every pair fits in the time budget.
      for (const [i, target] of [s.fuzz, ...subjects.map((t) => t.b)].entries()) {
        // Verification is synchronous work: yield now and then, so timers (keep-alive expiry) stay on time.
        if (i % 16 === 0) await new Promise((r) => setImmediate(r))
        const config = gw.config.sources.get(target)!
        const draft = await signedFor(target)
        offline++
        const verdict = await Promise.resolve()
          .then(() => config.provider.verify(draftToRawRequest(draft), config.options, new Date()))
          .catch((error: Error) => ({ ok: false, threw: error.message }))
        if (verdict.ok) wrongly.push(`verify ${s.a} → ${target}`)
      }
    })
    expect(wrongly).toEqual([])
    for (const s of subjects) {
      expect(await storedIn(s.fuzz), s.fuzz).toBe(0)
      expect(await storedIn(s.a), s.a).toBeGreaterThan(0)
    }
  })
})

/** A stable seed per provider, so a failure names a reproducible input. */
function seedOf(name: string): number {
  return [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261) | 0
}
