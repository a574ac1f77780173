import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { accept, anyDigestMatches, checkTimestamp, decodeDigest, defineProvider, hmac, jsonDraft, parseIntStrict, parseJson, pick, reject, secretsOption, str, toDate, toleranceOption, triedHint, type RawRequest } from './kit.ts'

/**
 * Mailgun names no window and warns that "there can be delays in webhook processing … so you don't want
 * to be too aggressive with this check"; 15 minutes refuses old captures, and dedupe on the event id
 * refuses a replay within the window (Mailgun's own advice is to remember tokens).
 */
const TOLERANCE_SECONDS = 15 * 60

interface SignatureFields {
  timestamp?: string
  token?: string
  signature?: string
  /** Subaccount events are also signed with the primary account's key. */
  parentSignature?: string
}

// https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
export const mailgun = defineProvider({
  name: 'mailgun',
  title: 'Mailgun',
  docs: 'https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks',
  options: z.object({
    /** The HTTP webhook signing key(s) (Sending > Webhooks); a subaccount may also use the primary account's key. */
    secrets: secretsOption,
    /** Accepted clock difference for the signed timestamp, in seconds (default: 900; 0 disables the check). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify(req, { secrets, toleranceSeconds }, now) {
    const { timestamp, token, signature, parentSignature } = signatureFields(req)
    if (!signature) return reject('missing-signature', 'expected signature.signature in the JSON body, or a signature form field')
    if (!timestamp) return reject('missing-timestamp', 'expected signature.timestamp')
    if (!token) return reject('bad-request', 'expected signature.token (Mailgun signs timestamp + token)')
    const presented = [signature, parentSignature].filter((s) => s !== undefined).map((s) => decodeDigest(s, 'hex'))
    if (presented.some((digest) => digest?.length !== 32)) return reject('malformed-signature', 'signature should be a hex HMAC-SHA256 digest')
    const seconds = parseIntStrict(timestamp)
    if (Number.isNaN(seconds)) return reject('malformed-timestamp', 'signature.timestamp should be seconds since the epoch')
    const ok = anyDigestMatches(presented as Buffer[], secrets.map((secret) => hmac('sha256', secret, timestamp, token)))
    if (!ok) return reject('mismatch', triedHint(secrets.length, 'is the secret the HTTP webhook signing key (not the API key)?'))
    return checkTimestamp(seconds, now, toleranceSeconds) ?? accept
  },

  describe(req) {
    const body = req.json()
    if (isObject(body))
      return {
        // The event id survives Mailgun's retries (a retry may be signed afresh with a new token).
        deliveryId: str(pick(body, 'event-data.id')) ?? str(pick(body, 'signature.token')),
        type: str(pick(body, 'event-data.event')),
        occurredAt: toDate(pick(body, 'event-data.timestamp')),
      }
    // Legacy form webhooks and forwarded (routed) messages carry no event id: the signed token is unique.
    const fields = formFields(req)
    return { deliveryId: fields.get('token') ?? undefined, type: fields.get('event') ?? undefined, occurredAt: toDate(fields.get('timestamp')) }
  },

  sample(event = 'delivered') {
    return jsonDraft(
      {
        'event-data': {
          id: randomBytes(16).toString('base64url'),
          timestamp: Date.now() / 1000,
          'log-level': 'info',
          event,
          'delivery-status': { tls: true, 'mx-host': 'smtp-in.example.com', code: 250, description: '', 'session-seconds': 0.43, utf8: true, 'attempt-no': 1, message: 'OK', 'certificate-verified': true },
          flags: { 'is-routed': false, 'is-authenticated': true, 'is-system-test': false, 'is-test-mode': false },
          envelope: { transport: 'smtp', sender: 'bob@sandbox.mailgun.org', 'sending-ip': '209.61.154.250', targets: 'alice@example.com' },
          message: {
            headers: { to: 'Alice <alice@example.com>', 'message-id': '20240514182626.18666.16540@sandbox.mailgun.org', from: 'Bob <bob@sandbox.mailgun.org>', subject: 'Test delivered webhook' },
            attachments: [],
            size: 111,
          },
          recipient: 'alice@example.com',
          'recipient-domain': 'example.com',
          storage: { url: 'https://se.api.mailgun.net/v3/domains/sandbox.mailgun.org/messages/message_key', key: 'message_key' },
          campaigns: [],
          tags: ['my_tag_1', 'my_tag_2'],
          'user-variables': { my_var_1: 'Mailgun Variable #1', 'my-var-2': 'awesome' },
        },
      },
      { 'user-agent': 'mailgun/treq-16.12.0' },
      'http://localhost:8787/webhooks/mailgun',
    )
  },

  /** Adds Mailgun's signature block (JSON) or signature fields (urlencoded form) to the draft. */
  sign(draft, { secrets }, now) {
    const timestamp = String(Math.floor(now.getTime() / 1000))
    const token = randomBytes(25).toString('hex')
    const signature = hmac('sha256', secrets[0]!, timestamp, token).toString('hex')
    const json = parseJson(draft.body)
    if (isObject(json)) {
      const { signature: _unsigned, ...rest } = json
      return { ...draft, body: JSON.stringify({ signature: { token, timestamp, signature }, ...rest }) }
    }
    if (/^multipart\//i.test(draft.headers['content-type'] ?? '')) throw new Error('mailgun: sign supports JSON and urlencoded drafts, not multipart')
    const form = new URLSearchParams(draft.body)
    for (const [name, value] of Object.entries({ timestamp, token, signature })) form.set(name, value)
    return { ...draft, body: form.toString() }
  },
})

function signatureFields(req: RawRequest): SignatureFields {
  const body = req.json()
  if (isObject(body)) {
    const block = pick(body, 'signature')
    return { timestamp: str(pick(block, 'timestamp')), token: str(pick(block, 'token')), signature: str(pick(block, 'signature')), parentSignature: str(pick(block, 'parent-signature')) }
  }
  const fields = formFields(req)
  const get = (name: string) => fields.get(name) || undefined
  return { timestamp: get('timestamp'), token: get('token'), signature: get('signature'), parentSignature: get('parent-signature') }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The text fields of a urlencoded or multipart/form-data body. Mailgun's legacy webhooks and routes
 * forwarding a message post multipart forms; only small text fields are read, attachments skipped.
 */
export function formFields(req: RawRequest): URLSearchParams {
  const boundary = /^multipart\/form-data\b.*?;\s*boundary="?([^";]+)"?/i.exec(req.headers.get('content-type') ?? '')?.[1]
  if (!boundary) return req.form()
  const fields = new URLSearchParams()
  for (const part of req.text().split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n')
    if (split === -1) continue
    const head = part.slice(0, split)
    const name = /content-disposition:[^\r\n]*?\bname="([^"]*)"/i.exec(head)?.[1]
    if (name === undefined || /\bfilename=/i.test(head)) continue
    fields.append(name, part.slice(split + 4).replace(/\r\n$/, ''))
  }
  return fields
}
