import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { circleci } from '../../providers/circleci.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// CircleCI publishes no SDK verifier. Its documented scheme (https://circleci.com/docs/webhooks/#validate-webhooks):
// `circleci-signature: v1=<hex HMAC-SHA256(secret, raw body)>`, more versions possibly comma-separated.
// Signatures here are computed independently with node:crypto.
const secret = 'circleci-webhook-secret'
const body = JSON.stringify({ type: 'workflow-completed', id: '3888f21b-eaa7-38e3-8f3d-75a63bba8895', happened_at: '2021-09-01T22:49:34.317Z', workflow: { status: 'success' } })
const opts = circleci.options.parse({ secrets: [secret] })
const now = new Date()
const v1 = (key: string, data = body) => 'v1=' + createHmac('sha256', key).update(data).digest('hex')

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/circleci', headers: { 'content-type': 'application/json', 'circleci-event-type': 'workflow-completed', ...headers }, body: payload })

describe('circleci', () => {
  it('accepts a delivery signed as CircleCI documents', async () => {
    expect(await circleci.verify(request({ 'circleci-signature': v1(secret) }), opts, now)).toEqual({ ok: true })
  })

  it('produces a v1 signature equal to an independent HMAC of the body', async () => {
    const draft = await circleci.sign!(circleci.sample!(), opts, now)
    expect(draft.headers['circleci-signature']).toBe(v1(secret, draft.body))
    expect(await circleci.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('ignores unknown signature versions next to v1', async () => {
    const header = `v2=${'ab'.repeat(32)},${v1(secret)},v0=zz`
    expect(await circleci.verify(request({ 'circleci-signature': header }), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await circleci.verify(request({ 'circleci-signature': v1(secret) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await circleci.verify(request({ 'circleci-signature': v1('another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = circleci.options.parse({ secrets: ['old secret', secret] })
    expect(await circleci.verify(request({ 'circleci-signature': v1(secret) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await circleci.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'v1=', 'v1=zz', 'v2=' + 'a'.repeat(64), 'sha256=' + 'a'.repeat(64), 'v1=' + 'a'.repeat(63), 'v1=' + 'g'.repeat(64), '=,=,,', 'v1'])(
    'rejects the malformed header %j without throwing',
    async (header) => {
      const verdict = await circleci.verify(request(header === '' ? {} : { 'circleci-signature': header }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('describes the event id, type and time from the body', () => {
    expect(circleci.describe(request({}))).toEqual({ deliveryId: '3888f21b-eaa7-38e3-8f3d-75a63bba8895', type: 'workflow-completed', occurredAt: new Date('2021-09-01T22:49:34.317Z') })
  })

  it('describes a non-JSON body without throwing', () => {
    expect(circleci.describe(request({}, '<html>'))).toEqual({ deliveryId: undefined, type: 'workflow-completed', occurredAt: undefined })
  })
})
