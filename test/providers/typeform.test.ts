import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { typeform } from '../../providers/typeform.ts'

// Typeform's SDK (@typeform/api-client) has no webhook verifier, so signatures are computed independently
// from the documented recipe (https://www.typeform.com/developers/webhooks/secure-your-webhooks/):
// Typeform-Signature = 'sha256=' + base64(HMAC-SHA256(secret, raw body)).
const documentedSignature = (secret: string, body: string) => 'sha256=' + createHmac('sha256', secret).update(body).digest('base64')

const secret = 'typeform-webhook-secret'
const opts = typeform.options.parse({ secrets: [secret] })
const now = new Date()
const body = JSON.stringify({
  event_id: 'LtWXD3crgy',
  event_type: 'form_response',
  form_response: { form_id: 'lT4Z3j', token: 'a3a12ec67a1365927098a606107fac15', submitted_at: '2018-01-18T18:17:02Z', landed_at: '2018-01-18T18:07:02Z', answers: [] },
})

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'https://example.com/webhooks/typeform', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('typeform', () => {
  it('accepts a delivery signed with the documented recipe', async () => {
    expect(await typeform.verify(request({ 'typeform-signature': documentedSignature(secret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await typeform.sign!(typeform.sample!(), opts, now)
    expect(draft.headers['typeform-signature']).toBe(documentedSignature(secret, draft.body))
    expect(await typeform.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await typeform.verify(request({ 'typeform-signature': documentedSignature(secret, body) }, body + '\n'), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await typeform.verify(request({ 'typeform-signature': documentedSignature('another', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = typeform.options.parse({ secrets: ['old secret', secret] })
    expect(await typeform.verify(request({ 'typeform-signature': documentedSignature(secret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await typeform.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['no prefix', Buffer.alloc(32).toString('base64')],
    ['hex digest', 'sha256=' + 'a'.repeat(64)],
    ['truncated digest', 'sha256=' + Buffer.alloc(31).toString('base64')],
    ['not base64', 'sha256=%%%%'],
    ['prefix only', 'sha256='],
  ])('rejects a malformed signature header (%s) without throwing', async (_, header) => {
    const verdict = await typeform.verify(request(header === '' ? {} : { 'typeform-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the event id, type and submission time', () => {
    expect(typeform.describe(request({}))).toEqual({ deliveryId: 'LtWXD3crgy', type: 'form_response', occurredAt: new Date('2018-01-18T18:17:02Z') })
  })

  it('describes a body that is not JSON as nothing, without throwing', () => {
    expect(typeform.describe(request({}, 'event_id=1'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
