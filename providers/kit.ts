// The provider kit: the small types and helpers every provider module is built from.
// Providers see a plain request with the exact body bytes and return a verdict; they know
// nothing of HTTP frameworks, storage or config files (ARCHITECTURE.md, "Provider modules").
import { createHash, createHmac, createPrivateKey, createPublicKey, sign as signWithKey, timingSafeEqual, verify as verifyWithKey } from 'node:crypto'
import nacl from 'tweetnacl'
import { z, type ZodType } from 'zod'

/** Why a request was refused. Kept server-side (log, metrics, rejection log), never sent to the caller. */
export type RejectReason =
  | 'missing-signature' // the signature header/field is absent
  | 'malformed-signature' // present but not in the provider's format
  | 'missing-timestamp'
  | 'malformed-timestamp'
  | 'stale' // outside the provider's tolerance window
  | 'mismatch' // well-formed, but no configured secret/key produces it
  | 'missing-token' // token / basic-auth schemes: nothing presented
  | 'bad-token' // token / basic-auth schemes: wrong value
  | 'unknown-key' // e.g. Pusher: the key id names no configured secret
  | 'bad-request' // the body or URL lacks what the scheme signs (e.g. no payload field)

export type Verdict = { ok: true } | Rejection
export type Rejection = { ok: false; reason: RejectReason; hint?: string }

/** A response the gateway must send as-is (handshakes, provider-mandated acknowledgements). */
export interface Reply {
  status: number
  headers?: Record<string, string>
  body: string
}

/** What a provider sees of an incoming request: the exact bytes, never a re-serialized body. */
export interface RawRequest {
  method: string
  /** The public URL the provider signed: the source's `url` when configured, else rebuilt from the request. */
  url: string
  headers: Headers
  query: URLSearchParams
  body: Uint8Array
  /** The body decoded as UTF-8. */
  text(): string
  /** The body parsed as JSON; `undefined` when it is not valid JSON. */
  json<T = unknown>(): T | undefined
  /** The body parsed as `application/x-www-form-urlencoded`. */
  form(): URLSearchParams
}

/** An outgoing request under construction: for `inhook send`, samples and tests. */
export interface RequestDraft {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

export interface Description {
  /** The provider's delivery id, used for dedupe: unique per (source, deliveryId). */
  deliveryId?: string
  type?: string
  /** The provider's own event time, when the payload carries one. */
  occurredAt?: Date
}

export interface Provider<Options = any> {
  /** The value of `provider:` in the config, e.g. 'github'. */
  name: string
  title: string
  /** Link to the provider's signature documentation. */
  docs: string
  /** What a source of this provider needs. Parsed from the source's config (secret → secrets already normalised). */
  options: ZodType<Options>
  /** HTTP methods accepted (default: ['POST']). */
  methods?: string[]
  /**
   * The largest body the provider documents sending, in bytes, when over 1 MiB: a source of this
   * provider accepts bodies up to it unless its `bodyLimit` or the server's says otherwise.
   */
  maxBodyBytes?: number
  /** Short description of the handshake answered, for the catalogue (e.g. 'url_verification challenge'). */
  handshake?: string
  verify(req: RawRequest, opts: Options, now: Date): Verdict | Promise<Verdict>
  /**
   * Answers the provider's handshake. Returns undefined when `req` is not a handshake; a Reply to
   * send as-is; or a Rejection when the handshake fails its own check (signed handshakes verify first).
   * Handshakes are not stored.
   */
  challenge?(req: RawRequest, opts: Options, now: Date): Reply | Rejection | undefined | Promise<Reply | Rejection | undefined>
  /** The acknowledgement for a stored (or duplicate) delivery, when the provider requires a specific one (default: 200). */
  ack?(req: RawRequest, opts: Options): Reply
  /** Delivery id, type and event time. `opts` for providers whose headers are configurable (e.g. generic HMAC). */
  describe(req: RawRequest, opts?: Options): Description
  /** Header and query names that carry secrets: redacted before the request is stored. */
  redact?(opts: Options): { headers?: string[]; query?: string[] }
  /** A realistic unsigned delivery of this provider (for `inhook send` and tests). */
  sample?(type?: string): RequestDraft
  /** Signs a draft exactly as the provider would. */
  sign?(draft: RequestDraft, opts: Options, now: Date): RequestDraft | Promise<RequestDraft>
}

/** A provider that cannot be verified offline, or whose senders are gone: listed with the reason. */
export interface Unverifiable {
  name: string
  title: string
  docs: string
  reason: string
}

/** Identity helper that keeps the options type inferred from the zod schema. */
export function defineProvider<S extends ZodType>(provider: Provider<z.output<S>> & { options: S }): Provider<z.output<S>> {
  return provider
}

/** A rejection with an optional hint (what to check; never a secret or the expected signature). */
export const reject = (reason: RejectReason, hint?: string): Rejection => (hint === undefined ? { ok: false, reason } : { ok: false, reason, hint })
export const accept: Verdict = Object.freeze({ ok: true }) as Verdict

/** A reply: text/plain for a string body, JSON for an object. */
export const reply = (body: string | object, status = 200, headers: Record<string, string> = {}): Reply =>
  typeof body === 'string'
    ? { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body }
    : { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }

/** Constant-time string comparison: compares lengths first, then bytes with `timingSafeEqual`. */
export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === 'string' ? Buffer.from(a) : a
  const y = typeof b === 'string' ? Buffer.from(b) : b
  if (x.length !== y.length) return false
  return timingSafeEqual(x, y)
}

/** One or more secrets; any may match (rotation). The config turns `secret: 'x'` into `secrets: ['x']`. */
export const secretsOption = z.array(z.string().min(1, 'expected a non-empty secret')).min(1, 'expected at least one secret')

/** A PEM public key, checked when the config is loaded; `message` says where the user finds the key. */
export const pemPublicKeyOption = (message: string) =>
  z.string().refine((pem) => {
    try {
      createPublicKey(pem)
      return true
    } catch {
      return false
    }
  }, message)

/** A timestamp window in seconds, defaulting to the provider's documented one. */
export const toleranceOption = (defaultSeconds: number) => z.number().int().nonnegative().default(defaultSeconds)

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512' | 'md5'

/** The HMAC of the concatenated `data` with `key`. */
export const hmac = (algorithm: HmacAlgorithm, key: string | Uint8Array, ...data: (string | Uint8Array)[]) => {
  const h = createHmac(algorithm, key)
  for (const d of data) h.update(d)
  return h.digest()
}

/** The digest of the concatenated `data`. */
export const hash = (algorithm: HmacAlgorithm, ...data: (string | Uint8Array)[]) => {
  const h = createHash(algorithm)
  for (const d of data) h.update(d)
  return h.digest()
}

/**
 * True when any of `candidates` (each computed with one secret) equals `presented`, compared in
 * constant time. Every secret is tried, so timing does not reveal which one matched.
 */
export function anyEqual(presented: string | Uint8Array, candidates: (string | Uint8Array)[]): boolean {
  let ok = false
  for (const c of candidates) ok = safeEqual(presented, c) || ok
  return ok
}

/** Compares a presented token with the expected one in constant time, whatever their lengths (both sides are hashed first). */
export const tokenEqual = (presented: string, expected: string): boolean => safeEqual(hash('sha256', presented), hash('sha256', expected))

/** True when `presented` equals any of `tokens` (rotation); each is compared as `tokenEqual` does, none skipped. */
export const anyTokenEqual = (presented: string, tokens: string[]): boolean => anyEqual(hash('sha256', presented), tokens.map((token) => hash('sha256', token)))

/** The headers of a sender that authenticates with basic auth and/or a token in a custom header, as configured. */
export function credentialHeaders(opts: { username?: string; password?: string; header?: string; secrets?: string[] }): Record<string, string> {
  const headers: Record<string, string> = {}
  if (opts.username !== undefined && opts.password !== undefined) headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`
  if (opts.header !== undefined && opts.secrets !== undefined) headers[opts.header] = opts.secrets[0]!
  return headers
}

/** True when any presented digest equals any candidate; every pair is compared in constant time, none skipped. */
export function anyDigestMatches(presented: Uint8Array[], candidates: Uint8Array[]): boolean {
  let ok = false
  for (const digest of presented) ok = anyEqual(digest, candidates) || ok
  return ok
}

/** A base64 RSA signature, whitespace ignored: 64 to 1024 bytes (512- to 8192-bit keys); undefined otherwise. */
export function decodeRsaSignature(text: string): Buffer | undefined {
  const signature = decodeDigest(text.replace(/\s+/g, ''), 'base64')
  return signature && signature.length >= 64 && signature.length <= 1024 ? signature : undefined
}

/** RSA-SHA1 (PKCS#1 v1.5) verification of `data` under a PEM public key; false, never a throw, for a key or signature Node cannot use. */
export function verifyRsaSha1(publicKey: string, data: string, signature: Uint8Array): boolean {
  try {
    return verifyWithKey('sha1', Buffer.from(data), publicKey, signature)
  } catch {
    return false
  }
}

/** The base64 RSA-SHA1 signature of `data` with a PEM private key (test-only signing). */
export const signRsaSha1 = (privateKey: string, data: string): string => signWithKey('sha1', Buffer.from(data), createPrivateKey(privateKey)).toString('base64')

/** A tweetnacl secret key from a 32-byte Ed25519 seed or a 64-byte secret key (test-only signing); throws on any other length. */
export function ed25519SecretKey(key: Uint8Array): Uint8Array {
  if (key.length === nacl.sign.seedLength) return nacl.sign.keyPair.fromSeed(key).secretKey
  if (key.length === nacl.sign.secretKeyLength) return key
  throw new Error(`expected a 32-byte Ed25519 seed or a 64-byte secret key, got ${key.length} bytes`)
}

/** Hint for a mismatch: how many secrets were tried (never their values). */
export const triedHint = (count: number, extra?: string) =>
  `no configured secret matches (tried ${count} secret${count === 1 ? '' : 's'}, by index 0..${count - 1})` + (extra ? `; ${extra}` : '')

/** The usual hint when a signature is over the raw body. */
export const RAW_BODY_HINT = 'is the sender signing the exact raw body, and is the secret the one shown in the provider dashboard?'

/** The usual hint when a signature covers the URL. */
export const urlHint = (url: string) => `signature computed over URL ${url}; the provider may have signed a different URL — set \`url\``

/**
 * Checks a timestamp (seconds since the epoch) against `now` within `toleranceSeconds` either way.
 * Returns a rejection, or undefined when fresh. A tolerance of 0 disables the check.
 */
export function checkTimestamp(seconds: number, now: Date, toleranceSeconds: number): Rejection | undefined {
  if (!Number.isFinite(seconds)) return reject('malformed-timestamp')
  if (toleranceSeconds === 0) return undefined
  // Whole seconds, as the providers' SDKs compute it (floor of now).
  const skew = Math.floor(now.getTime() / 1000) - Math.floor(seconds)
  if (Math.abs(skew) > toleranceSeconds)
    return reject('stale', skew > 0 ? `timestamp is ${skew} s old (tolerance ${toleranceSeconds} s)` : `timestamp is ${-skew} s in the future (tolerance ${toleranceSeconds} s)`)
  return undefined
}

/** Parses an integer string strictly (no trailing garbage); NaN otherwise. */
export const parseIntStrict = (value: string | null | undefined): number => (value && /^-?\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : NaN)

/** A Date from seconds or milliseconds since the epoch, or an ISO string; undefined when absent or invalid. */
export function toDate(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined
  let d: Date
  if (typeof value === 'number') d = new Date(value < 1e12 ? value * 1000 : value)
  else if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) return toDate(Number(value))
  else if (typeof value === 'string') d = new Date(value)
  else return undefined
  return Number.isNaN(d.getTime()) ? undefined : d
}

/** `YYYY-MM-DD HH:MM:SS` read as UTC (Mailchimp's `fired_at`, Vonage's `message-timestamp`, Paddle Classic's `event_time`); undefined otherwise. */
export const parseUtcDateTime = (value: unknown): Date | undefined =>
  typeof value === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(value) ? toDate(`${value.replace(' ', 'T')}Z`) : undefined

/** `JSON.parse` that returns undefined for text that is not JSON, or for no text. */
export function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A string field of a parsed JSON object, or undefined. `path` is dotted ('data.object.id'). */
export function pick(value: unknown, path: string): unknown {
  let v: any = value
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = v[key]
  }
  return v
}

/** A non-empty string, or a number as a string; undefined for anything else. */
export const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined

/** `sha256:<hex>` of `data`: a delivery id for senders that send none, since a retry resends the same bytes. */
export const sha256Id = (data: string | Uint8Array): string => 'sha256:' + hash('sha256', data).toString('hex')

/** `sha256Id` of the body; undefined for an empty body. */
export const bodyDigestId = (req: RawRequest): string | undefined => (req.body.length > 0 ? sha256Id(req.body) : undefined)

/** The id of a batch from its events' keys: the key of a lone event, else `sha256Id` of the sorted keys; undefined for none. */
export const batchKeyId = (keys: string[]): string | undefined => (keys.length === 0 ? undefined : keys.length === 1 ? keys[0] : sha256Id([...keys].sort().join('\n')))

/** Describes a batch: the lone event's id, else `sha256Id` of all ids (or of the body) so a retry dedupes; the distinct types; the first event's time. */
export function describeBatch(req: RawRequest, events: unknown[] | undefined, fields: { id?: string; type: string[]; time: string }): Description {
  if (events === undefined || events.length === 0) return {}
  const ids = fields.id === undefined ? [] : events.map((event) => str(pick(event, fields.id!)))
  const complete = ids.length > 0 && ids.every((id) => id !== undefined)
  const deliveryId = complete && ids.length === 1 ? ids[0] : sha256Id(complete ? ids.join('\n') : req.body)
  const types = [...new Set(events.map((event) => fields.type.map((field) => str(pick(event, field))).find((t) => t !== undefined)).filter((t) => t !== undefined))]
  return { deliveryId, type: types.length > 0 ? types.join(',') : undefined, occurredAt: toDate(pick(events[0], fields.time)) }
}

/** A `describe` that reads the delivery id, type and event time from fields of a JSON body (dotted paths). */
export const describeJson =
  (paths: { id: string; type: string; time: string }) =>
  (req: RawRequest): Description => {
    const body = req.json()
    return { deliveryId: str(pick(body, paths.id)), type: str(pick(body, paths.type)), occurredAt: toDate(pick(body, paths.time)) }
  }

const decoder = new TextDecoder()

export interface RawRequestInit {
  method?: string
  url: string
  /**
   * The query string actually received (default: the query of `url`). The gateway passes it
   * separately, because `url` may be a configured public URL whose query is not what arrived.
   */
  query?: string
  headers?: Headers | Record<string, string> | [string, string][]
  body?: Uint8Array | string
}

/** The fields of a delivery, whatever its shape: a JSON object, else the query (GET) or the urlencoded form. */
export function requestFields(req: RawRequest): Record<string, unknown> {
  const json = req.json()
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) return json as Record<string, unknown>
  return Object.fromEntries(req.method === 'GET' ? req.query : req.form())
}

/** Builds a RawRequest. The body helpers are lazy and computed once. */
export function createRawRequest(init: RawRequestInit): RawRequest {
  return new IncomingRawRequest(init)
}

// A class, not an object literal with closures: an object whose getter and methods close over the
// call's variables survived the young generation's collections, about 1 MB per scavenge at 10k
// requests/s (V8's --trace-gc-nvp), and made each scavenge 2-3 ms instead of under 1 (README §
// Performance). Lazy values live in plain fields; methods are on the prototype.
class IncomingRawRequest implements RawRequest {
  readonly method: string
  readonly url: string
  readonly headers: Headers
  readonly body: Uint8Array
  private readonly rawQuery: string | undefined
  private parsedQuery: URLSearchParams | undefined = undefined
  private decoded: string | undefined = undefined
  private parsed: { value: unknown } | undefined = undefined
  private fields: URLSearchParams | undefined = undefined

  constructor(init: RawRequestInit) {
    this.method = (init.method ?? 'POST').toUpperCase()
    this.url = init.url
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers)
    this.body = typeof init.body === 'string' ? Buffer.from(init.body) : (init.body ?? new Uint8Array(0))
    this.rawQuery = init.query
  }

  get query(): URLSearchParams {
    if (this.parsedQuery) return this.parsedQuery
    if (this.rawQuery !== undefined) return (this.parsedQuery = new URLSearchParams(this.rawQuery))
    const i = this.url.indexOf('?')
    return (this.parsedQuery = new URLSearchParams(i === -1 ? '' : this.url.slice(i + 1)))
  }

  text(): string {
    return (this.decoded ??= decoder.decode(this.body))
  }

  json<T>(): T | undefined {
    if (!this.parsed) {
      try {
        this.parsed = { value: JSON.parse(this.text()) }
      } catch {
        this.parsed = { value: undefined }
      }
    }
    return this.parsed.value as T | undefined
  }

  form(): URLSearchParams {
    return (this.fields ??= new URLSearchParams(this.text()))
  }
}

/** Same as `createRawRequest` but from a draft (tests and `inhook send`). */
export const draftToRawRequest = (draft: RequestDraft): RawRequest =>
  createRawRequest({ method: draft.method, url: draft.url, headers: draft.headers, body: draft.body })

/** Sets a header on a draft, returning a new draft. */
export const withHeaders = (draft: RequestDraft, headers: Record<string, string>): RequestDraft => ({
  ...draft,
  headers: { ...draft.headers, ...headers },
})

/** A JSON draft with a content type, for `sample()`. */
export const jsonDraft = (body: unknown, headers: Record<string, string> = {}, url = 'http://localhost:8787/webhooks/example'): RequestDraft => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

/** A urlencoded-form draft with a content type, for `sample()`. */
export const formDraft = (fields: Record<string, string>, headers: Record<string, string> = {}, url = 'http://localhost:8787/webhooks/example'): RequestDraft => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
})

/** A signature that is an HMAC of some payload, carried in one header. */
export interface HmacScheme {
  /** Lowercase header name, e.g. 'x-hub-signature-256'. */
  header: string
  algorithm: Exclude<HmacAlgorithm, 'md5'>
  encoding: 'hex' | 'base64'
  /** Text before the digest, e.g. 'sha256='. */
  prefix?: string
}

const DIGEST_LENGTH = { sha1: 20, sha256: 32, sha512: 64 } as const

/** The header value `scheme` would carry for `payload` signed with `secret`. */
export const signHmac = (scheme: HmacScheme, secret: string | Uint8Array, ...payload: (string | Uint8Array)[]) =>
  (scheme.prefix ?? '') + hmac(scheme.algorithm, secret, ...payload).toString(scheme.encoding)

/**
 * Verifies an HMAC header over `payload` (default: the raw body) with every secret, in constant time.
 * Hex digests are compared case-insensitively; the header's format is checked before any HMAC is computed.
 */
export function verifyHmacHeader(
  req: RawRequest,
  secrets: (string | Uint8Array)[],
  scheme: HmacScheme,
  payload: (string | Uint8Array)[] = [req.body],
  mismatchHint: string = RAW_BODY_HINT,
): Verdict {
  const match = matchHmacHeader(req, secrets, scheme, payload, mismatchHint)
  return match.ok ? accept : match
}

/** `verifyHmacHeader` that also tells which secret matched, for answers made with it (Zoom's url_validation). Every secret is still tried. */
export function matchHmacHeader<S extends string | Uint8Array>(
  req: RawRequest,
  secrets: S[],
  scheme: HmacScheme,
  payload: (string | Uint8Array)[] = [req.body],
  mismatchHint: string = RAW_BODY_HINT,
): Rejection | { ok: true; secret: S } {
  const value = req.headers.get(scheme.header)
  if (value === null || value === '') return reject('missing-signature', `expected ${scheme.header}`)
  const prefix = scheme.prefix ?? ''
  const digest = value.trim()
  if (!digest.startsWith(prefix)) return reject('malformed-signature', `${scheme.header} should start with "${prefix}"`)
  const presented = decodeDigest(digest.slice(prefix.length), scheme.encoding)
  if (!presented || presented.length !== DIGEST_LENGTH[scheme.algorithm])
    return reject('malformed-signature', `${scheme.header} should hold a ${scheme.encoding} ${scheme.algorithm} digest`)
  let matched: S | undefined
  for (const secret of secrets) if (safeEqual(presented, hmac(scheme.algorithm, secret, ...payload)) && matched === undefined) matched = secret
  return matched === undefined ? reject('mismatch', triedHint(secrets.length, mismatchHint)) : { ok: true, secret: matched }
}

/** An HMAC header over a timestamp header and the body: Slack's `v0:{ts}:{body}`, Zendesk's `{ts}{body}` and their kin. */
export interface TimestampedHmacScheme extends HmacScheme {
  /** Lowercase name of the header carrying the timestamp. */
  timestampHeader: string
  /** Seconds since the epoch of the timestamp as sent; NaN when malformed (default: `parseIntStrict`). */
  toSeconds?: (timestamp: string) => number
  /** What is signed, from the timestamp as sent and in seconds. */
  signedPayload: (timestamp: string, seconds: number, body: Uint8Array | string) => (string | Uint8Array)[]
  /** What to check, per rejection; a malformed signature gets `verifyHmacHeader`'s own hint. */
  hints: Record<'missing-signature' | 'missing-timestamp' | 'malformed-timestamp' | 'mismatch', string>
}

/** Verifies a `TimestampedHmacScheme`: the timestamp's window with `checkTimestamp`, then the HMAC with every secret. */
export function verifyTimestampedHmac(req: RawRequest, secrets: string[], scheme: TimestampedHmacScheme, now: Date, toleranceSeconds: number): Verdict {
  const { hints } = scheme
  if (!req.headers.get(scheme.header)) return reject('missing-signature', hints['missing-signature'])
  const timestamp = req.headers.get(scheme.timestampHeader)
  if (!timestamp) return reject('missing-timestamp', hints['missing-timestamp'])
  const seconds = (scheme.toSeconds ?? parseIntStrict)(timestamp)
  if (Number.isNaN(seconds)) return reject('malformed-timestamp', hints['malformed-timestamp'])
  const stale = checkTimestamp(seconds, now, toleranceSeconds)
  if (stale) return stale
  return verifyHmacHeader(req, secrets, scheme, scheme.signedPayload(timestamp, seconds, req.body), hints.mismatch)
}

/** The timestamp and signature headers `scheme` would carry for `body` sent at `timestamp` (as the sender writes it). */
export const signTimestampedHmac = (scheme: TimestampedHmacScheme, secret: string, timestamp: string, body: Uint8Array | string): Record<string, string> => ({
  [scheme.timestampHeader]: timestamp,
  [scheme.header]: signHmac(scheme, secret, ...scheme.signedPayload(timestamp, (scheme.toSeconds ?? parseIntStrict)(timestamp), body)),
})

/** Decodes a hex or base64 digest strictly; undefined when it is not one. */
export function decodeDigest(text: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex') : undefined
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined
}

/** The well-formed digests among `values` (e.g. every `v1=` of a header), decoded; malformed ones are dropped. */
export const decodeDigests = (values: string[] | undefined, encoding: 'hex' | 'base64', bytes: number): Buffer[] =>
  (values ?? []).map((value) => decodeDigest(value, encoding)).filter((digest): digest is Buffer => digest?.length === bytes)

/**
 * Parses a `t=123,v1=abc,v1=def` style header into a multimap. Pairs are split on `,` (or `;`),
 * keys and values on the first `=`. Returns an empty map for garbage.
 */
export function parseKeyValueHeader(value: string, separator: string | RegExp = /[,;]/): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const part of value.split(separator)) {
    const i = part.indexOf('=')
    if (i <= 0) continue
    const key = part.slice(0, i).trim()
    const list = map.get(key) ?? []
    list.push(part.slice(i + 1).trim())
    map.set(key, list)
  }
  return map
}

/** A header of `key=value` pairs holding a timestamp and hex HMAC-SHA256 signatures: Stripe's `t=…,v1=…` and its kin. */
export interface TimestampedHeaderScheme {
  /** Lowercase header name, e.g. 'stripe-signature'. */
  header: string
  /** Between pairs, as the sender writes it: ',' (default), ', ' or ';'. Parsing splits on the mark and trims. */
  separator?: ',' | ', ' | ';'
  /** Key of the timestamp (default: 't'). */
  timestampKey?: string
  /** Key of the signatures; several may be sent during a rotation and each is tried (default: 'v1'). */
  signatureKey?: string
  /** Read the last timestamp when several are sent, an empty one being malformed, as stripe-node does (default: the first; an empty one is missing). */
  lastTimestamp?: boolean
  /** Seconds since the epoch of the timestamp as sent; NaN when malformed (default: `parseIntStrict`). */
  toSeconds?: (timestamp: string) => number
  /** What is signed, from the timestamp as sent and in seconds (default: `<timestamp>.<body>`). */
  signedPayload?: (timestamp: string, seconds: number, body: Uint8Array | string) => (string | Uint8Array)[]
  /** Check the window only once a signature matched, so an unsigned timestamp is never judged (default: false, the window first). */
  signatureFirst?: boolean
  /** What to check, per rejection. */
  hints: Record<'missing-signature' | 'missing-timestamp' | 'malformed-timestamp' | 'malformed-signature' | 'mismatch', string>
}

const timestampedPayload = (scheme: TimestampedHeaderScheme, timestamp: string, body: Uint8Array | string) =>
  scheme.signedPayload ? scheme.signedPayload(timestamp, (scheme.toSeconds ?? parseIntStrict)(timestamp), body) : [timestamp, '.', body]

/** Verifies a `t=…,v1=…` header: parses it, checks the window with `checkTimestamp`, compares every signature with every secret's in constant time. */
export function verifyTimestampedHeader(req: RawRequest, secrets: string[], scheme: TimestampedHeaderScheme, now: Date, toleranceSeconds: number): Verdict {
  const { hints } = scheme
  const header = req.headers.get(scheme.header)
  if (!header) return reject('missing-signature', hints['missing-signature'])
  const fields = parseKeyValueHeader(header, (scheme.separator ?? ',').trim())
  const timestamps = fields.get(scheme.timestampKey ?? 't')
  const timestamp = scheme.lastTimestamp ? timestamps?.at(-1) : timestamps?.[0] || undefined
  if (timestamp === undefined) return reject('missing-timestamp', hints['missing-timestamp'])
  const signatures = decodeDigests(fields.get(scheme.signatureKey ?? 'v1'), 'hex', 32)
  if (scheme.signatureFirst && signatures.length === 0) return reject('malformed-signature', hints['malformed-signature'])
  const seconds = (scheme.toSeconds ?? parseIntStrict)(timestamp)
  if (Number.isNaN(seconds)) return reject('malformed-timestamp', hints['malformed-timestamp'])
  if (signatures.length === 0) return reject('malformed-signature', hints['malformed-signature'])
  const stale = scheme.signatureFirst ? undefined : checkTimestamp(seconds, now, toleranceSeconds)
  if (stale) return stale
  const payload = timestampedPayload(scheme, timestamp, req.body)
  if (!anyDigestMatches(signatures, secrets.map((secret) => hmac('sha256', secret, ...payload)))) return reject('mismatch', triedHint(secrets.length, hints.mismatch))
  return (scheme.signatureFirst ? checkTimestamp(seconds, now, toleranceSeconds) : undefined) ?? accept
}

/** The header value `scheme` would carry for `body` sent at `timestamp` (as the sender writes it), signed with `secret`. */
export const signTimestampedHeader = (scheme: TimestampedHeaderScheme, secret: string, timestamp: string, body: Uint8Array | string) =>
  `${scheme.timestampKey ?? 't'}=${timestamp}${scheme.separator ?? ','}${scheme.signatureKey ?? 'v1'}=${hmac('sha256', secret, ...timestampedPayload(scheme, timestamp, body)).toString('hex')}`
