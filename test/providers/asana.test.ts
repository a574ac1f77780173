import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { asana } from '../../providers/asana.ts'
import { createRawRequest } from '../../providers/kit.ts'

// Asana's official Node client has no webhook verifier; the signature is computed independently here as
// the webhooks guide specifies (https://developers.asana.com/docs/webhooks-guide): the hex
// HMAC-SHA256 of the raw body keyed with the X-Hook-Secret of the handshake.
const hookSecret = 'b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81'
const asanaSign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('hex')

const body = JSON.stringify({
  events: [
    {
      user: { gid: '1123', resource_type: 'user' },
      created_at: '2018-03-27T19:33:17.522Z',
      action: 'changed',
      resource: { gid: '1337', resource_type: 'task', resource_subtype: 'default_task' },
      parent: null,
      change: { field: 'assignee', action: 'changed' },
    },
  ],
})
const opts = asana.options.parse({ secrets: [hookSecret] })
const now = new Date()

const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/asana', headers, body: payload })

describe('asana', () => {
  it('accepts an event signed with the hook secret', async () => {
    expect(await asana.verify(request({ 'x-hook-signature': asanaSign(hookSecret, body) }), opts, now)).toEqual({ ok: true })
  })

  it('produces signatures that match the independent computation', async () => {
    const draft = await asana.sign!(asana.sample!(), opts, now)
    expect(draft.headers['x-hook-signature']).toBe(asanaSign(hookSecret, draft.body))
  })

  it('rejects a tampered body', async () => {
    expect(await asana.verify(request({ 'x-hook-signature': asanaSign(hookSecret, body) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects an event signed with another hook secret', async () => {
    expect(await asana.verify(request({ 'x-hook-signature': asanaSign('another secret', body) }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const rotated = asana.options.parse({ secrets: ['old hook secret', hookSecret] })
    expect(await asana.verify(request({ 'x-hook-signature': asanaSign(hookSecret, body) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects every event while no hook secret is configured', async () => {
    const pending = asana.options.parse({})
    expect(await asana.verify(request({ 'x-hook-signature': asanaSign(hookSecret, body) }), pending, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a missing signature header', async () => {
    expect(await asana.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'zz', 'sha256=' + asanaSign(hookSecret, body), 'a'.repeat(63), 'g'.repeat(64), 'a'.repeat(128), Buffer.alloc(32).toString('base64')])(
    'rejects the malformed signature %j without throwing',
    async (signature) => {
      const verdict = await asana.verify(request({ 'x-hook-signature': signature }), opts, now)
      expect(verdict.ok).toBe(false)
    },
  )

  it('answers the handshake by echoing X-Hook-Secret, even before any secret is configured', async () => {
    const handshake = createRawRequest({ url: 'http://localhost/webhooks/asana', headers: { 'x-hook-secret': hookSecret } })
    expect(await asana.challenge!(handshake, asana.options.parse({}), now)).toMatchObject({ status: 200, headers: { 'x-hook-secret': hookSecret } })
  })

  it('refuses the handshake when allowHandshake is false', async () => {
    const handshake = createRawRequest({ url: 'http://localhost/webhooks/asana', headers: { 'x-hook-secret': hookSecret } })
    expect(await asana.challenge!(handshake, asana.options.parse({ secrets: [hookSecret], allowHandshake: false }), now)).toMatchObject({ ok: false, reason: 'bad-request' })
  })

  it('leaves signed events to verify', async () => {
    expect(await asana.challenge!(request({ 'x-hook-signature': asanaSign(hookSecret, body) }), opts, now)).toBeUndefined()
  })

  it('redacts the hook secret header', () => {
    expect(asana.redact!(opts)).toEqual({ headers: ['x-hook-secret'] })
  })

  it('refuses to sign without a hook secret', () => {
    expect(() => asana.sign!(asana.sample!(), asana.options.parse({}), now)).toThrow(/hook secret/)
  })

  it('describes the body hash, the first event\'s resource and action, and its time', () => {
    expect(asana.describe(request({}))).toEqual({
      deliveryId: createHash('sha256').update(body).digest('hex'),
      type: 'task.changed',
      occurredAt: new Date('2018-03-27T19:33:17.522Z'),
    })
  })

  it('describes an empty events list as a heartbeat', () => {
    expect(asana.describe(request({}, '{"events":[]}')).type).toBe('heartbeat')
  })

  it('describes a garbage body without throwing', () => {
    expect(asana.describe(request({}, '\u0000garbage'))).toEqual({ deliveryId: undefined, type: undefined, occurredAt: undefined })
  })
})
