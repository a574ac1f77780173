import { createHmac } from 'node:crypto'
import Mux from '@mux/mux-node'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { mux } from '../../providers/mux.ts'

// @mux/mux-node can only verify (Webhooks.verifySignature / unwrap, which read the clock themselves), so both
// directions are proven: the SDK accepts what sign() produces, and verify() accepts headers the SDK accepts.
const secret = 'mux webhook signing secret'
const client = new Mux({ tokenId: 'unused', tokenSecret: 'unused', webhookSecret: secret })
const body = JSON.stringify({ type: 'video.asset.ready', id: '3a56ac3d-33da-4366-855b-f592d898409d', object: { type: 'asset', id: 'abc' }, created_at: '2024-05-01T10:00:00.000000Z' })
const opts = mux.options.parse({ secrets: [secret] })

/** The header as Mux's documentation describes it, computed independently of the module. */
const header = (t: number, key = secret, payload = body) => `t=${t},v1=${createHmac('sha256', key).update(`${t}.${payload}`).digest('hex')}`
const request = (headers: Record<string, string>, payload = body) =>
  createRawRequest({ url: 'http://localhost/webhooks/mux', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('mux', () => {
  it('produces signatures that @mux/mux-node verifySignature and unwrap accept', async () => {
    const draft = await mux.sign!(mux.sample!('video.asset.ready'), opts, new Date())
    await expect(client.webhooks.verifySignature(draft.body, draft.headers)).resolves.toBeUndefined()
    expect(await client.webhooks.unwrap(draft.body, draft.headers)).toMatchObject({ type: 'video.asset.ready' })
  })

  it('accepts a header that @mux/mux-node verifySignature accepts', async () => {
    const now = new Date()
    const headers = { 'mux-signature': header(Math.floor(now.getTime() / 1000)) }
    await expect(client.webhooks.verifySignature(body, headers)).resolves.toBeUndefined()
    expect(await mux.verify(request(headers), opts, now)).toEqual({ ok: true })
  })

  it('accepts a header listing several v1 signatures when one matches', async () => {
    const now = new Date()
    const t = Math.floor(now.getTime() / 1000)
    const headers = { 'mux-signature': `t=${t},v1=${'0'.repeat(64)},${header(t).split(',')[1]}` }
    await expect(client.webhooks.verifySignature(body, headers)).resolves.toBeUndefined()
    expect(await mux.verify(request(headers), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const now = new Date('2024-05-01T10:00:00Z')
    expect(await mux.verify(request({ 'mux-signature': header(now.getTime() / 1000) }, body + ' '), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a delivery signed with another secret', async () => {
    const now = new Date('2024-05-01T10:00:00Z')
    expect(await mux.verify(request({ 'mux-signature': header(now.getTime() / 1000, 'another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    const now = new Date('2024-05-01T10:00:00Z')
    const rotated = mux.options.parse({ secrets: ['old secret', secret] })
    expect(await mux.verify(request({ 'mux-signature': header(now.getTime() / 1000) }), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a timestamp older than 300 s, as the SDK does', async () => {
    const signedAt = new Date('2024-05-01T10:00:00Z')
    const headers = { 'mux-signature': header(signedAt.getTime() / 1000) }
    await expect(client.webhooks.verifySignature(body, headers)).rejects.toThrow(/too old/)
    expect(await mux.verify(request(headers), opts, new Date(signedAt.getTime() + 301_000))).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a missing Mux-Signature header', async () => {
    expect(await mux.verify(request({}), opts, new Date())).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each([
    '',
    'v1=' + 'a'.repeat(64),
    't=,v1=' + 'a'.repeat(64),
    't=abc,v1=' + 'a'.repeat(64),
    't=99999999999999999999999,v1=' + 'a'.repeat(64),
    't=1714557600',
    't=1714557600,v1=zz',
    't=1714557600,v1=' + 'a'.repeat(63),
    't=1714557600,v0=' + 'a'.repeat(64),
    'garbage',
    ',,,,=,=',
  ])('rejects the malformed header %j', async (value) => {
    const verdict = await mux.verify(request({ 'mux-signature': value }), opts, new Date('2024-05-01T10:00:00Z'))
    expect(verdict.ok).toBe(false)
  })

  it('describes the event id, type and creation time from the body', () => {
    expect(mux.describe(request({}))).toEqual({ deliveryId: '3a56ac3d-33da-4366-855b-f592d898409d', type: 'video.asset.ready', occurredAt: new Date('2024-05-01T10:00:00Z') })
  })

  it('signs the sample so that verify accepts it', async () => {
    const now = new Date('2024-05-01T10:00:00Z')
    const draft = await mux.sign!(mux.sample!(), opts, now)
    expect(await mux.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })
})
