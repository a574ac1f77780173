import { randomUUID } from 'node:crypto'
import nacl from 'tweetnacl'
import { z, type ZodType } from 'zod'
import {
  accept,
  anyDigestMatches,
  checkTimestamp,
  decodeDigest,
  ed25519SecretKey,
  hmac,
  jsonDraft,
  parseIntStrict,
  pick,
  RAW_BODY_HINT,
  reject,
  secretsOption,
  str,
  toDate,
  toleranceOption,
  triedHint,
  withHeaders,
  type Provider,
  type RawRequest,
  type RequestDraft,
  type Verdict,
} from './kit.ts'

// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
// One implementation serves the spec itself, svix (its `svix-*` header spelling) and the vendors that send
// either: each is `createStandardWebhooksProvider(flavour)`, not a copy (STYLE.md, "A provider module").

/** The spec and the reference SDK (`standardwebhooks`) reject attempts more than 5 minutes old or new. */
const TOLERANCE_SECONDS = 5 * 60
const HMAC_BYTES = 32
const ED25519_SIGNATURE_BYTES = 64
const ED25519_PUBLIC_KEY_BYTES = 32

/** How a vendor spells and keys the Standard Webhooks scheme. */
export interface StandardWebhooksFlavour {
  name: string
  title: string
  docs: string
  /**
   * `'webhook'`: reads and signs `webhook-id/-timestamp/-signature`. `'svix'`: reads `svix-*`, falling back to
   * `webhook-*` as the svix SDK does, and signs with `svix-*`.
   */
  headers: 'webhook' | 'svix'
  /**
   * How a configured secret becomes the HMAC key: `'whsec'` (default, the spec) base64-decodes what follows an
   * optional `whsec_` prefix; `'utf8'` uses the secret's own UTF-8 bytes (Polar's SDK base64-encodes the
   * secret before handing it to `standardwebhooks`, which decodes it again).
   */
  secretFormat?: 'whsec' | 'utf8'
  /** Accept Ed25519 `v1a` signatures checked with `publicKey` (default: false; the spec's own provider only). */
  asymmetric?: boolean
  /** Dotted body path of the event type (default: 'type'). */
  typePath?: string
  /** Dotted body path of the provider's event time, when the payload has one. */
  timePath?: string
  /** A realistic payload for `sample(type)`. */
  sampleBody(type?: string): unknown
}

export interface StandardWebhooksOptions {
  /** HMAC secrets (`v1`); any may match. */
  secrets?: string[]
  /** Ed25519 public key(s) (`whpk_<base64>`) for `v1a` signatures; any may match. */
  publicKey?: string | string[]
  /** Test-only: an Ed25519 secret key (`whsk_<base64>`, 32-byte seed or 64-byte key) that `sign()` uses to add a `v1a` signature. */
  privateKey?: string
  /** Seconds either side of `now` a `webhook-timestamp` may be (default: 300). */
  toleranceSeconds: number
}

const base64Bytes = (text: string): Buffer | undefined => decodeDigest(text, 'base64')

/** The HMAC key of a `whsec_<base64>` secret (or of a bare base64 secret, as the reference SDK accepts). */
export const whsecKey = (secret: string): Buffer => Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64')

const prefixed = (prefix: string, value: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value)
const publicKeyBytes = (key: string) => base64Bytes(prefixed('whpk_', key.trim()))
const privateKeyBytes = (key: string) => base64Bytes(prefixed('whsk_', key.trim()))

const whsecSecrets = secretsOption.refine(
  (secrets) => secrets.every((s) => base64Bytes(prefixed('whsec_', s))?.length),
  'expected secrets of the form whsec_<base64> (the signing secret shown by the provider)',
)
const publicKeyOption = z
  .union([z.string(), z.array(z.string()).min(1)])
  .refine((keys) => [keys].flat().every((k) => publicKeyBytes(k)?.length === ED25519_PUBLIC_KEY_BYTES), 'expected Ed25519 public key(s) of the form whpk_<base64 of 32 bytes>')
const privateKeyOption = z.string().refine((k) => [32, 64].includes(privateKeyBytes(k)?.length ?? 0), 'expected an Ed25519 secret key of the form whsk_<base64 of 32 or 64 bytes>')

const optionsFor = (flavour: StandardWebhooksFlavour): ZodType<StandardWebhooksOptions> => {
  const secrets = flavour.secretFormat === 'utf8' ? secretsOption : whsecSecrets
  if (!flavour.asymmetric) return z.object({ secrets, toleranceSeconds: toleranceOption(TOLERANCE_SECONDS) })
  return z
    .object({
      secrets: secrets.optional(),
      publicKey: publicKeyOption.optional(),
      privateKey: privateKeyOption.optional(),
      toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
    })
    .refine((o) => o.secrets !== undefined || o.publicKey !== undefined, 'expected a secret (whsec_…) or a publicKey (whpk_…)')
}

interface HeaderNames {
  id: string
  timestamp: string
  signature: string
}
const WEBHOOK_HEADERS: HeaderNames = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' }
const SVIX_HEADERS: HeaderNames = { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' }

/** The three headers, from the flavour's spelling first and `webhook-*` as the fallback. */
const readHeaders = (req: RawRequest, names: HeaderNames) => {
  const get = (key: keyof HeaderNames) => req.headers.get(names[key]) || req.headers.get(WEBHOOK_HEADERS[key]) || undefined
  return { id: get('id'), timestamp: get('timestamp'), signature: get('signature') }
}

/** `v1,<base64> v1a,<base64> …` → the well-formed entries, by version. */
const parseSignatures = (header: string) => {
  const v1: Buffer[] = []
  const v1a: Buffer[] = []
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',')
    if (comma <= 0) continue
    const bytes = base64Bytes(entry.slice(comma + 1))
    const version = entry.slice(0, comma)
    if (version === 'v1' && bytes?.length === HMAC_BYTES) v1.push(bytes)
    else if (version === 'v1a' && bytes?.length === ED25519_SIGNATURE_BYTES) v1a.push(bytes)
  }
  return { v1, v1a }
}

const signedContent = (id: string, seconds: number, body: Uint8Array) => Buffer.concat([Buffer.from(`${id}.${seconds}.`), body])

/** Verifies a Standard Webhooks delivery: `v1` HMAC-SHA256 with any secret, or `v1a` Ed25519 with any public key. */
export function verifyStandardWebhook(req: RawRequest, opts: StandardWebhooksOptions, now: Date, flavour: Pick<StandardWebhooksFlavour, 'headers' | 'secretFormat'>): Verdict {
  const names = flavour.headers === 'svix' ? SVIX_HEADERS : WEBHOOK_HEADERS
  const { id, timestamp, signature } = readHeaders(req, names)
  if (!signature) return reject('missing-signature', `expected ${names.signature}`)
  if (!timestamp) return reject('missing-timestamp', `expected ${names.timestamp}`)
  if (!id) return reject('bad-request', `expected ${names.id}: the message id is part of the signed content`)
  const seconds = parseIntStrict(timestamp)
  if (Number.isNaN(seconds)) return reject('malformed-timestamp', `${names.timestamp} should be an integer number of seconds since the epoch`)
  const { v1, v1a } = parseSignatures(signature)
  if (v1.length === 0 && v1a.length === 0)
    return reject('malformed-signature', `${names.signature} should hold space-separated "v1,<base64 HMAC-SHA256>" or "v1a,<base64 Ed25519>" entries`)
  const stale = checkTimestamp(seconds, now, opts.toleranceSeconds)
  if (stale) return stale

  const content = signedContent(id, seconds, req.body)
  const secrets = opts.secrets ?? []
  const publicKeys = [opts.publicKey ?? []].flat().map(publicKeyBytes).filter((k) => k?.length === ED25519_PUBLIC_KEY_BYTES) as Buffer[]
  let ok = false
  if (secrets.length > 0 && v1.length > 0) ok = anyDigestMatches(v1, secrets.map((secret) => hmac('sha256', hmacKey(secret, flavour.secretFormat), content)))
  for (const presented of v1a) for (const key of publicKeys) ok = nacl.sign.detached.verify(content, presented, key) || ok
  if (ok) return accept

  if (v1.length > 0 && secrets.length === 0 && v1a.length === 0) return reject('mismatch', `${names.signature} carries only v1 (HMAC) signatures but no secret is configured`)
  if (v1a.length > 0 && publicKeys.length === 0 && v1.length === 0) return reject('mismatch', `${names.signature} carries only v1a (Ed25519) signatures but no publicKey is configured`)
  const keyHint = flavour.secretFormat === 'utf8' ? 'the secret is used exactly as shown by the provider' : 'secrets are whsec_<base64>'
  return reject('mismatch', triedHint(secrets.length + publicKeys.length, `${RAW_BODY_HINT} (${keyHint})`))
}

const hmacKey = (secret: string, format: StandardWebhooksFlavour['secretFormat']) => (format === 'utf8' ? Buffer.from(secret, 'utf8') : whsecKey(secret))

/** Signs a draft as a Standard Webhooks sender would: `v1` with `secrets[0]`, plus `v1a` when `privateKey` is set. */
export function signStandardWebhook(draft: RequestDraft, opts: StandardWebhooksOptions, now: Date, flavour: Pick<StandardWebhooksFlavour, 'name' | 'headers' | 'secretFormat'>): RequestDraft {
  const names = flavour.headers === 'svix' ? SVIX_HEADERS : WEBHOOK_HEADERS
  const id = draft.headers[names.id] ?? newMessageId()
  const seconds = Math.floor(now.getTime() / 1000)
  const content = signedContent(id, seconds, Buffer.from(draft.body))
  const signatures: string[] = []
  const secret = opts.secrets?.[0]
  if (secret) signatures.push(`v1,${hmac('sha256', hmacKey(secret, flavour.secretFormat), content).toString('base64')}`)
  // privateKeyOption has checked the key's form; a bag that skipped it gets ed25519SecretKey's error.
  if (opts.privateKey) signatures.push(`v1a,${Buffer.from(nacl.sign.detached(content, ed25519SecretKey(privateKeyBytes(opts.privateKey) ?? new Uint8Array()))).toString('base64')}`)
  if (signatures.length === 0) throw new Error(`${flavour.name}: sign() needs a secret, or the test-only privateKey (whsk_…) when only publicKey is configured`)
  return withHeaders(draft, { [names.id]: id, [names.timestamp]: String(seconds), [names.signature]: signatures.join(' ') })
}

const newMessageId = () => `msg_${randomUUID().replaceAll('-', '')}`

/** Builds a provider for one Standard Webhooks flavour. */
export function createStandardWebhooksProvider(flavour: StandardWebhooksFlavour): Provider<StandardWebhooksOptions> {
  const names = flavour.headers === 'svix' ? SVIX_HEADERS : WEBHOOK_HEADERS
  return {
    name: flavour.name,
    title: flavour.title,
    docs: flavour.docs,
    options: optionsFor(flavour),
    verify: (req, opts, now) => verifyStandardWebhook(req, opts, now, flavour),
    describe(req) {
      const body = req.json()
      return {
        deliveryId: req.headers.get(names.id) || req.headers.get(WEBHOOK_HEADERS.id) || undefined,
        type: str(pick(body, flavour.typePath ?? 'type')),
        occurredAt: flavour.timePath ? toDate(pick(body, flavour.timePath)) : undefined,
      }
    },
    sample: (type) => jsonDraft(flavour.sampleBody(type), { [names.id]: newMessageId() }, `http://localhost:8787/webhooks/${flavour.name}`),
    sign: (draft, opts, now) => signStandardWebhook(draft, opts, now, flavour),
  }
}

// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
export const standardWebhooks = createStandardWebhooksProvider({
  name: 'standard-webhooks',
  title: 'Standard Webhooks',
  docs: 'https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md',
  headers: 'webhook',
  asymmetric: true,
  timePath: 'timestamp',
  // The spec's own example payload.
  sampleBody: (type = 'contact.created') => ({ type, timestamp: new Date().toISOString(), data: { id: randomUUID() } }),
})
