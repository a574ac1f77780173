import { z } from 'zod'
import { defineProvider, describeBatch, jsonDraft, pick, reject, safeEqual, secretsOption, signHmac, verifyHmacHeader, withHeaders, RAW_BODY_HINT, type HmacScheme } from './kit.ts'

// https://pusher.com/docs/channels/server_api/webhooks/#authentication
const DOCS = 'https://pusher.com/docs/channels/server_api/webhooks/#authentication'

const SCHEME: HmacScheme = { header: 'x-pusher-signature', algorithm: 'sha256', encoding: 'hex' }

export const pusher = defineProvider({
  name: 'pusher',
  title: 'Pusher Channels',
  docs: DOCS,
  // X-Pusher-Key names the app key whose secret signed the body: `key` + `secrets` is the app's key pair
  // (secret: 'x' works as in every provider); `extraKeys` are further pairs, as the SDK's isValid(extraTokens).
  options: z.object({
    /** The app key (App Keys → key) X-Pusher-Key must name for `secrets` to be tried (default: any key; the signature still has to match a secret). */
    key: z.string().min(1).optional(),
    /** The secret of that key. */
    secrets: secretsOption,
    /** Further key/secret pairs of the app, each tried only when X-Pusher-Key names its key, e.g. while moving to a new pair (default: none). */
    extraKeys: z.array(z.object({ key: z.string().min(1), secret: z.string().min(1) })).default([]),
  }),

  verify(req, { key, secrets, extraKeys }) {
    const presentedKey = req.headers.get('x-pusher-key')
    if (!presentedKey) return reject('missing-signature', 'expected X-Pusher-Key and X-Pusher-Signature')
    // Key ids are public; compared in constant time anyway.
    const candidates = [...(key === undefined || safeEqual(presentedKey, key) ? secrets : []), ...extraKeys.filter((pair) => safeEqual(presentedKey, pair.key)).map((pair) => pair.secret)]
    if (candidates.length === 0) return reject('unknown-key', 'X-Pusher-Key names none of the configured keys (key, extraKeys)')
    // Pusher's SDK refuses a body that is not JSON before looking at the signature.
    if (req.json() === undefined) return reject('bad-request', 'the body is not JSON')
    return verifyHmacHeader(req, candidates, SCHEME, [req.body], `${RAW_BODY_HINT} (the secret of the key named by X-Pusher-Key)`)
  },

  // Pusher sends no delivery id: the body hash stands in (it includes time_ms, so distinct deliveries differ).
  describe: (req) => {
    const body = req.json()
    const events = pick(body, 'events')
    const timeMs = pick(body, 'time_ms')
    return { ...describeBatch(req, Array.isArray(events) ? events : undefined, { type: ['name'], time: 'time_ms' }), occurredAt: typeof timeMs === 'number' ? new Date(timeMs) : undefined }
  },

  sample(type = 'channel_occupied') {
    const event =
      type === 'member_added' || type === 'member_removed'
        ? { name: type, channel: 'presence-room', user_id: 'user-42' }
        : type === 'client_event'
          ? { name: type, channel: 'private-room', event: 'client-typing', data: '{"typing":true}', socket_id: '123.456', user_id: 'user-42' }
          : { name: type, channel: 'presence-room' }
    return jsonDraft({ time_ms: Date.now(), events: [event] }, { 'x-pusher-key': 'your-app-key' }, 'http://localhost:8787/webhooks/pusher')
  },

  sign: (draft, { key, secrets }) => withHeaders(draft, { 'x-pusher-key': key ?? draft.headers['x-pusher-key'] ?? 'app-key', 'x-pusher-signature': signHmac(SCHEME, secrets[0]!, draft.body) }),
})
