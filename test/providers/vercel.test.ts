import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { vercel } from '../../providers/vercel.ts'

// Vercel publishes no verifier package, so signatures are computed independently from the documented
// recipe (https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks):
// x-vercel-signature = hex(HMAC-SHA1(secret, raw body)).
const documentedSignature = (secret: string, body: string) => createHmac('sha1', secret).update(body).digest('hex')

const secret = 'vercel-webhook-secret'
const opts = vercel.options.parse({ secrets: [secret] })
const now = new Date()
const body = JSON.stringify({
  id: 'uyNUzCrTe6hYT3dErvCwPSKs',
  type: 'deployment.succeeded',
  createdAt: 1714564800123,
  region: 'sfo1',
  payload: { deployment: { id: 'dpl_2euZBFqxYdDMDG1jTrHFnNZ2eUVa', url: 'my-app.vercel.app' }, project: { id: 'prj_12HKQaOmR5t5Uy6vdcQsNIiZgHGB' } },
})

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'https://example.com/webhooks/vercel', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('vercel', () => {
  it('accepts a delivery signed with the documented recipe', async () => {
    expect(await vercel.verify(request({ 'x-vercel-signature': documentedSignature(secret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('accepts an upper-case hex signature', async () => {
    expect(await vercel.verify(request({ 'x-vercel-signature': documentedSignature(secret, body).toUpperCase() }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await vercel.sign!(vercel.sample!(), opts, now)
    expect(draft.headers['x-vercel-signature']).toBe(documentedSignature(secret, draft.body))
    expect(await vercel.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await vercel.verify(request({ 'x-vercel-signature': documentedSignature(secret, body) }, body.replace('sfo1', 'iad1')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await vercel.verify(request({ 'x-vercel-signature': documentedSignature('another', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = vercel.options.parse({ secrets: ['old secret', secret] })
    expect(await vercel.verify(request({ 'x-vercel-signature': documentedSignature(secret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await vercel.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['sha256-length digest', 'a'.repeat(64)],
    ['short digest', 'a'.repeat(39)],
    ['non-hex', 'q'.repeat(40)],
    ['prefixed', 'sha1=' + 'a'.repeat(40)],
    ['base64', Buffer.alloc(20).toString('base64')],
  ])('rejects a malformed signature header (%s) without throwing', async (_, header) => {
    const verdict = await vercel.verify(request(header === '' ? {} : { 'x-vercel-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the event id, type and creation time', () => {
    expect(vercel.describe(request({}))).toEqual({ deliveryId: 'uyNUzCrTe6hYT3dErvCwPSKs', type: 'deployment.succeeded', occurredAt: new Date(1714564800123) })
  })

  it('describes a body that is not JSON as nothing, without throwing', () => {
    expect(vercel.describe(request({}, ''))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
