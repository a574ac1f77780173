import { randomInt } from 'node:crypto'
import { z } from 'zod'
import { accept, decodeRsaSignature, defineProvider, formDraft, parseUtcDateTime, pemPublicKeyOption, reject, signRsaSha1, verifyRsaSha1 } from './kit.ts'

// https://classic.paddle.com/webhooks/verifying-webhooks/
export const paddleClassic = defineProvider({
  name: 'paddle-classic',
  title: 'Paddle Classic',
  docs: 'https://classic.paddle.com/webhooks/verifying-webhooks/',
  options: z.object({
    /** The vendor public key (PEM), from Developer Tools > Public Key in the Paddle Classic dashboard. */
    publicKey: pemPublicKeyOption('expected the PEM public key from Developer Tools > Public Key'),
    /** Test-only: the RSA private key (PEM) `sign` uses. Paddle signs with its own; verifying never needs it. */
    privateKey: z.string().optional(),
  }),

  verify(req, { publicKey }) {
    const form = req.form()
    const header = form.get('p_signature')
    if (!header) return reject('missing-signature', 'expected a p_signature form field')
    const signature = decodeRsaSignature(header)
    if (!signature) return reject('malformed-signature', 'p_signature should hold a base64 RSA signature')
    return verifyRsaSha1(publicKey, signedFields(form), signature)
      ? accept
      : reject('mismatch', 'p_signature does not verify under the configured publicKey; is it the public key of this Paddle Classic vendor account, and is the body the unmodified form post?')
  },

  describe(req) {
    const form = req.form()
    return {
      deliveryId: form.get('alert_id') ?? undefined,
      type: form.get('alert_name') ?? undefined,
      occurredAt: parseUtcDateTime(form.get('event_time')),
    }
  },

  sample(alert = 'subscription_created') {
    const fields = {
      alert_id: String(randomInt(1_000_000_000, 2_000_000_000)),
      alert_name: alert,
      cancel_url: 'https://sandbox-checkout.paddle.com/subscription/cancel?user=4&subscription=5&hash=aaa',
      checkout_id: '1-61ff5b5e8a7d2e3-1234567890',
      currency: 'USD',
      email: 'customer@example.com',
      event_time: new Date().toISOString().slice(0, 19).replace('T', ' '),
      marketing_consent: '1',
      next_bill_date: '2024-06-14',
      passthrough: '{"user_id":42}',
      quantity: '1',
      source: 'Checkout',
      status: 'active',
      subscription_id: '5',
      subscription_plan_id: '7',
      unit_price: '9.99',
      update_url: 'https://sandbox-checkout.paddle.com/subscription/update?user=4&subscription=5&hash=bbb',
      user_id: '4',
    }
    return formDraft(fields, {}, 'http://localhost:8787/webhooks/paddle-classic')
  },

  sign(draft, { privateKey }) {
    if (!privateKey) throw new Error('paddle-classic: sign needs the test-only `privateKey` option (an RSA private key, PEM)')
    const form = new URLSearchParams(draft.body)
    form.delete('p_signature')
    form.append('p_signature', signRsaSha1(privateKey, signedFields(form)))
    return { ...draft, body: form.toString() }
  },
})

/**
 * What Paddle Classic signs: every field but p_signature, sorted by name (PHP ksort), as a PHP-serialized
 * array of strings. Repeated names keep the last value, as PHP's $_POST does.
 */
export function signedFields(form: URLSearchParams): string {
  const fields = new Map<string, string>()
  for (const [name, value] of form) if (name !== 'p_signature') fields.set(name, value)
  const names = [...fields.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return phpSerialize(names.map((name) => [name, fields.get(name)!]))
}

/** PHP `serialize()` of an array of string values; keys that PHP would turn into integers are serialized as such. */
function phpSerialize(entries: [string, string][]): string {
  const string = (value: string) => `s:${Buffer.byteLength(value)}:"${value}";`
  const key = (name: string) => (/^(0|-?[1-9]\d{0,17})$/.test(name) ? `i:${name};` : string(name))
  return `a:${entries.length}:{${entries.map(([name, value]) => key(name) + string(value)).join('')}}`
}
