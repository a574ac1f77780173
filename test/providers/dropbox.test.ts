import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { dropbox } from '../../providers/dropbox.ts'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'

// No Dropbox SDK here verifies webhooks. The reference gives the check in Python,
//   hmac.compare_digest(signature, hmac.new(APP_SECRET, request.data, sha256).hexdigest())
// ported with node:crypto, independently of the module: https://www.dropbox.com/developers/reference/webhooks
const documentedSignature = (payload: string, appSecret: string) => createHmac('sha256', appSecret).update(payload).digest('hex')

const appSecret = 'k2h3j4k5l6m7n8p'
const opts = dropbox.options.parse({ secrets: [appSecret] })
const now = new Date()
const body = JSON.stringify({ list_folder: { accounts: ['dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc', 'dbid:AAA-AdT84WzkyLw5s590DbYF1nGomiAoO8I'] }, delta: { users: [12345678, 23456789] } })
const request = (headers: Record<string, string>, payload = body) => createRawRequest({ url: 'http://localhost/webhooks/dropbox', headers: { 'content-type': 'application/json', ...headers }, body: payload })

describe('dropbox', () => {
  it('accepts a notification signed as the reference describes', async () => {
    expect(await dropbox.verify(request({ 'x-dropbox-signature': documentedSignature(body, appSecret) }), opts, now)).toEqual({ ok: true })
  })

  it('produces the signature the reference describes', async () => {
    const draft = await dropbox.sign!(dropbox.sample!(), opts, now)
    expect(draft.headers['x-dropbox-signature']).toBe(documentedSignature(draft.body, appSecret))
    expect(await dropbox.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    expect(await dropbox.verify(request({ 'x-dropbox-signature': documentedSignature(body, appSecret) }, body.replace('12345678', '12345679')), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a notification signed with another secret', async () => {
    expect(await dropbox.verify(request({ 'x-dropbox-signature': documentedSignature(body, 'another secret') }), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two rotated secrets', async () => {
    expect(await dropbox.verify(request({ 'x-dropbox-signature': documentedSignature(body, appSecret) }), dropbox.options.parse({ secrets: ['old', appSecret] }), now)).toEqual({ ok: true })
  })

  it('rejects a missing X-Dropbox-Signature', async () => {
    expect(await dropbox.verify(request({}), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['sha256=' + documentedSignature(body, appSecret), 'z'.repeat(64), 'ab'.repeat(20), 'abc', Buffer.alloc(32).toString('base64')])('rejects the malformed signature %j without throwing', async (signature) => {
    const verdict = await dropbox.verify(request({ 'x-dropbox-signature': signature }), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('echoes the GET challenge as nosniff text/plain', async () => {
    const reply = await dropbox.challenge!(createRawRequest({ method: 'GET', url: 'http://localhost/webhooks/dropbox?challenge=a1b2c3%3Cscript%3E' }), opts, now)
    expect(reply).toEqual({ status: 200, headers: { 'content-type': 'text/plain', 'x-content-type-options': 'nosniff' }, body: 'a1b2c3<script>' })
  })

  it('leaves requests without a challenge to verification', async () => {
    expect(await dropbox.challenge!(createRawRequest({ method: 'GET', url: 'http://localhost/webhooks/dropbox' }), opts, now)).toBeUndefined()
    expect(await dropbox.challenge!(request({}), opts, now)).toBeUndefined()
  })

  it('describes a notification by its kind, without a delivery id', () => {
    expect(dropbox.describe(request({}))).toEqual({ type: 'list_folder' })
  })

  it('describes garbage without throwing', () => {
    expect(dropbox.describe(request({}, 'garbage'))).toEqual({ type: undefined })
  })
})
