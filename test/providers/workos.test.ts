import { WorkOS } from '@workos-inc/node'
import { describe, expect, it } from 'vitest'
import { createRawRequest } from '../../providers/kit.ts'
import { workos } from '../../providers/workos.ts'

const secret = 'whsec_test_5f4dcc3b5aa765d61d8327deb882cf99'
const sdk = new WorkOS('sk_test_inhook')
const payload = {
  id: 'event_01H2GNQD5B8NBBWX5JWJ8T5VGW',
  event: 'user.created',
  data: { object: 'user', id: 'user_01H2GNQD5B8NBBWX5JWJ8T5VGX', email: 'todd@example.com', first_name: 'Todd', last_name: 'Rundgren', email_verified: false },
  created_at: '2023-06-09T18:38:14.871Z',
}
const body = JSON.stringify(payload)
const opts = workos.options.parse({ secrets: [secret] })

const request = (headers: Record<string, string>, raw = body) => createRawRequest({ url: 'http://localhost/webhooks/workos', headers, body: raw })

/** The WorkOS-Signature header @workos-inc/node computes for `payload` at `t` ms (the SDK signs JSON.stringify(payload)). */
const sdkHeader = async (t: number, key = secret) => `t=${t}, v1=${await sdk.webhooks.computeSignature(t, payload, key)}`

describe('workos', () => {
  it('accepts a delivery signed by @workos-inc/node', async () => {
    const now = new Date()
    expect(await workos.verify(request({ 'workos-signature': await sdkHeader(now.getTime()) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that @workos-inc/node constructEvent accepts', async () => {
    const draft = await workos.sign!(workos.sample!(), opts, new Date())
    const event = await sdk.webhooks.constructEvent({ payload: JSON.parse(draft.body), sigHeader: draft.headers['workos-signature']!, secret })
    expect(event.event).toBe('user.created')
  })

  it('rejects a tampered body', async () => {
    const now = new Date()
    expect(await workos.verify(request({ 'workos-signature': await sdkHeader(now.getTime()) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    const now = new Date()
    expect(await workos.verify(request({ 'workos-signature': await sdkHeader(now.getTime(), 'another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a signature older than the three-minute tolerance', async () => {
    const now = new Date()
    const header = await sdkHeader(now.getTime() - 181_000)
    expect(await workos.verify(request({ 'workos-signature': header }), opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a signature dated far in the future', async () => {
    const now = new Date()
    const header = await sdkHeader(now.getTime() + 3_600_000)
    expect(await workos.verify(request({ 'workos-signature': header }), opts, now)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('accepts an old signature when toleranceSeconds allows it', async () => {
    const now = new Date()
    const header = await sdkHeader(now.getTime() - 600_000)
    expect(await workos.verify(request({ 'workos-signature': header }), workos.options.parse({ secrets: [secret], toleranceSeconds: 900 }), now)).toEqual({ ok: true })
  })

  it('accepts the second of two rotated secrets', async () => {
    const now = new Date()
    const rotated = workos.options.parse({ secrets: ['old secret', secret] })
    expect(await workos.verify(request({ 'workos-signature': await sdkHeader(now.getTime()) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await workos.verify(request({}), opts, new Date())).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    '',
    't=',
    'v1=' + 'a'.repeat(64),
    't=1686335894871',
    't=1686335894871, v1=',
    't=1686335894871, v1=zz',
    't=1686335894871, v1=' + 'a'.repeat(63),
    't=1686335894871, v0=' + 'a'.repeat(64),
    't=abc, v1=' + 'a'.repeat(64),
    't=-5, v1=' + 'a'.repeat(64),
    't=1e12, v1=' + 'a'.repeat(64),
    't=99999999999999999999, v1=' + 'a'.repeat(64),
    't=9999999999999999, v1=' + 'a'.repeat(64),
    ',,,,',
  ])('rejects the malformed header %j without throwing', async (header) => {
    const verdict = await workos.verify(request({ 'workos-signature': header }), opts, new Date(1686335894871))
    expect(verdict.ok).toBe(false)
  })

  it('describes the event id, type and creation time from the body', () => {
    expect(workos.describe(request({}))).toEqual({ deliveryId: 'event_01H2GNQD5B8NBBWX5JWJ8T5VGW', type: 'user.created', occurredAt: new Date('2023-06-09T18:38:14.871Z') })
  })

  it('describes a garbage body without throwing', () => {
    expect(workos.describe(request({}, '[1,2'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
