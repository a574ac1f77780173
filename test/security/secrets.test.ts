// No secret in errors, logs, API answers or console pages. One gateway with two sources per built-in
// provider, each with its own fresh secrets, keys and tokens: one receives a valid delivery, the other a
// forgery (the right request with the signature made by another key). Everything the gateway says —
// every log line at trace level, the admin API, the console pages, /metrics — is searched for the
// configured secrets, the signatures it expected for the forgeries, and the redacted header values.
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinProviders, type Provider, type RequestDraft } from '../../providers/index.ts'
import { ConfigError, resolveConfig } from '../../src/config.ts'
import { createLogger } from '../../src/log.ts'
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.ts'
import { findSigningRecipe, signatureHeaders, signSample } from './signing-recipes.ts'

const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`
/** Keys of an option bag that hold secrets (public keys and user names are not). */
const SECRET_KEYS = ['secrets', 'secret', 'password', 'token', 'verifyToken', 'privateKey', 'signingSecret']

/** The distinctive parts of a secret or signature: the whole value, and its long runs between separators. */
function fragments(value: string): string[] {
  const parts = value.split(/[\s,;=:.]+|-----[A-Z ]+-----/).filter((p) => p.length >= 16)
  return [...new Set([value, ...parts].filter((p) => p.length >= 12))]
}

function secretsOf(bag: Record<string, unknown>): string[] {
  return SECRET_KEYS.flatMap((key) => [bag[key]].flat()).filter((v): v is string => typeof v === 'string').flatMap((v) => [v, v.replace(/^whsec_/, '')])
}

const lowerKeys = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]))

describe('no secret in logs, errors, API answers or pages', () => {
  let gw: TestGateway
  const logged: string[] = []
  const forbidden = new Map<string, string>() // fragment → what it is
  let forgeries = 0
  let expectedSignatures = 0

  const forbid = (what: string, value: string) => {
    for (const f of fragments(value)) forbidden.set(f, what)
  }

  beforeAll(async () => {
    const now = new Date()
    const sources: Record<string, Record<string, unknown> & { provider: string }> = {}
    const other = new Map<string, Record<string, unknown>>()
    const subjects: Provider[] = []
    for (const provider of builtinProviders) {
      const recipe = await findSigningRecipe(provider, now)
      if (!recipe) continue
      subjects.push(provider)
      for (const role of ['ok', 'forged']) {
        const bag = recipe.bag()
        sources[`${provider.name}.${role}`] = { ...bag, provider: provider.name }
        for (const s of secretsOf(bag)) forbid(`${provider.name}.${role} secret`, s)
      }
      other.set(provider.name, recipe.bag())
    }
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk))
        done()
      },
    })
    gw = await startTestGateway({ admin: { token: ADMIN_TOKEN }, sources: sources as never }, { worker: true, log: createLogger('trace', { destination }) })
    forbid('admin token', ADMIN_TOKEN)

    const url = (source: string) => `${gw.url}/webhooks/${source}`
    const send = async (draft: RequestDraft) => {
      const res = await fetch(draft.url, { method: draft.method, headers: draft.headers, body: draft.method === 'GET' || draft.method === 'HEAD' ? undefined : draft.body })
      return { status: res.status, text: await res.text() }
    }
    const answers: string[] = []
    for (const provider of subjects) {
      const okOptions = gw.config.sources.get(`${provider.name}.ok`)!.options
      const forgedOptions = gw.config.sources.get(`${provider.name}.forged`)!.options
      const wrongOptions = provider.options.parse(other.get(provider.name))
      // Redacted headers ride along when the scheme leaves them free.
      const extra = (draft: RequestDraft) => {
        const headers = lowerKeys(draft.headers)
        const added: Record<string, string> = {}
        for (const name of ['authorization', 'cookie', 'proxy-authorization']) {
          if (headers[name] === undefined) {
            added[name] = name === 'cookie' ? `session=${randomBytes(12).toString('hex')}` : `Bearer ${randomBytes(16).toString('hex')}`
          }
        }
        for (const value of Object.values(added)) forbid('redacted header', value)
        const redact = provider.redact?.(okOptions) ?? {}
        for (const name of [...(redact.headers ?? []), 'authorization', 'cookie', 'proxy-authorization']) if (headers[name.toLowerCase()]) forbid(`redacted ${name}`, headers[name.toLowerCase()]!)
        for (const name of redact.query ?? []) {
          const value = new URL(draft.url).searchParams.get(name)
          if (value) forbid(`redacted query ${name}`, value)
        }
        return { ...draft, headers: { ...draft.headers, ...added } }
      }

      const valid = extra(await signSample(provider, okOptions, url(`${provider.name}.ok`), now))
      answers.push((await send(valid)).text)

      // The forgery: the right request for `forged`, with the signature headers made by another key.
      const right = await signSample(provider, forgedOptions, url(`${provider.name}.forged`), now)
      const wrong = await signSample(provider, wrongOptions, url(`${provider.name}.forged`), now)
      const names = await signatureHeaders(provider, forgedOptions, url(`${provider.name}.forged`), now)
      const rightHeaders = lowerKeys(right.headers)
      const wrongHeaders = lowerKeys(wrong.headers)
      const forged = names.length ? { ...right, headers: { ...rightHeaders, ...Object.fromEntries(names.map((n) => [n, wrongHeaders[n] ?? ''])) } } : wrong
      // What differs between the two keys is the signature (a timestamp or an id in the same set does not).
      for (const n of names.filter((n) => rightHeaders[n] !== wrongHeaders[n])) {
        forbid(`expected ${n} for ${provider.name}.forged`, rightHeaders[n]!)
        expectedSignatures++
      }
      const answer = await send(extra(forged))
      answers.push(answer.text)
      if (answer.status >= 400) forgeries++
    }
    // The worker processes what was stored (and logs it).
    await waitFor(async () => (await gw.store.countWhere({ status: 'new' })) === 0, { timeoutMs: 10_000 })

    // Everything an operator can read.
    const api = async (path: string) => (await fetch(`${gw.url}/api${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text()
    const events = JSON.parse(await api('/events?limit=500')) as { items: { id: string }[] }
    answers.push(JSON.stringify(events), await api('/rejections?limit=500'), await api('/stats'))
    for (const { id } of events.items) answers.push(await api(`/events/${id}`))
    const login = await fetch(`${gw.url}/ui/login`, { method: 'POST', body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/ui' }), redirect: 'manual' })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const page = async (path: string) => (await fetch(`${gw.url}/ui${path}`, { headers: { cookie }, redirect: 'manual' })).text()
    answers.push(await page(''), await page('/events'), await page('/rejections'))
    for (const { id } of events.items) answers.push(await page(`/events/${id}`))
    answers.push(await (await fetch(`${gw.url}/metrics`)).text())
    pages.push(...answers)
  }, 120_000)
  const pages: string[] = []
  afterAll(() => gw?.close())

  const leaks = (texts: string[]) => {
    const found = new Set<string>()
    for (const text of texts) for (const [fragment, what] of forbidden) if (text.includes(fragment)) found.add(what)
    return [...found]
  }

  it('refused every forgery', () => {
    expect(forgeries).toBe(builtinProviders.length)
    console.log(`secrets test: ${forbidden.size} forbidden strings (secrets, ${expectedSignatures} expected signatures, redacted values), ${logged.length} log lines, ${pages.length} answers and pages searched`)
  })

  it('logs none of them, at trace level', () => {
    expect(logged.length).toBeGreaterThanOrEqual(forgeries)
    expect(leaks(logged)).toEqual([])
  })

  it('shows none of them in ingest answers, the admin API, the console pages or /metrics', () => {
    expect(leaks(pages)).toEqual([])
  })

  it('keeps the rejection reasons useful all the same', async () => {
    const rejections = await gw.store.rejections({ limit: 500 })
    expect(rejections.filter((r) => r.source.endsWith('.forged')).length).toBe(builtinProviders.length)
    expect(rejections.every((r) => r.reason.length > 0)).toBe(true)
  })

  it('names a bad secret in a config error by its key path, never by its value', async () => {
    const secret = `not-base64-${randomBytes(12).toString('hex')}!!`
    const error = await resolveConfig({ sources: { sw: { provider: 'standard-webhooks', secret } } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toMatch(/sources\.sw\.secret/)
    expect((error as ConfigError).message).not.toContain(secret)
  })
})
