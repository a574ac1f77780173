import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { mailgun } from '../../providers/mailgun.ts'

// mailgun.js is not installed, and Mailgun's documented example signature is a placeholder. The scheme
// (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks): hex
// HMAC-SHA256(signing key, timestamp + token), computed independently here with node:crypto.
const signingKey = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0'
const opts = mailgun.options.parse({ secrets: [signingKey] })
const now = new Date('2024-05-14T12:00:00Z')
const timestamp = String(now.getTime() / 1000)
const token = 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0'
const sign = (key: string, ts = timestamp, tok = token) => createHmac('sha256', key).update(ts + tok).digest('hex')

const eventData = { id: 'CPgfbmQMTCKtHW6uIWtuVe', timestamp: 1521472262.908181, event: 'delivered', recipient: 'alice@example.com' }
const jsonBody = (signature: Record<string, string>) => JSON.stringify({ signature, 'event-data': eventData })
const jsonRequest = (signature: Record<string, string>) =>
  createRawRequest({ url: 'http://localhost/webhooks/mailgun', headers: { 'content-type': 'application/json' }, body: jsonBody(signature) })

describe('mailgun', () => {
  it('accepts a JSON webhook signed as Mailgun documents', async () => {
    expect(await mailgun.verify(jsonRequest({ timestamp, token, signature: sign(signingKey) }), opts, now)).toEqual({ ok: true })
  })

  it('produces a signature block equal to an independent HMAC of timestamp and token', async () => {
    const draft = await mailgun.sign!(mailgun.sample!('opened'), opts, now)
    const block = JSON.parse(draft.body).signature
    expect(block.timestamp).toBe(timestamp)
    expect(block.signature).toBe(sign(signingKey, block.timestamp, block.token))
    expect(await mailgun.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('accepts a legacy urlencoded webhook', async () => {
    const body = new URLSearchParams({ event: 'delivered', recipient: 'alice@example.com', timestamp, token, signature: sign(signingKey) }).toString()
    const req = createRawRequest({ url: 'http://localhost/webhooks/mailgun', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
    expect(await mailgun.verify(req, opts, now)).toEqual({ ok: true })
  })

  it('accepts a message forwarded by a route as multipart/form-data', async () => {
    const form = new FormData()
    for (const [name, value] of Object.entries({ recipient: 'support@example.com', sender: 'bob@example.com', subject: 'Hi', 'body-plain': 'Hello\r\n\r\nthere', timestamp, token, signature: sign(signingKey) })) form.append(name, value)
    form.append('attachment-1', new Blob([new Uint8Array([0, 255, 13, 10, 13, 10])]), 'file.bin')
    const encoded = new Response(form)
    const req = createRawRequest({
      url: 'http://localhost/webhooks/mailgun',
      headers: { 'content-type': encoded.headers.get('content-type')! },
      body: new Uint8Array(await encoded.arrayBuffer()),
    })
    expect(await mailgun.verify(req, opts, now)).toEqual({ ok: true })
    expect(mailgun.describe(req)).toMatchObject({ deliveryId: token })
  })

  it('accepts a subaccount event through the parent signature', async () => {
    const parentOpts = mailgun.options.parse({ secrets: ['parent-key'] })
    const req = jsonRequest({ timestamp, token, signature: sign(signingKey), 'parent-signature': sign('parent-key') })
    expect(await mailgun.verify(req, parentOpts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered token', async () => {
    expect(await mailgun.verify(jsonRequest({ timestamp, token: token.replace('a', 'b'), signature: sign(signingKey) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a tampered timestamp', async () => {
    expect(await mailgun.verify(jsonRequest({ timestamp: String(Number(timestamp) + 1), token, signature: sign(signingKey) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a signature made with another key', async () => {
    expect(await mailgun.verify(jsonRequest({ timestamp, token, signature: sign('key-other') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated signing keys', async () => {
    const rotated = mailgun.options.parse({ secrets: ['key-old', signingKey] })
    expect(await mailgun.verify(jsonRequest({ timestamp, token, signature: sign(signingKey) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a signed timestamp older than the tolerance', async () => {
    const later = new Date(now.getTime() + 16 * 60 * 1000)
    expect(await mailgun.verify(jsonRequest({ timestamp, token, signature: sign(signingKey) }), opts, later)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a missing signature', async () => {
    expect(await mailgun.verify(jsonRequest({ timestamp, token }), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
    const bare = createRawRequest({ url: 'http://localhost/webhooks/mailgun', body: JSON.stringify({ 'event-data': eventData }) })
    expect(await mailgun.verify(bare, opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    ['no timestamp', { token, signature: sign(signingKey) }],
    ['no token', { timestamp, signature: sign(signingKey) }],
    ['short signature', { timestamp, token, signature: 'abc' }],
    ['non-hex signature', { timestamp, token, signature: 'z'.repeat(64) }],
    ['base64 signature', { timestamp, token, signature: Buffer.alloc(32).toString('base64') }],
    ['bad parent signature', { timestamp, token, signature: sign(signingKey), 'parent-signature': 'nope' }],
    ['text timestamp', { timestamp: 'yesterday', token, signature: sign(signingKey, 'yesterday') }],
    ['absurd timestamp', { timestamp: '9'.repeat(40), token, signature: sign(signingKey, '9'.repeat(40)) }],
  ])('rejects the malformed signature block (%s) without throwing', async (_name, block) => {
    expect((await mailgun.verify(jsonRequest(block as Record<string, string>), opts, now)).ok).toBe(false)
  })

  it.each(['', '[]', 'null', '{"signature":"flat"}', '{"signature":{"signature":{"nested":true}}}', 'signature=%%%', '\u0000'])('rejects the garbage body %j without throwing', async (body) => {
    const req = createRawRequest({ url: 'http://localhost/webhooks/mailgun', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body })
    expect((await mailgun.verify(req, opts, now)).ok).toBe(false)
  })

  it('describes a JSON event by its event id, type and time', () => {
    expect(mailgun.describe(jsonRequest({ timestamp, token, signature: 'x' }))).toEqual({ deliveryId: 'CPgfbmQMTCKtHW6uIWtuVe', type: 'delivered', occurredAt: new Date(1521472262908) })
  })

  it('describes a legacy form event by its token, event and timestamp', () => {
    const body = new URLSearchParams({ event: 'bounced', timestamp, token, signature: 'x' }).toString()
    expect(mailgun.describe(createRawRequest({ url: 'http://localhost/webhooks/mailgun', body }))).toEqual({ deliveryId: token, type: 'bounced', occurredAt: now })
  })
})
