import { createHmac, timingSafeEqual } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { docusign } from '../../providers/docusign.ts'
import { createRawRequest } from '../../providers/kit.ts'

// DocuSign has no Node package that verifies Connect HMAC; these two functions are DocuSign's own
// reference code (https://developers.docusign.com/platform/webhooks/connect/validate/, Node.js tab),
// an independent computation of the scheme.
function computeHash(secret: string, payload: string): string {
  const hmac = createHmac('sha256', secret)
  hmac.write(payload)
  hmac.end()
  return (hmac.read() as Buffer).toString('base64')
}
const hashIsValid = (secret: string, payload: string, verify: string) => {
  const a = Buffer.from(computeHash(secret, payload), 'base64')
  const b = Buffer.from(verify, 'base64')
  return a.length === b.length && timingSafeEqual(a, b)
}

const secret = 'NUxNmAQa3XGyTDkvkBPmc5vRrkSDA0JEWzbGp7ow/+k='
const body = JSON.stringify({
  event: 'envelope-completed',
  apiVersion: 'v2.1',
  uri: '/restapi/v2.1/accounts/0a1b2c3d/envelopes/93be49ab-1234-4bd4-a2b1-6b8e5e4b7a01',
  retryCount: 0,
  configurationId: 10418,
  generatedDateTime: '2021-05-20T18:24:08.4840000Z',
  data: { accountId: '0a1b2c3d', userId: 'f1e2d3c4', envelopeId: '93be49ab-1234-4bd4-a2b1-6b8e5e4b7a01' },
})
const opts = docusign.options.parse({ secrets: [secret] })
const now = new Date()

const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/docusign', headers, body: payload })

describe('docusign', () => {
  it('accepts a delivery signed as DocuSign\'s reference code signs it', async () => {
    expect(await docusign.verify(request({ 'x-docusign-signature-1': computeHash(secret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that DocuSign\'s reference validation accepts', async () => {
    const draft = await docusign.sign!(docusign.sample!(), opts, now)
    expect(hashIsValid(secret, draft.body, draft.headers['x-docusign-signature-1']!)).toBe(true)
  })

  it('rejects a tampered body', async () => {
    expect(await docusign.verify(request({ 'x-docusign-signature-1': computeHash(secret, body) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another key', async () => {
    expect(await docusign.verify(request({ 'x-docusign-signature-1': computeHash('another key', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = docusign.options.parse({ secrets: ['old key', secret] })
    expect(await docusign.verify(request({ 'x-docusign-signature-1': computeHash(secret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('accepts a match in a later X-DocuSign-Signature-<n> header when the first is from an unknown key', async () => {
    const headers = { 'x-docusign-signature-1': computeHash('key we do not have', body), 'x-docusign-signature-2': computeHash(secret, body) }
    expect(await docusign.verify(request(headers), opts, now)).toEqual({ ok: true })
  })

  it('signs with every configured key, one numbered header each', async () => {
    const both = docusign.options.parse({ secrets: ['first key', secret] })
    const draft = await docusign.sign!(docusign.sample!(), both, now)
    expect(hashIsValid('first key', draft.body, draft.headers['x-docusign-signature-1']!)).toBe(true)
    expect(hashIsValid(secret, draft.body, draft.headers['x-docusign-signature-2']!)).toBe(true)
  })

  it('rejects a missing signature header', async () => {
    expect(await docusign.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', { 'x-docusign-signature-1': '' }],
    ['not base64', { 'x-docusign-signature-1': '***not base64***' }],
    ['too short', { 'x-docusign-signature-1': Buffer.alloc(31).toString('base64') }],
    ['too long', { 'x-docusign-signature-1': Buffer.alloc(64).toString('base64') }],
    ['hex instead of base64', { 'x-docusign-signature-1': createHmac('sha256', secret).update(body).digest('hex') }],
    ['a prefix', { 'x-docusign-signature-1': 'sha256=' + computeHash(secret, body) }],
    ['numbered beyond 100', { 'x-docusign-signature-101': computeHash(secret, body) }],
    ['unnumbered', { 'x-docusign-signature': computeHash(secret, body) }],
  ])('rejects the malformed header (%s) without throwing', async (_name, headers) => {
    const verdict = await docusign.verify(request(headers), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the envelope, event and generation time from the body', () => {
    expect(docusign.describe(request({}))).toEqual({
      deliveryId: '93be49ab-1234-4bd4-a2b1-6b8e5e4b7a01:envelope-completed:2021-05-20T18:24:08.4840000Z',
      type: 'envelope-completed',
      occurredAt: new Date('2021-05-20T18:24:08.484Z'),
    })
  })

  it('describes a non-JSON body without throwing', () => {
    expect(docusign.describe(request({}, '<DocuSignEnvelopeInformation/>'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
