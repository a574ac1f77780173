import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { calendly } from '../../providers/calendly.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// Calendly publishes no verifier package, so signatures are computed independently from the documented
// recipe (https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures):
// Calendly-Webhook-Signature: t=<seconds>,v1=hex(HMAC-SHA256(signing key, `${t}.${raw body}`)).
const documentedHeader = (key: string, t: string, body: string) => `t=${t},v1=${createHmac('sha256', key).update(`${t}.${body}`).digest('hex')}`

const signingKey = 'calendly-signing-key'
const opts = calendly.options.parse({ secrets: [signingKey] })
const now = new Date('2024-05-01T12:00:00Z')
const t = String(now.getTime() / 1000)
const body = JSON.stringify({
  created_at: '2024-05-01T11:59:58.000000Z',
  created_by: 'https://api.calendly.com/users/AAAAAAAAAAAAAAAA',
  event: 'invitee.created',
  payload: { email: 'test@example.com', name: 'John Doe', uri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA' },
})

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'https://example.com/webhooks/calendly', headers: { 'content-type': 'application/json', ...headers }, body: payload })

const signed = (payload = body, key = signingKey, ts = t) => request({ 'calendly-webhook-signature': documentedHeader(key, ts, payload) }, payload)

describe('calendly', () => {
  it('accepts a delivery signed with the documented recipe', async () => {
    expect(await calendly.verify(signed(), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await calendly.sign!(calendly.sample!(), opts, now)
    expect(draft.headers['calendly-webhook-signature']).toBe(documentedHeader(signingKey, t, draft.body))
    expect(await calendly.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const req = request({ 'calendly-webhook-signature': documentedHeader(signingKey, t, body) }, body + ' ')
    expect(await calendly.verify(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another signing key', async () => {
    expect(await calendly.verify(signed(body, 'another key'), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a signature older than three minutes', async () => {
    expect(await calendly.verify(signed(), opts, new Date(now.getTime() + 181_000))).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a replaced timestamp', async () => {
    const header = documentedHeader(signingKey, t, body).replace(`t=${t}`, `t=${Number(t) + 1}`)
    expect(await calendly.verify(request({ 'calendly-webhook-signature': header }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated signing keys', async () => {
    const rotated = calendly.options.parse({ secrets: ['old key', signingKey] })
    expect(await calendly.verify(signed(), rotated, now)).toEqual({ ok: true })
  })

  it('accepts a header carrying several v1 signatures when one matches', async () => {
    const header = `t=${t},v1=${'0'.repeat(64)},` + documentedHeader(signingKey, t, body).split(',')[1]
    expect(await calendly.verify(request({ 'calendly-webhook-signature': header }), opts, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await calendly.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no v1', `t=${t}`],
    ['v0 only', `t=${t},v0=${'a'.repeat(64)}`],
    ['non-numeric t', `t=soon,v1=${'a'.repeat(64)}`],
    ['huge t', `t=99999999999999999999,v1=${'a'.repeat(64)}`],
    ['negative t', `t=-5,v1=${'a'.repeat(64)}`],
    ['short v1', `t=${t},v1=${'a'.repeat(10)}`],
    ['non-hex v1', `t=${t},v1=${'x'.repeat(64)}`],
    ['no separators', `t${t}v1${'a'.repeat(64)}`],
    ['semicolons', `t=${t};v1=${'a'.repeat(64)}`],
  ])('rejects a malformed header (%s) without throwing', async (_, header) => {
    const verdict = await calendly.verify(request(header === '' ? {} : { 'calendly-webhook-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes the event, its creation time and a delivery id from event, resource and time', () => {
    expect(calendly.describe(signed())).toEqual({
      deliveryId: 'invitee.created:https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA:2024-05-01T11:59:58.000000Z',
      type: 'invitee.created',
      occurredAt: new Date('2024-05-01T11:59:58Z'),
    })
  })

  it('describes a body that is not JSON as nothing, without throwing', () => {
    expect(calendly.describe(request({}, '<xml/>'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
