import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { accept, anyDigestMatches, decodeDigest, defineProvider, hmac, jsonDraft, pick, reject, secretsOption, str, toDate, triedHint, withHeaders } from './kit.ts'

// https://developers.docusign.com/platform/webhooks/connect/validate/
const DOCS = 'https://developers.docusign.com/platform/webhooks/connect/validate/'

/** DocuSign sends one `X-DocuSign-Signature-<n>` header per active Connect HMAC key, n = 1…100. */
const MAX_SIGNATURE_HEADERS = 100

const signatureHeader = (n: number) => `x-docusign-signature-${n}`

/** Base64 HMAC-SHA256 of the raw body with one Connect key, as DocuSign computes it. */
const computeSignature = (secret: string, body: Uint8Array | string) => hmac('sha256', secret, body).toString('base64')

export const docusign = defineProvider({
  name: 'docusign',
  title: 'DocuSign Connect',
  docs: DOCS,
  options: z.object({ secrets: secretsOption }),

  // Each header carries the body signed by one Connect key; the delivery is genuine when any header
  // matches any configured key (DocuSign signs with every active key, so rotation works both ways).
  verify(req, { secrets }) {
    const presented: Buffer[] = []
    let malformed = 0
    for (let n = 1; n <= MAX_SIGNATURE_HEADERS; n++) {
      const value = req.headers.get(signatureHeader(n))
      if (value === null) continue
      const digest = decodeDigest(value.trim(), 'base64')
      if (digest?.length === 32) presented.push(digest)
      else malformed++
    }
    if (presented.length === 0)
      return malformed > 0
        ? reject('malformed-signature', 'X-DocuSign-Signature-<n> should hold a base64 HMAC-SHA256 digest')
        : reject('missing-signature', 'expected X-DocuSign-Signature-1 (tick "Include HMAC Signature" in the Connect configuration)')
    const ok = anyDigestMatches(presented, secrets.map((secret) => hmac('sha256', secret, req.body)))
    return ok ? accept : reject('mismatch', triedHint(secrets.length, 'is each secret a Connect HMAC key of this account (Connect > Connect Keys), and is the raw body signed unchanged?'))
  },

  // Connect sends no delivery id; the envelope (and recipient, for recipient events), the event and the
  // time DocuSign generated it identify a notification and stay the same when DocuSign retries it.
  describe(req) {
    const body = req.json()
    const event = str(pick(body, 'event'))
    const generated = str(pick(body, 'generatedDateTime'))
    const subject = str(pick(body, 'data.envelopeId')) ?? str(pick(body, 'data.templateId')) ?? str(pick(body, 'data.accountId'))
    const recipient = str(pick(body, 'data.recipientId'))
    return {
      deliveryId: event && generated ? [subject, recipient, event, generated].filter((p) => p !== undefined).join(':') : undefined,
      type: event,
      occurredAt: toDate(pick(body, 'generatedDateTime')),
    }
  },

  sample(type = 'envelope-completed') {
    const accountId = randomUUID()
    const envelopeId = randomUUID()
    return jsonDraft(
      {
        event: type,
        apiVersion: 'v2.1',
        uri: `/restapi/v2.1/accounts/${accountId}/envelopes/${envelopeId}`,
        retryCount: 0,
        configurationId: 10418,
        generatedDateTime: new Date().toISOString(),
        data: {
          accountId,
          userId: randomUUID(),
          envelopeId,
          ...(type.startsWith('recipient-') ? { recipientId: '1' } : {}),
        },
      },
      { 'user-agent': 'DocuSign Connect', 'x-authorization-digest': 'HMACSHA256' },
      'http://localhost:8787/webhooks/docusign',
    )
  },

  // One header per configured key, numbered from 1, as DocuSign does with several active keys.
  sign: (draft, { secrets }) => withHeaders(draft, Object.fromEntries(secrets.map((secret, i) => [signatureHeader(i + 1), computeSignature(secret, draft.body)]))),
})
