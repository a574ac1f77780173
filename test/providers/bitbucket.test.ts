import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { bitbucket } from '../../providers/bitbucket.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// Atlassian ships no verifier. The documented scheme (https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks,
// and the Data Center "Event payload" page) is `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`;
// signatures here are computed independently with node:crypto.
const secret = 'bitbucket-webhook-secret'
const body = JSON.stringify({ eventKey: 'repo:refs_changed', date: '2024-05-14T10:01:12+0000', actor: { name: 'admin' }, repository: { slug: 'repository' } })
const opts = bitbucket.options.parse({ secrets: [secret] })
const now = new Date()
const signature = (key: string, data = body) => 'sha256=' + createHmac('sha256', key).update(data).digest('hex')

const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/bitbucket', headers: { 'content-type': 'application/json', 'x-event-key': 'repo:refs_changed', 'x-request-id': 'fbbd4e3e-f7f1-4ee6-9b1e-47b0d0a1bd92', ...headers }, body: payload })

describe('bitbucket', () => {
  it('accepts a delivery signed as Bitbucket documents', async () => {
    expect(await bitbucket.verify(request({ 'x-hub-signature': signature(secret) }), opts, now)).toEqual({ ok: true })
  })

  it('produces a signature equal to an independent HMAC of the body', async () => {
    const draft = await bitbucket.sign!(bitbucket.sample!('pullrequest:created'), opts, now)
    expect(draft.headers['x-hub-signature']).toBe(signature(secret, draft.body))
    expect(await bitbucket.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await bitbucket.verify(request({ 'x-hub-signature': signature(secret) }, body.replace('admin', 'root')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    expect(await bitbucket.verify(request({ 'x-hub-signature': signature('another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = bitbucket.options.parse({ secrets: ['old secret', secret] })
    expect(await bitbucket.verify(request({ 'x-hub-signature': signature(secret) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing signature header', async () => {
    expect(await bitbucket.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'sha256=', 'sha256=zz', 'sha1=' + 'a'.repeat(40), 'sha256=' + 'a'.repeat(63), 'sha256=' + 'g'.repeat(64), signature(secret).slice(7), 'sha256=' + 'a'.repeat(10000)])(
    'rejects the malformed header %j without throwing',
    async (header) => {
      const verdict = await bitbucket.verify(request(header === '' ? {} : { 'x-hub-signature': header }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('describes a Data Center delivery by its request id, event key and date', () => {
    expect(bitbucket.describe(request({}))).toEqual({ deliveryId: 'fbbd4e3e-f7f1-4ee6-9b1e-47b0d0a1bd92', type: 'repo:refs_changed', occurredAt: new Date('2024-05-14T10:01:12Z') })
  })

  it('describes a Cloud delivery by its request UUID and event key', () => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/bitbucket', headers: { 'x-request-uuid': 'c-1', 'x-event-key': 'repo:push' }, body: '{"push":{}}' })
    expect(bitbucket.describe(req)).toEqual({ deliveryId: 'c-1', type: 'repo:push', occurredAt: undefined })
  })
})
