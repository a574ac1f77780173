import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import {
  accept,
  anyEqual,
  checkTimestamp,
  decodeDigest,
  defineProvider,
  draftToRawRequest,
  hash,
  hmac,
  jsonDraft,
  parseIntStrict,
  parseJson,
  parseUtcDateTime,
  pick,
  reject,
  requestFields,
  safeEqual,
  secretsOption,
  str,
  toDate,
  toleranceOption,
  triedHint,
  withHeaders,
  type RawRequest,
  type RequestDraft,
  type Verdict,
} from './kit.ts'

// https://developer.vonage.com/en/getting-started/concepts/signing-messages
const DOCS = 'https://developer.vonage.com/en/getting-started/concepts/signing-messages'

/**
 * Window for the SMS `timestamp` parameter and the JWT `iat` claim. Vonage's Java SDK rejects SMS
 * timestamps more than 5 minutes from now (`RequestSigning.MAX_ALLOWABLE_TIME_DELTA`); Vonage documents
 * no window for `iat`, so the same one is used.
 */
const TOLERANCE_SECONDS = 5 * 60

/** The dashboard's signature methods, as the SDKs name them (`md5` is HMAC-MD5, `md5hash` is MD5 of params + secret). */
const SIGNATURE_METHODS = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const
type SignatureMethod = (typeof SIGNATURE_METHODS)[number]
const DIGEST_BYTES: Record<SignatureMethod, number> = { md5hash: 16, md5: 16, sha1: 20, sha256: 32, sha512: 64 }

const URL_DEFAULT = 'http://localhost:8787/webhooks/vonage'

const MISSING_HINT = 'expected Authorization: Bearer <JWT> (Messages and Voice APIs) or a sig parameter (SMS API; ask Vonage support to enable signed webhooks)'

export const vonage = defineProvider({
  name: 'vonage',
  title: 'Vonage (Nexmo)',
  docs: DOCS,
  options: z.object({
    /** Signature secrets (Dashboard → API settings → Signature secret); the SMS `sig` and the Messages/Voice JWT both use them. */
    secrets: secretsOption,
    /** The SMS API signature method chosen in the dashboard (default: 'md5hash', the dashboard's default). Messages/Voice JWTs are always HS256. */
    signatureMethod: z.enum(SIGNATURE_METHODS).default('md5hash'),
    /** Window for the SMS `timestamp` parameter and the JWT `iat` claim, in seconds (default: 300; 0 disables). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),
  // The SMS API can be set to deliver inbound messages and receipts with GET.
  methods: ['GET', 'POST'],

  verify(req, { secrets, signatureMethod, toleranceSeconds }, now) {
    const authorization = req.headers.get('authorization')
    const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1]
    if (bearer) return verifyJwt(req, bearer, secrets, toleranceSeconds, now)
    const params = smsParams(req)
    const sig = params === undefined ? pick(req.json(), 'sig') : params.sig
    if (sig === undefined || sig === '') return reject('missing-signature', MISSING_HINT)
    if (params === undefined) return reject('bad-request', 'a signed SMS API JSON body should be a flat object of strings')
    return verifySms(params, secrets, signatureMethod, toleranceSeconds, now)
  },

  describe(req) {
    const params = requestFields(req)
    const id = str(params.message_uuid) ?? str(params.messageId) ?? str(params.uuid)
    // A message or call keeps its id across status callbacks (submitted, delivered, read…): the status is part of the delivery.
    const status = str(params.status)
    return {
      deliveryId: id === undefined ? undefined : status === undefined ? id : `${id}:${status}`,
      type: status ?? str(params.message_type) ?? str(params.type),
      occurredAt: toDate(params.timestamp) ?? parseUtcDateTime(params['message-timestamp']),
    }
  },

  sample(type = 'message-status') {
    const messageTimestamp = new Date().toISOString().slice(0, 19).replace('T', ' ')
    const sms = { msisdn: '447700900001', to: '447700900000', messageId: randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(), 'api-key': 'abcd1234' }
    switch (type) {
      case 'inbound-sms': {
        const query = new URLSearchParams({ ...sms, text: 'Hello world', type: 'text', keyword: 'HELLO', 'message-timestamp': messageTimestamp, nonce: randomUUID() })
        return { method: 'GET', url: `${URL_DEFAULT}?${query}`, headers: { 'user-agent': 'Vonage-SMS-Webhook' }, body: '' }
      }
      case 'delivery-receipt':
        return jsonDraft(
          { ...sms, 'network-code': '23410', price: '0.03330000', status: 'delivered', scts: '2001011400', 'err-code': '0', 'message-timestamp': messageTimestamp, nonce: randomUUID() },
          {},
          URL_DEFAULT,
        )
      case 'inbound-message':
        return jsonDraft(
          { channel: 'whatsapp', message_uuid: randomUUID(), to: '447700900000', from: '447700900001', timestamp: new Date().toISOString(), message_type: 'text', text: 'Hello from WhatsApp' },
          {},
          URL_DEFAULT,
        )
      default:
        return jsonDraft(
          { message_uuid: randomUUID(), to: '447700900001', from: '447700900000', timestamp: new Date().toISOString(), status: type === 'message-status' ? 'delivered' : type, usage: { currency: 'EUR', price: '0.0333' }, channel: 'sms' },
          {},
          URL_DEFAULT,
        )
    }
  },

  /** Signs an SMS API draft (one whose parameters carry `msisdn`) with `sig`, anything else with a Messages/Voice JWT. */
  sign(draft, { secrets, signatureMethod }, now) {
    const secret = secrets[0]!
    const params = smsParams(draftToRawRequest(draft))
    if (params?.msisdn !== undefined) return signSms(draft, params, secret, signatureMethod, now)
    const claims = { iat: Math.floor(now.getTime() / 1000), jti: randomUUID(), iss: 'Vonage', payload_hash: hash('sha256', draft.body).toString('hex') }
    const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`
    return withHeaders(draft, { authorization: `Bearer ${unsigned}.${hmac('sha256', secret, unsigned).toString('base64url')}` })
  },
})

// SMS API: `sig` over the sorted parameters, as @vonage/sms `SMS.verifySignature` and the signing-messages guide build it.

/** The parameters of an SMS API webhook: the query for GET, else the JSON or form body. Undefined when a JSON body is not flat. */
function smsParams(req: RawRequest): Record<string, string> | undefined {
  if (req.method === 'GET') return Object.fromEntries(req.query)
  if (!(req.headers.get('content-type') ?? '').includes('json')) return Object.fromEntries(req.form())
  const body = req.json()
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined
  const params: Record<string, string> = {}
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') params[key] = value
    else if (typeof value === 'number' || typeof value === 'boolean') params[key] = String(value)
    else return undefined
  }
  return params
}

/** `&key=value` for every parameter but `sig`, sorted by key, with `&` and `=` in values replaced by `_`. */
const signedString = (params: Record<string, string>) =>
  Object.keys(params)
    .filter((key) => key !== 'sig')
    .sort()
    .map((key) => `&${key}=${params[key]!.replace(/[&=]/g, '_')}`)
    .join('')

const smsDigest = (method: SignatureMethod, secret: string, signed: string) =>
  method === 'md5hash' ? hash('md5', signed, secret) : hmac(method, secret, signed)

function verifySms(params: Record<string, string>, secrets: string[], method: SignatureMethod, toleranceSeconds: number, now: Date): Verdict {
  // Digests are compared as bytes: Vonage's SDKs differ on the case of the hex (md5hash lowercase, HMACs uppercase).
  const presented = decodeDigest(params.sig!, 'hex')
  if (!presented || presented.length !== DIGEST_BYTES[method])
    return reject('malformed-signature', `sig should be a hex ${method} digest; is signatureMethod the method chosen in the Vonage dashboard?`)
  if (toleranceSeconds > 0) {
    if (params.timestamp === undefined) return reject('missing-timestamp', 'expected a timestamp parameter')
    const seconds = parseIntStrict(params.timestamp)
    if (Number.isNaN(seconds)) return reject('malformed-timestamp', 'timestamp should be seconds since the epoch')
    const stale = checkTimestamp(seconds, now, toleranceSeconds)
    if (stale) return stale
  }
  const signed = signedString(params)
  const ok = anyEqual(presented, secrets.map((secret) => smsDigest(method, secret, signed)))
  return ok ? accept : reject('mismatch', triedHint(secrets.length, `signed the parameters with ${method}; is that the dashboard's signature method, and the secret the signature secret (not the API secret)?`))
}

function signSms(draft: RequestDraft, params: Record<string, string>, secret: string, method: SignatureMethod, now: Date): RequestDraft {
  const signed: Record<string, string> = { ...params, timestamp: String(Math.floor(now.getTime() / 1000)) }
  delete signed.sig
  const sig = smsDigest(method, secret, signedString(signed)).toString('hex')
  if (draft.method.toUpperCase() === 'GET') {
    const url = new URL(draft.url)
    url.search = new URLSearchParams({ ...signed, sig }).toString()
    return { ...draft, url: url.toString() }
  }
  if ((draft.headers['content-type'] ?? '').includes('json')) {
    const body = JSON.parse(draft.body) as Record<string, unknown>
    delete body.sig
    return { ...draft, body: JSON.stringify({ ...body, timestamp: signed.timestamp, sig }) }
  }
  return { ...draft, body: new URLSearchParams({ ...signed, sig }).toString() }
}

// Messages and Voice APIs: an HS256 JWT in Authorization, signed with the signature secret, whose
// `payload_hash` claim is the SHA-256 of the body.
// https://developer.vonage.com/en/messages/concepts/signed-webhooks

function verifyJwt(req: RawRequest, token: string, secrets: string[], toleranceSeconds: number, now: Date): Verdict {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part)))
    return reject('malformed-signature', 'expected Authorization: Bearer <header>.<claims>.<signature> (a JWT)')
  const [encodedHeader, encodedClaims, encodedSignature] = parts as [string, string, string]
  if (pick(fromBase64url(encodedHeader), 'alg') !== 'HS256') return reject('malformed-signature', 'expected an HS256 JWT')
  const signature = Buffer.from(encodedSignature, 'base64url')
  if (signature.length !== 32) return reject('malformed-signature', 'the JWT signature should be an HMAC-SHA256')
  const ok = anyEqual(signature, secrets.map((secret) => hmac('sha256', secret, `${encodedHeader}.${encodedClaims}`)))
  if (!ok) return reject('mismatch', triedHint(secrets.length, 'is the secret the signature secret of the API key that owns the application (not the API secret)?'))

  const claims = fromBase64url(encodedClaims)
  if (claims === null || typeof claims !== 'object') return reject('malformed-signature', 'the JWT claims are not a JSON object')
  const iat = pick(claims, 'iat')
  if (toleranceSeconds > 0) {
    if (iat === undefined) return reject('missing-timestamp', 'the JWT carries no iat claim')
    if (typeof iat !== 'number') return reject('malformed-timestamp', 'the JWT iat claim should be seconds since the epoch')
    const stale = checkTimestamp(iat, now, toleranceSeconds)
    if (stale) return stale
  }
  const exp = pick(claims, 'exp')
  if (typeof exp === 'number' && now.getTime() / 1000 > exp) return reject('stale', 'the JWT has expired (exp)')

  const payloadHash = pick(claims, 'payload_hash')
  if (payloadHash === undefined) return req.body.length === 0 ? accept : reject('bad-request', 'the JWT carries no payload_hash claim binding it to the body')
  const claimed = typeof payloadHash === 'string' ? decodeDigest(payloadHash, 'hex') : undefined
  if (!claimed || !safeEqual(claimed, hash('sha256', req.body)))
    return reject('mismatch', 'payload_hash is not the SHA-256 of the body: is the exact raw body reaching the gateway?')
  return accept
}

const fromBase64url = (part: string): unknown => parseJson(Buffer.from(part, 'base64url').toString('utf8'))

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
