import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { sentry } from '../../providers/sentry.ts'

// Sentry publishes no verifier package, so signatures are computed independently from the documented
// recipe (https://docs.sentry.io/integrations/integration-platform/webhooks/#sentry-hook-signature):
// sentry-hook-signature = hex(HMAC-SHA256(client secret, body)).
const documentedSignature = (secret: string, body: string) => createHmac('sha256', secret).update(body, 'utf8').digest('hex')

const clientSecret = '6bf1c39b5e9a4e8f9c0d3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e'
const opts = sentry.options.parse({ secrets: [clientSecret] })
const now = new Date()
// Sentry sends Python's json.dumps output (", " and ": " separators), not JSON.stringify's.
const body = '{"action": "created", "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"}, "data": {"issue": {"id": "1170820242", "title": "ZeroDivisionError"}}, "actor": {"type": "application", "id": "sentry", "name": "Sentry"}}'
const headers = { 'request-id': 'a1b2c3d4-0000-4000-8000-000000000001', 'sentry-hook-resource': 'issue', 'sentry-hook-timestamp': '1714564800' }

const request = (extra: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'https://example.com/webhooks/sentry', headers: { 'content-type': 'application/json', ...headers, ...extra }, body: payload })

describe('sentry', () => {
  it('accepts a delivery signed over the exact bytes sent', async () => {
    expect(await sentry.verify(request({ 'sentry-hook-signature': documentedSignature(clientSecret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await sentry.sign!(sentry.sample!(), opts, now)
    expect(draft.headers['sentry-hook-signature']).toBe(documentedSignature(clientSecret, draft.body))
    expect(await sentry.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a signature over the re-serialised body', async () => {
    const reserialised = JSON.stringify(JSON.parse(body))
    expect(await sentry.verify(request({ 'sentry-hook-signature': documentedSignature(clientSecret, reserialised) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a tampered body', async () => {
    expect(await sentry.verify(request({ 'sentry-hook-signature': documentedSignature(clientSecret, body) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another client secret', async () => {
    expect(await sentry.verify(request({ 'sentry-hook-signature': documentedSignature('another', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated client secrets', async () => {
    const rotated = sentry.options.parse({ secrets: ['old secret', clientSecret] })
    expect(await sentry.verify(request({ 'sentry-hook-signature': documentedSignature(clientSecret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await sentry.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['short digest', 'a'.repeat(62)],
    ['sha1-length digest', 'a'.repeat(40)],
    ['non-hex', 'Z'.repeat(64)],
    ['prefixed', 'sha256=' + 'a'.repeat(64)],
    ['odd length', 'a'.repeat(65)],
  ])('rejects a malformed signature header (%s) without throwing', async (_, header) => {
    const verdict = await sentry.verify(request(header === '' ? {} : { 'sentry-hook-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the request id, resource and hook timestamp', () => {
    expect(sentry.describe(request({}))).toEqual({ deliveryId: 'a1b2c3d4-0000-4000-8000-000000000001', type: 'issue', occurredAt: new Date(1714564800 * 1000) })
  })

  it('describes a request without Sentry headers as nothing, without throwing', () => {
    const bare = createRawRequest({ url: 'https://example.com/webhooks/sentry', headers: { 'sentry-hook-timestamp': 'garbage' }, body: 'x' })
    expect(sentry.describe(bare)).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
