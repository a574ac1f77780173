import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRawRequest, draftToRawRequest } from '../../providers/kit.ts'
import { mandrill } from '../../providers/mandrill.ts'

// No official package signs Mandrill webhooks (@mailchimp/mailchimp_transactional is an API client and not
// installed). This is the PHP example of the docs, ported line by line:
// https://mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks/#authenticating-webhook-requests
//   $signed_data = $url; ksort($params);
//   foreach ($params as $key => $value) { $signed_data .= $key; $signed_data .= $value; }
//   return base64_encode(hash_hmac('sha1', $signed_data, $webhook_key, true));
function phpSignature(webhookKey: string, url: string, params: Record<string, string>) {
  let signedData = url
  for (const key of Object.keys(params).sort()) signedData += key + params[key]
  return createHmac('sha1', webhookKey).update(signedData).digest('base64')
}

const key = 'Dq0wmG5xNp6K8dvJcXr1Ag'
const url = 'https://example.com/webhooks/mandrill?source=mandrill'
const now = new Date()
const opts = mandrill.options.parse({ secrets: [key] })
const events = [
  { event: 'send', _id: 'exampleaaaaaaaaaaaaaaaaaaaaaaaaa', ts: 1365109999, msg: { subject: 'Ünïcödé ✓ & more', email: 'example.webhook@mandrillapp.com', state: 'sent' } },
]
const fields = { mandrill_events: JSON.stringify(events) }

const request = (signature: string | undefined, body: Record<string, string> = fields, requestUrl = url, method = 'POST') =>
  createRawRequest({
    method,
    url: requestUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === undefined ? {} : { 'x-mandrill-signature': signature }) },
    body: new URLSearchParams(body).toString(),
  })

describe('mandrill', () => {
  it('accepts a delivery signed as the documented PHP example signs it', async () => {
    expect(await mandrill.verify(request(phpSignature(key, url, fields)), opts, now)).toEqual({ ok: true })
  })

  it('produces the signature the documented PHP example computes', async () => {
    const draft = await mandrill.sign!(mandrill.sample!('open'), opts, now)
    expect(draft.headers['x-mandrill-signature']).toBe(phpSignature(key, draft.url, Object.fromEntries(new URLSearchParams(draft.body))))
    expect(await mandrill.verify(draftToRawRequest(draft), opts, now)).toEqual({ ok: true })
  })

  it('signs every POST field, sorted by name', async () => {
    const body = { mandrill_events: fields.mandrill_events, b_extra: '2', a_extra: '1' }
    expect(await mandrill.verify(request(phpSignature(key, url, body), body), opts, now)).toEqual({ ok: true })
  })

  it('rejects a tampered body', async () => {
    const tampered = { mandrill_events: fields.mandrill_events.replace('send', 'open') }
    expect(await mandrill.verify(request(phpSignature(key, url, fields), tampered), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('rejects a signature over another URL, naming the URL it checked', async () => {
    const verdict = await mandrill.verify(request(phpSignature(key, url + '/', fields)), opts, now)
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(verdict.ok === false && verdict.hint).toContain(url)
  })

  it('rejects a delivery signed with another key', async () => {
    expect(await mandrill.verify(request(phpSignature('another key', url, fields)), opts, now)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts the second of two keys', async () => {
    const rotated = mandrill.options.parse({ secrets: ['old key', key] })
    expect(await mandrill.verify(request(phpSignature(key, url, fields)), rotated, now)).toEqual({ ok: true })
  })

  it('rejects a missing X-Mandrill-Signature', async () => {
    expect(await mandrill.verify(request(undefined), opts, now)).toMatchObject({ ok: false, reason: 'missing-signature' })
  })

  it.each(['', 'not base64!', 'AAAA', 'A'.repeat(40), createHmac('sha1', key).update('x').digest('hex'), '====='])('rejects the malformed signature %j without throwing', async (signature) => {
    const verdict = await mandrill.verify(request(signature === '' ? undefined : signature), opts, now)
    expect(verdict.ok).toBe(false)
  })

  it('answers the HEAD check made when a webhook is added', async () => {
    expect(await mandrill.challenge!(createRawRequest({ method: 'HEAD', url }), opts, now)).toMatchObject({ status: 200 })
  })

  it('answers the fallback POST of an empty batch signed with the test-webhook key', async () => {
    const empty = { mandrill_events: '[]' }
    expect(await mandrill.challenge!(request(phpSignature('test-webhook', url, empty), empty), opts, now)).toMatchObject({ status: 200 })
  })

  it('treats an empty batch not signed with the test-webhook key as a delivery', async () => {
    const empty = { mandrill_events: '[]' }
    expect(await mandrill.challenge!(request(phpSignature('forged', url, empty), empty), opts, now)).toBeUndefined()
    expect(await mandrill.challenge!(request(phpSignature(key, url, fields)), opts, now)).toBeUndefined()
  })

  it('describes a single event by its _id, event and ts', () => {
    expect(mandrill.describe(request(undefined))).toEqual({ deliveryId: 'exampleaaaaaaaaaaaaaaaaaaaaaaaaa', type: 'send', occurredAt: new Date(1365109999 * 1000) })
  })

  it('describes a batch by a hash of its event ids and its distinct types', () => {
    const batch = [events[0], { ...events[0], _id: 'examplebbbbbbbbbbbbbbbbbbbbbbbbb', event: 'open' }, { ...events[0], _id: 'examplecccccccccccccccccccccccccc' }]
    const described = mandrill.describe(request(undefined, { mandrill_events: JSON.stringify(batch) }))
    const expected = createHash('sha256').update(batch.map((e) => e!._id).join('\n')).digest('hex')
    expect(described).toEqual({ deliveryId: `sha256:${expected}`, type: 'send,open', occurredAt: new Date(1365109999 * 1000) })
  })

  it('describes sync events, which carry a type and no _id, by a hash of the body', () => {
    const sync = [{ type: 'blacklist', action: 'add', reject: { email: 'a@example.com' }, ts: 1365109999 }]
    const req = request(undefined, { mandrill_events: JSON.stringify(sync) })
    expect(mandrill.describe(req)).toEqual({ deliveryId: `sha256:${createHash('sha256').update(req.body).digest('hex')}`, type: 'blacklist', occurredAt: new Date(1365109999 * 1000) })
  })

  it.each<Record<string, string>>([{}, { mandrill_events: '' }, { mandrill_events: '{"not":"an array"}' }, { mandrill_events: '[1, null, "x"' }])('describes the garbage body %j without throwing', (body) => {
    expect(() => mandrill.describe(request(undefined, body))).not.toThrow()
  })
})
