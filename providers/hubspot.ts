import { randomInt } from 'node:crypto'
import { z } from 'zod'
import {
  accept,
  anyEqual,
  batchKeyId,
  checkTimestamp,
  decodeDigest,
  defineProvider,
  hash,
  hmac,
  jsonDraft,
  parseIntStrict,
  pick,
  reject,
  secretsOption,
  str,
  toDate,
  toleranceOption,
  triedHint,
  urlHint,
  withHeaders,
  type RawRequest,
} from './kit.ts'

// https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests
const DOCS = 'https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests'

/** HubSpot: "Reject the request if the timestamp is older than 5 minutes." */
const TOLERANCE_SECONDS = 5 * 60

/**
 * v3 signs the URI with these escapes decoded (the query's leading `?` is literal already); matching is
 * case-insensitive since percent-encoding is. @hubspot/api-client's `Signature.isValid` takes the URL as given.
 */
const DECODED = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi
const decodeUri = (url: string) => url.replace(DECODED, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))

const v3 = (secret: string, method: string, url: string, body: Uint8Array | string, timestamp: string) => hmac('sha256', secret, method, decodeUri(url), body, timestamp)
const v2 = (secret: string, method: string, url: string, body: Uint8Array | string) => hash('sha256', secret, method, url, body)
const v1 = (secret: string, body: Uint8Array | string) => hash('sha256', secret, body)

const SECRET_HINT = "is the secret the app's client secret"

function verifyV3(req: RawRequest, secrets: string[], toleranceSeconds: number, now: Date) {
  const signature = req.headers.get('x-hubspot-signature-v3')
  if (!signature) return reject('missing-signature', 'expected X-HubSpot-Signature-v3 (set signatureVersion for v1/v2 requests)')
  const timestamp = req.headers.get('x-hubspot-request-timestamp')
  if (!timestamp) return reject('missing-timestamp', 'expected X-HubSpot-Request-Timestamp')
  const ms = parseIntStrict(timestamp)
  if (Number.isNaN(ms)) return reject('malformed-timestamp', 'X-HubSpot-Request-Timestamp should be milliseconds since the epoch')
  const presented = decodeDigest(signature.trim(), 'base64')
  if (presented?.length !== 32) return reject('malformed-signature', 'X-HubSpot-Signature-v3 should hold a base64 HMAC-SHA256')
  const stale = checkTimestamp(ms / 1000, now, toleranceSeconds)
  if (stale) return stale
  const ok = anyEqual(presented, secrets.map((s) => v3(s, req.method, req.url, req.body, timestamp)))
  return ok ? accept : reject('mismatch', triedHint(secrets.length, `${SECRET_HINT}? ${urlHint(req.url)}`))
}

function verifyLegacy(req: RawRequest, secrets: string[], version: 'v1' | 'v2') {
  const signature = req.headers.get('x-hubspot-signature')
  if (!signature) return reject('missing-signature', 'expected X-HubSpot-Signature')
  const sent = req.headers.get('x-hubspot-signature-version')
  if (sent && sent !== version) return reject('malformed-signature', `X-HubSpot-Signature-Version is ${sent.slice(0, 8)}, but signatureVersion is ${version}`)
  const presented = decodeDigest(signature.trim(), 'hex')
  if (presented?.length !== 32) return reject('malformed-signature', 'X-HubSpot-Signature should hold a hex SHA-256')
  const candidates = secrets.map((s) => (version === 'v2' ? v2(s, req.method, req.url, req.body) : v1(s, req.body)))
  return anyEqual(presented, candidates) ? accept : reject('mismatch', triedHint(secrets.length, version === 'v2' ? `${SECRET_HINT}? ${urlHint(req.url)}` : `${SECRET_HINT}?`))
}

const eventsOf = (body: unknown): unknown[] => (Array.isArray(body) ? body : body !== null && typeof body === 'object' ? [body] : [])

export const hubspot = defineProvider({
  name: 'hubspot',
  title: 'HubSpot (v3)',
  docs: DOCS,
  options: z.object({
    /** The app's client secret. */
    secrets: secretsOption,
    /** Which signature to check: 'v3' (HMAC with timestamp and URL), or the legacy unkeyed 'v2' / 'v1' hashes (default: 'v3'). */
    signatureVersion: z.enum(['v3', 'v2', 'v1']).default('v3'),
    /** Accepted distance between X-HubSpot-Request-Timestamp and now, in seconds, for v3 (default: 300). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify: (req, { secrets, signatureVersion, toleranceSeconds }, now) =>
    signatureVersion === 'v3' ? verifyV3(req, secrets, toleranceSeconds, now) : verifyLegacy(req, secrets, signatureVersion),

  // A request carries up to 100 events and no delivery id; `eventId` alone is not guaranteed unique, so
  // each event is keyed by portal, subscription, event id and time (not attemptNumber, which changes on
  // retry). One event gives that key; a batch gives the SHA-256 of its sorted keys. Type and time are the first event's.
  describe(req) {
    const events = eventsOf(req.json())
    const keys = events
      .map((e) => [pick(e, 'portalId'), pick(e, 'subscriptionId'), pick(e, 'eventId'), pick(e, 'occurredAt')].map(str))
      .filter((parts) => parts[2] !== undefined)
      .map((parts) => parts.map((p) => p ?? '').join(':'))
    return { deliveryId: batchKeyId(keys), type: str(pick(events[0], 'subscriptionType')), occurredAt: toDate(pick(events[0], 'occurredAt')) }
  },

  sample: (type = 'contact.creation') =>
    jsonDraft(
      [
        {
          eventId: randomInt(2 ** 31 - 1),
          subscriptionId: 12345,
          portalId: 62515,
          appId: 54321,
          occurredAt: Date.now(),
          subscriptionType: type,
          attemptNumber: 0,
          objectId: 123,
          changeSource: 'CRM',
          changeFlag: 'NEW',
        },
      ],
      { 'user-agent': 'HubSpot Webhooks' },
      'http://localhost:8787/webhooks/hubspot',
    ),

  // HubSpot sends the v3 pair and a legacy signature on every request.
  sign(draft, { secrets, signatureVersion }, now) {
    const secret = secrets[0]!
    const timestamp = String(now.getTime())
    const legacy = signatureVersion === 'v2' ? 'v2' : 'v1'
    return withHeaders(draft, {
      'x-hubspot-request-timestamp': timestamp,
      'x-hubspot-signature-v3': v3(secret, draft.method, draft.url, draft.body, timestamp).toString('base64'),
      'x-hubspot-signature-version': legacy,
      'x-hubspot-signature': (legacy === 'v2' ? v2(secret, draft.method, draft.url, draft.body) : v1(secret, draft.body)).toString('hex'),
    })
  },
})
