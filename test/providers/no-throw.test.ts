import { describe, expect, it } from 'vitest'
import { dummyOptions, STANDARD_OPTIONS } from '../helpers/provider-options.ts'
import { builtinProviders, createRawRequest, type Provider, type RawRequest, type RequestDraft } from '../../providers/index.ts'

// Every built-in provider, fed garbage: verify, describe and challenge must never throw (a bad request is a value),
// and verify must never accept a request nobody signed. Deterministic: the cases come from a seeded generator.

const NOW = new Date('2024-05-01T10:00:00Z')

const parsed = new Map(builtinProviders.map((p) => [p.name, dummyOptions(p)]))

/** Header and query names a provider reads: those of its sample, of the sample signed, and those it redacts. */
async function knownNames(provider: Provider, options: unknown): Promise<{ headers: string[]; query: string[] }> {
  const headers = new Set(['authorization', 'content-type', 'user-agent'])
  const query = new Set<string>()
  const add = (draft: RequestDraft | undefined) => {
    if (!draft) return
    for (const name of Object.keys(draft.headers)) headers.add(name.toLowerCase())
    for (const name of new URL(draft.url).searchParams.keys()) query.add(name)
  }
  let sample: RequestDraft | undefined
  try {
    sample = provider.sample?.()
    add(sample)
    if (sample && provider.sign) add(await provider.sign(sample, options, NOW))
  } catch {
    // sign may throw on misuse (e.g. no private key for an asymmetric scheme): the sample's names are enough.
  }
  try {
    const redacted = provider.redact?.(options)
    for (const name of redacted?.headers ?? []) headers.add(name.toLowerCase())
    for (const name of redacted?.query ?? []) query.add(name)
  } catch {
    // a redact that throws is reported by the describe/verify checks below only if it matters there.
  }
  return { headers: [...headers], query: [...query] }
}

const JUNK = [
  '',
  ' ',
  'garbage',
  '0',
  '-1',
  'NaN',
  '1e308',
  '99999999999999999999999999999999',
  '-99999999999999999999999999999999',
  't=,v1=',
  't=99999999999999999999999,v1=zz,v0=',
  'sha256=' + 'g'.repeat(64),
  'sha1=' + 'a'.repeat(41),
  'v1,!!!!',
  '=,=,;;=',
  'Basic !!!',
  'Bearer a.b.c',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.',
  '{"a":',
  'null',
  '%00%ff',
  'caf\u00e9',
  'A'.repeat(8192),
]

const bodiesFor = (sample: string | undefined) => [
  '',
  '{',
  'not json',
  '[]',
  'null',
  '{"a":',
  '{"timestamp":1e308,"id":99999999999999999999999,"type":{},"created_at":-1,"event":null,"data":[]}',
  'payload=%7B%22a&x=%ZZ',
  '9'.repeat(100_000),
  ...(sample !== undefined ? [sample] : []),
]

const METHODS = ['GET', 'HEAD', 'POST']

/** mulberry32: a tiny seeded generator, so the cases are the same on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const seedOf = (name: string) => [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261)

interface Case {
  method: string
  headers: Record<string, string>
  query: Record<string, string>
  body: string
}

async function casesFor(provider: Provider, options: unknown): Promise<Case[]> {
  const names = await knownNames(provider, options)
  let sample: RequestDraft | undefined
  try {
    sample = provider.sample?.()
  } catch {
    sample = undefined
  }
  const bodies = bodiesFor(sample?.body)
  const fill = (value: (name: string) => string | undefined) => Object.fromEntries(names.headers.flatMap((n) => (value(n) === undefined ? [] : [[n, value(n)!]])))
  const fillQuery = (value: string) => Object.fromEntries(names.query.map((n) => [n, value]))
  const cases: Case[] = [
    { method: 'POST', headers: {}, query: {}, body: '' },
    // The sample itself, unsigned: realistic headers and body, no signature.
    ...(sample ? [{ method: sample.method, headers: sample.headers, query: {}, body: sample.body }] : []),
    // Every known header holding the same junk, one junk value per case.
    ...JUNK.map((junk, i) => ({ method: METHODS[i % METHODS.length]!, headers: fill(() => junk), query: fillQuery(junk), body: bodies[i % bodies.length]! })),
  ]
  // Mixed cases: each known header present or not, with a junk value of its own.
  const next = random(seedOf(provider.name))
  const pick = <T,>(list: T[]) => list[Math.floor(next() * list.length)]!
  for (let i = 0; i < 12; i++) {
    cases.push({
      method: pick(METHODS),
      headers: { ...(next() < 0.5 && sample ? sample.headers : {}), ...fill(() => (next() < 0.7 ? pick(JUNK) : undefined)) },
      query: fillQuery(pick(JUNK)),
      body: pick(bodies),
    })
  }
  return cases
}

const toRequest = (provider: Provider, c: Case): RawRequest => {
  const query = new URLSearchParams(c.query).toString()
  return createRawRequest({ method: c.method, url: `http://localhost:8787/webhooks/${provider.name}${query ? `?${query}` : ''}`, headers: c.headers, body: c.body })
}

const show = (c: Case) => {
  const clip = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…(${s.length} chars)` : s)
  const pairs = (record: Record<string, string>) => `{${Object.entries(record).map(([k, v]) => `${k}: ${clip(v)}`).join(', ')}}`
  return `${c.method} headers=${pairs(c.headers)} query=${pairs(c.query)} body=${clip(c.body)}`
}

describe('every built-in provider', () => {
  it('parses the standard dummy option bag', () => {
    const failures = [...parsed].flatMap(([name, result]) => (result.ok ? [] : [`${name}: ${result.error}`]))
    expect(failures, `providers whose options reject ${JSON.stringify({ ...STANDARD_OPTIONS, publicKey: '<generated>' })} (add them to EXTRA_OPTIONS):\n${failures.join('\n')}`).toEqual([])
  })

  it.each(builtinProviders.map((p) => [p.name, p] as const))('%s never throws on garbage and never accepts an unsigned request', async (name, provider) => {
    const result = parsed.get(name)!
    if (!result.ok) return // reported by the option-bag test above
    const problems: string[] = []
    const attempt = async (what: string, c: Case, run: () => unknown) => {
      try {
        return await run()
      } catch (error) {
        problems.push(`${what} threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)} on ${show(c)}`)
        return undefined
      }
    }
    for (const c of await casesFor(provider, result.options)) {
      const verdict = (await attempt('verify', c, () => provider.verify(toRequest(provider, c), result.options, NOW))) as { ok?: boolean } | undefined
      if (verdict?.ok === true) problems.push(`verify accepted an unsigned request: ${show(c)}`)
      await attempt('describe', c, () => provider.describe(toRequest(provider, c)))
      if (provider.challenge) await attempt('challenge', c, () => provider.challenge!(toRequest(provider, c), result.options, NOW))
    }
    expect(problems, problems.join('\n')).toEqual([])
  })
})
