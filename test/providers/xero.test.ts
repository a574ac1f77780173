import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { xero } from '../../providers/xero.ts'

// xero-node has no webhook verifier, so signatures are computed independently from the documented
// recipe (https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/):
// x-xero-signature = base64(HMAC-SHA256(webhook key, raw body)).
const documentedSignature = (key: string, body: string) => createHmac('sha256', key).update(body).digest('base64')

const webhookKey = 'OSd0eLlVIY9ZhViEqlDUh4+6n6M+Lo+eDaEJheJ6OCCgWwIz2D3JIAU6jPMipHRbgKTLz2uJ+xiACXGDBLrgdA=='
const opts = xero.options.parse({ secrets: [webhookKey] })
const now = new Date()
// Xero's documented example payload.
const body = JSON.stringify({
  events: [
    {
      resourceUrl: 'https://api.xero.com/api.xro/2.0/Contacts/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777',
      resourceId: '717f2bfc-c6d4-41fd-b238-3f2f0c0cf777',
      eventDateUtc: '2017-06-21T01:15:39.902',
      eventType: 'UPDATE',
      eventCategory: 'CONTACT',
      tenantId: 'c2cc9b6e-9458-4c7d-93cc-f02b81b0594f',
      tenantType: 'ORGANISATION',
    },
  ],
  lastEventSequence: 1,
  firstEventSequence: 1,
  entropy: 'S0m3r4Nd0mt3xt',
})
const intentToReceive = JSON.stringify({ events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: 'FMLHZNKCVK' })

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'https://example.com/webhooks/xero', headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: payload })

describe('xero', () => {
  it('accepts a delivery signed with the documented recipe', async () => {
    expect(await xero.verify(request({ 'x-xero-signature': documentedSignature(webhookKey, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the documented recipe', async () => {
    const draft = await xero.sign!(xero.sample!(), opts, now)
    expect(draft.headers['x-xero-signature']).toBe(documentedSignature(webhookKey, draft.body))
    expect(await xero.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await xero.verify(request({ 'x-xero-signature': documentedSignature(webhookKey, body) }, body.replace('UPDATE', 'CREATE')), opts, now)).toMatchObject({
      ok: false,
      reason: 'mismatch',
    })
  })

  it('rejects a delivery signed with another webhook key', async () => {
    expect(await xero.verify(request({ 'x-xero-signature': documentedSignature('another key', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated webhook keys', async () => {
    const rotated = xero.options.parse({ secrets: ['old key', webhookKey] })
    expect(await xero.verify(request({ 'x-xero-signature': documentedSignature(webhookKey, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await xero.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['empty', ''],
    ['hex digest', 'a'.repeat(64)],
    ['short digest', Buffer.alloc(16).toString('base64')],
    ['not base64', '?'.repeat(44)],
    ['prefixed', 'sha256=' + Buffer.alloc(32).toString('base64')],
  ])('rejects a malformed signature header (%s) without throwing', async (_, header) => {
    const verdict = await xero.verify(request(header === '' ? {} : { 'x-xero-signature': header }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('answers a correctly signed intent to receive with an empty 200', async () => {
    const req = request({ 'x-xero-signature': documentedSignature(webhookKey, intentToReceive) }, intentToReceive)
    expect(await xero.challenge!(req, opts, now)).toEqual({ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' })
  })

  it('refuses an incorrectly signed intent to receive, for the gateway to answer 401', async () => {
    const req = request({ 'x-xero-signature': documentedSignature('not the key', intentToReceive) }, intentToReceive)
    expect(await xero.challenge!(req, opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('refuses an unsigned intent to receive', async () => {
    expect(await xero.challenge!(request({}, intentToReceive), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('does not treat deliveries with events, or garbage, as an intent to receive', async () => {
    expect(await xero.challenge!(request({ 'x-xero-signature': documentedSignature(webhookKey, body) }), opts, now)).toBeUndefined()
    expect(await xero.challenge!(request({}, 'garbage'), opts, now)).toBeUndefined()
  })

  it('describes the event category and type, its UTC time and a key built from the event', () => {
    expect(xero.describe(request({}))).toEqual({
      deliveryId: 'c2cc9b6e-9458-4c7d-93cc-f02b81b0594f:CONTACT.UPDATE:717f2bfc-c6d4-41fd-b238-3f2f0c0cf777:2017-06-21T01:15:39.902',
      type: 'CONTACT.UPDATE',
      occurredAt: new Date('2017-06-21T01:15:39.902Z'),
    })
  })

  it('describes a batch by a hash of its events', () => {
    const parsed = JSON.parse(body)
    const batch = JSON.stringify({ ...parsed, events: [parsed.events[0], { ...parsed.events[0], resourceId: 'other', eventType: 'CREATE' }] })
    expect(xero.describe(request({}, batch))).toMatchObject({ deliveryId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), type: 'CONTACT.UPDATE' })
  })

  it('describes a body that is not JSON as nothing, without throwing', () => {
    expect(xero.describe(request({}, '\u00ff\u00fe'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
