import { randomUUID } from 'node:crypto'
import { parse as parseQuerystring, stringify as stringifyQuerystring } from 'node:querystring'
import { z } from 'zod'
import { accept, anyEqual, defineProvider, formDraft, hash, hmac, reject, requestFields, safeEqual, secretsOption, str, toDate, triedHint, urlHint, withHeaders, type RawRequest, type RequestDraft } from './kit.ts'

// https://www.twilio.com/docs/usage/webhooks/webhooks-security
const DOCS = 'https://www.twilio.com/docs/usage/webhooks/webhooks-security'

type Params = Record<string, string | string[]>

export const twilio = defineProvider({
  name: 'twilio',
  title: 'Twilio',
  docs: DOCS,
  options: z.object({
    /** Auth tokens (Console → Account info); during a rotation list the primary and the secondary. */
    secrets: secretsOption,
  }),
  // A number's webhook may be configured as GET; the signature then covers the full URL with its query.
  methods: ['GET', 'POST'],

  verify(req, { secrets }) {
    const header = req.headers.get('x-twilio-signature')
    if (!header) return reject('missing-signature', 'expected X-Twilio-Signature')
    if (!/^[A-Za-z0-9+/]{27}=$/.test(header)) return reject('malformed-signature', 'X-Twilio-Signature should be a base64 HMAC-SHA1')
    const bodyHash = req.query.get('bodySHA256')
    // JSON bodies: the URL carries the body's SHA-256 and the signature covers the URL alone (validateRequestWithBody).
    const params: Params = bodyHash === null ? formParams(req) : {}
    const ok = anyEqual(
      header,
      candidateUrls(req.url).flatMap((url) => secrets.map((secret) => expectedSignature(secret, url, params))),
    )
    if (!ok) return reject('mismatch', triedHint(secrets.length, urlHint(req.url)))
    if (bodyHash !== null && !safeEqual(bodyHash, hash('sha256', req.body).toString('hex')))
      return reject('mismatch', 'bodySHA256 in the URL is not the SHA-256 of the body: is the exact raw body reaching the gateway?')
    return accept
  },

  describe(req) {
    const params = requestFields(req)
    const sid = str(params.MessageSid) ?? str(params.SmsSid) ?? str(params.CallSid)
    const status = str(params.MessageStatus) ?? str(params.SmsStatus) ?? str(params.CallStatus)
    // Status callbacks reuse the Sid for every status; the idempotency token is stable across Twilio's retries.
    const token = req.headers.get('i-twilio-idempotency-token') ?? undefined
    return {
      deliveryId: token ?? (sid === undefined ? undefined : status === undefined ? sid : `${sid}:${status}`),
      type: status,
      occurredAt: toDate(params.Timestamp),
    }
  },

  sample(type = 'message-status') {
    const common = { AccountSid: 'AC' + 'a'.repeat(32), ApiVersion: '2010-04-01' }
    const sid = (prefix: string) => prefix + randomUUID().replace(/-/g, '')
    const messageSid = sid('SM')
    const fields: Record<string, string> =
      type === 'call-status'
        ? { ...common, CallSid: sid('CA'), CallStatus: 'completed', CallDuration: '42', Direction: 'outbound-api', From: '+14155552671', To: '+15005550006', Timestamp: new Date().toUTCString().replace('GMT', '+0000') }
        : type === 'incoming-message'
          ? { ...common, MessageSid: messageSid, SmsSid: messageSid, SmsMessageSid: messageSid, SmsStatus: 'received', Body: 'Hello from Twilio', NumMedia: '0', NumSegments: '1', From: '+14155552671', To: '+15005550006', ToCountry: 'US' }
          : { ...common, MessageSid: messageSid, SmsSid: messageSid, MessageStatus: 'delivered', SmsStatus: 'delivered', From: '+15005550006', To: '+14155552671' }
    return formDraft(fields, { 'user-agent': 'TwilioProxy/1.1', 'i-twilio-idempotency-token': randomUUID() }, 'http://localhost:8787/webhooks/twilio')
  },

  /** Signs as Twilio does: form POSTs over URL + sorted params, GETs over the URL, JSON over the URL after adding `bodySHA256`. */
  sign(draft, { secrets }) {
    const secret = secrets[0]!
    const json = (draft.headers['content-type'] ?? '').includes('json')
    if (json || new URL(draft.url).searchParams.has('bodySHA256')) {
      const url = new URL(draft.url)
      url.searchParams.set('bodySHA256', hash('sha256', draft.body).toString('hex'))
      const signed: RequestDraft = { ...draft, url: url.toString() }
      return withHeaders(signed, { 'x-twilio-signature': expectedSignature(secret, signed.url, {}) })
    }
    const params = draft.method.toUpperCase() === 'GET' ? {} : groupParams(new URLSearchParams(draft.body))
    return withHeaders(draft, { 'x-twilio-signature': expectedSignature(secret, draft.url, params) })
  },
})

// The rest follows twilio-node's lib/webhooks/webhooks.ts (getExpectedTwilioSignature, validateRequest).

/** base64(HMAC-SHA1(authToken, url + each key followed by its value, keys sorted; repeated keys once per distinct sorted value)). */
function expectedSignature(secret: string, url: string, params: Params): string {
  let data = url
  for (const key of Object.keys(params).sort()) {
    const value = params[key]!
    data += Array.isArray(value) ? [...new Set(value)].sort().map((v) => key + v).join('') : key + value
  }
  return hmac('sha1', secret, Buffer.from(data, 'utf8')).toString('base64')
}

/** Form fields as Express's urlencoded parser gives them to validateRequest: repeated keys become arrays. */
function groupParams(form: URLSearchParams): Params {
  const params: Params = {}
  for (const [key, value] of form) {
    const previous = params[key]
    params[key] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]
  }
  return params
}

function formParams(req: RawRequest): Params {
  if (req.method === 'GET' || req.method === 'HEAD') return {}
  if (!(req.headers.get('content-type') ?? 'application/x-www-form-urlencoded').includes('application/x-www-form-urlencoded')) return {}
  return groupParams(req.form())
}

/**
 * The URLs validateRequest tries: as received with and without the port, then normalized by the URL parser
 * (with and without the port, each also with the query re-encoded as Node's legacy querystring does).
 */
function candidateUrls(url: string): string[] {
  const urls = [removePort(url), addPort(url)]
  let normalized: string
  try {
    normalized = new URL(url).toString()
  } catch {
    return urls
  }
  const withoutPort = removePort(normalized)
  const withPort = addPort(normalized)
  urls.push(withoutPort, withPort, withLegacyQuerystring(withoutPort), withLegacyQuerystring(withPort))
  return [...new Set(urls)]
}

/** Splits a URL without normalizing it, so the path and query keep the exact characters Twilio signed. */
function splitUrl(url: string) {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url)
  if (!match) return undefined
  const [prefix, scheme, authority] = match as unknown as [string, string, string]
  const userInfoEnd = authority.lastIndexOf('@')
  const hostAndPort = authority.slice(userInfoEnd + 1)
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1)
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  }
}

function addPort(url: string): string {
  const parts = splitUrl(url)
  if (!parts || parts.port) return url
  const port = parts.scheme.toLowerCase() === 'https://' ? ':443' : ':80'
  return parts.scheme + parts.userInfo + parts.host + port + parts.rest
}

function removePort(url: string): string {
  const parts = splitUrl(url)
  return parts ? parts.scheme + parts.userInfo + parts.host + parts.rest : url
}

function withLegacyQuerystring(url: string): string {
  const queryStart = url.indexOf('?')
  if (queryStart === -1 || queryStart === url.length - 1) return url
  return url.slice(0, queryStart) + '?' + stringifyQuerystring(parseQuerystring(url.slice(queryStart + 1)))
}
