import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { accept, anyDigestMatches, decodeDigest, defineProvider, formDraft, hash, hmac, reject, secretsOption, toDate, triedHint } from './kit.ts'

// https://developer.paypal.com/braintree/docs/guides/webhooks/parse
export const braintree = defineProvider({
  name: 'braintree',
  title: 'Braintree',
  docs: 'https://developer.paypal.com/braintree/docs/guides/webhooks/parse',
  options: z.object({
    /** The Braintree API public key the deliveries are signed for (or several while rotating API keys). */
    publicKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((key) => (Array.isArray(key) ? key : [key])),
    /** The matching API private key(s). */
    secrets: secretsOption,
  }),

  verify(req, { publicKey, secrets }) {
    const form = req.form()
    const signature = form.get('bt_signature')
    const payload = form.get('bt_payload')
    if (!signature) return reject('missing-signature', 'expected a bt_signature form field')
    if (!payload) return reject('bad-request', 'expected a bt_payload form field (Braintree signs that field)')
    // Same guard as the SDKs' parse(): a "+" decoded to a space means the body was URL-decoded twice.
    if (/[^A-Za-z0-9+=/\n]/.test(payload)) return reject('bad-request', 'bt_payload should be base64; is the form body decoded exactly once?')
    // bt_signature is "publicKey|hexsig" pairs joined by "&"; the pair for our public key carries the signature.
    const pairs = signature.split('&').filter((pair) => pair.includes('|')).map((pair) => pair.split('|'))
    if (pairs.length === 0) return reject('malformed-signature', 'bt_signature should hold "publicKey|signature" pairs')
    const presented = pairs.filter(([key]) => publicKey.includes(key!)).map(([, sig]) => decodeDigest(sig ?? '', 'hex'))
    if (presented.length === 0) return reject('unknown-key', `bt_signature names none of the ${publicKey.length} configured public key(s); is publicKey the API public key of this merchant?`)
    if (presented.some((sig) => sig?.length !== 20)) return reject('malformed-signature', 'bt_signature should hold hex HMAC-SHA1 digests')
    // HMAC-SHA1 keyed with SHA1(private key); the SDKs accept the payload with or without a trailing newline.
    const expected = secrets.flatMap((secret) => {
      const key = hash('sha1', secret)
      return [hmac('sha1', key, payload), hmac('sha1', key, payload + '\n')]
    })
    const ok = anyDigestMatches(presented as Buffer[], expected)
    return ok ? accept : reject('mismatch', triedHint(secrets.length, 'are secrets the private key of the configured public key?'))
  },

  describe(req) {
    const payload = req.form().get('bt_payload')
    if (!payload) return {}
    // Braintree sends no delivery id; a retry resends the same notification, so its bytes identify it.
    const deliveryId = hash('sha256', payload.replace(/\s+/g, '')).toString('hex')
    // The notification's own fields precede <subject>, which may nest further kinds and timestamps.
    const head = Buffer.from(payload, 'base64').toString('utf8').split('<subject')[0] ?? ''
    return {
      deliveryId,
      type: /<kind>([^<]+)<\/kind>/.exec(head)?.[1]?.trim(),
      occurredAt: toDate(/<timestamp[^>]*>([^<]+)<\/timestamp>/.exec(head)?.[1]?.trim()),
    }
  },

  sample(kind = 'subscription_went_past_due') {
    const xml = [
      '<notification>',
      `  <timestamp type="datetime">${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}</timestamp>`,
      `  <kind>${kind}</kind>`,
      '  <subject>',
      '    <subscription>',
      `      <id>${randomBytes(3).toString('hex')}</id>`,
      '      <status>Past Due</status>',
      '      <transactions type="array"></transactions>',
      '      <add-ons type="array"></add-ons>',
      '      <discounts type="array"></discounts>',
      '    </subscription>',
      '  </subject>',
      '</notification>',
    ].join('\n')
    // Braintree wraps the base64 payload at 60 characters, each line ending in "\n" (Ruby's Base64.encode64).
    const payload = (Buffer.from(xml).toString('base64').match(/.{1,60}/g) ?? []).map((line) => line + '\n').join('')
    return formDraft({ bt_payload: payload }, { 'user-agent': 'Braintree/1.0' }, 'http://localhost:8787/webhooks/braintree')
  },

  sign(draft, { publicKey, secrets }) {
    const form = new URLSearchParams(draft.body)
    const payload = form.get('bt_payload')
    if (payload === null) throw new Error('braintree: the draft body has no bt_payload form field to sign')
    const signature = `${publicKey[0]}|${hmac('sha1', hash('sha1', secrets[0]!), payload).toString('hex')}`
    return { ...draft, body: new URLSearchParams({ bt_signature: signature, bt_payload: payload }).toString() }
  },
})

