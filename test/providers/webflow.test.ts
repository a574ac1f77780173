import { createHmac } from 'node:crypto'
import { WebflowClient } from 'webflow-api'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { webflow } from '../../providers/webflow.ts'

// webflow-api can only verify (client.webhooks.verifySignature, which checks no timestamp), so both directions are
// proven: the SDK accepts what sign() produces, and verify() accepts headers the SDK accepts.
const secret = 'webflow oauth client secret'
const client = new WebflowClient({ accessToken: 'unused' })
const body = JSON.stringify({ triggerType: 'form_submission', payload: { name: 'Contact Us', siteId: '65427cf400e02b306eaa049c', submittedAt: '2024-05-01T10:00:00.117Z', id: '6321ca84df3949bfc6752327', data: { email: 'zaphod@heartofgold.ai' } } })
const opts = webflow.options.parse({ secrets: [secret] })
const now = new Date('2024-05-01T10:00:01Z')

/** The headers as Webflow's documentation describes them, computed independently of the module. */
const signedHeaders = (ms = now.getTime(), key = secret, payload = body) => ({
  'x-webflow-timestamp': String(ms),
  'x-webflow-signature': createHmac('sha256', key).update(`${ms}:${payload}`).digest('hex'),
})
const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/webflow', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('webflow', () => {
  it('produces signatures that webflow-api verifySignature accepts', async () => {
    const draft = await webflow.sign!(webflow.sample!('form_submission'), opts, now)
    expect(await client.webhooks.verifySignature({ headers: draft.headers, body: draft.body, secret })).toBe(true)
    expect(await webflow.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('accepts headers that webflow-api verifySignature accepts', async () => {
    const headers = signedHeaders()
    expect(await client.webhooks.verifySignature({ headers, body, secret })).toBe(true)
    expect(await webflow.verify(request(headers), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await webflow.verify(request(signedHeaders(), body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a changed timestamp', async () => {
    const headers = { ...signedHeaders(), 'x-webflow-timestamp': String(now.getTime() - 1) }
    expect(await webflow.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await webflow.verify(request(signedHeaders(now.getTime(), 'another secret')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = webflow.options.parse({ secrets: ['old secret', secret] })
    expect(await webflow.verify(request(signedHeaders()), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a timestamp older than five minutes (milliseconds in the header)', async () => {
    const headers = signedHeaders(now.getTime() - 301_000)
    expect(await webflow.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts a timestamp four minutes old', async () => {
    expect(await webflow.verify(request(signedHeaders(now.getTime() - 240_000)), opts, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    const { 'x-webflow-signature': _, ...headers } = signedHeaders()
    expect(await webflow.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it('rejects a missing timestamp header', async () => {
    const { 'x-webflow-timestamp': _, ...headers } = signedHeaders()
    expect(await webflow.verify(request(headers), opts, now)).toMatchObject({ ok: false, reason: 'missing-timestamp' })
  })

  it.each([
    ['x-webflow-signature', 'zz'],
    ['x-webflow-signature', 'a'.repeat(63)],
    ['x-webflow-signature', 'sha256=' + 'a'.repeat(64)],
    ['x-webflow-signature', 'a'.repeat(10_000)],
    ['x-webflow-timestamp', 'now'],
    ['x-webflow-timestamp', '1e12'],
    ['x-webflow-timestamp', '99999999999999999999999'],
    ['x-webflow-timestamp', '-1'],
    ['x-webflow-timestamp', '2024-05-01T10:00:00Z'],
  ])('rejects the malformed %s %j', async (name, value) => {
    const verdict = await webflow.verify(request({ ...signedHeaders(), [name]: value }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('describes a form submission by trigger, submission id and submission time', () => {
    expect(webflow.describe(request({}))).toEqual({
      deliveryId: 'form_submission:6321ca84df3949bfc6752327:2024-05-01T10:00:00.117Z',
      type: 'form_submission',
      occurredAt: new Date('2024-05-01T10:00:00.117Z'),
    })
  })

  it('gives two updates of one CMS item different delivery ids', () => {
    const update = (lastUpdated: string) => JSON.stringify({ triggerType: 'collection_item_changed', payload: { id: '582b900cba19143b2bb8a759', lastUpdated } })
    const first = webflow.describe(request({}, update('2024-05-01T10:00:00Z'))).deliveryId
    const second = webflow.describe(request({}, update('2024-05-01T10:05:00Z'))).deliveryId
    expect(first).not.toBe(second)
  })

  it('gives no delivery id to an order change, whose payload carries no per-event time', () => {
    const change = JSON.stringify({ triggerType: 'ecomm_order_changed', payload: { orderId: 'dfa-3f1', status: 'fulfilled', acceptedOn: '2024-05-01T10:00:00Z' } })
    expect(webflow.describe(request({}, change))).toEqual({ deliveryId: undefined, type: 'ecomm_order_changed', occurredAt: undefined })
  })
})
