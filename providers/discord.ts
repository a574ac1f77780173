import { randomBytes } from 'node:crypto'
import nacl from 'tweetnacl'
import { z } from 'zod'
import { accept, checkTimestamp, defineProvider, ed25519SecretKey, hash, jsonDraft, parseIntStrict, pick, reject, reply, str, toDate, toleranceOption, withHeaders, type RawRequest, type Reply, type Verdict } from './kit.ts'

/**
 * Discord's libraries (discord-interactions) check no timestamp; Discord signs each request as it
 * sends it, so 5 minutes leaves room for clock skew while refusing old captured requests.
 */
const TOLERANCE_SECONDS = 5 * 60
const DISCORD_EPOCH_MS = 1420070400000n

/** Interaction types (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-interaction-type). */
const INTERACTION_TYPES: Record<number, string> = { 1: 'PING', 2: 'APPLICATION_COMMAND', 3: 'MESSAGE_COMPONENT', 4: 'APPLICATION_COMMAND_AUTOCOMPLETE', 5: 'MODAL_SUBMIT' }

/** Interaction callback types used to acknowledge (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-interaction-callback-type). */
const PONG = 1
const DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
const DEFERRED_UPDATE_MESSAGE = 6
const APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
const EPHEMERAL = 1 << 6

const noContent: Reply = { status: 204, headers: { 'content-type': 'application/json' }, body: '' }

const options = z.object({
  /** The application's public key (hex), from the developer portal's General Information page. */
  publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected the 64-hex-digit public key from the developer portal'),
  /** Accepted clock difference for X-Signature-Timestamp, in seconds (default: 300; 0 disables the check). */
  toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  /** Mark deferred interaction responses EPHEMERAL, so the processor's follow-up is seen only by the user (default: false). */
  ephemeral: z.boolean().default(false),
  /** Test-only: the Ed25519 private key (hex seed or 64-byte secret key) `sign` uses. */
  privateKey: z.string().optional(),
})

type Options = z.output<typeof options>

// https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers
export const discord = defineProvider({
  name: 'discord',
  title: 'Discord',
  docs: 'https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers',
  options,
  handshake: 'interaction PING answered with PONG; webhook-event PING answered with 204',

  verify: verifySignature,

  // Both PINGs must pass signature verification first: Discord also probes with invalid signatures.
  challenge(req, opts, now) {
    const body = req.json()
    const event = isWebhookEvent(body)
    if (!(event ? pick(body, 'type') === 0 : pick(body, 'type') === 1)) return undefined
    const verdict = verifySignature(req, opts, now)
    if (!verdict.ok) return verdict
    return event ? noContent : reply({ type: PONG })
  },

  /**
   * Webhook events are acknowledged with 204. An interaction must be answered within 3 s with a
   * callback, and inhook only stores it: commands and modal submits get a deferred message (the user
   * sees "thinking…"), components a deferred update, both completed by the processor through the
   * interaction token within 15 minutes; autocomplete cannot be deferred, so it gets no choices.
   */
  ack(req, { ephemeral }) {
    const body = req.json()
    if (isWebhookEvent(body)) return noContent
    const flags = ephemeral ? { data: { flags: EPHEMERAL } } : {}
    switch (pick(body, 'type')) {
      case 2:
      case 5:
        return reply({ type: DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, ...flags })
      case 3:
        return reply({ type: DEFERRED_UPDATE_MESSAGE })
      case 4:
        return reply({ type: APPLICATION_COMMAND_AUTOCOMPLETE_RESULT, data: { choices: [] } })
      default:
        return noContent
    }
  },

  describe(req) {
    const body = req.json()
    if (isWebhookEvent(body))
      // Webhook events carry no id; a retry resends the same payload, so its bytes identify it.
      return {
        deliveryId: hash('sha256', req.body).toString('hex'),
        type: str(pick(body, 'event.type')) ?? (pick(body, 'type') === 0 ? 'PING' : undefined),
        occurredAt: toDate(pick(body, 'event.timestamp')),
      }
    const id = str(pick(body, 'id'))
    const type = pick(body, 'type')
    return { deliveryId: id, type: typeof type === 'number' ? (INTERACTION_TYPES[type] ?? String(type)) : undefined, occurredAt: snowflakeTime(id) }
  },

  sample(type = 'APPLICATION_COMMAND') {
    const url = 'http://localhost:8787/webhooks/discord'
    const headers = { 'user-agent': 'Discord-Interactions/1.0 (+https://discord.com)' }
    const applicationId = '1234567890123456789'
    const interactionType = Object.entries(INTERACTION_TYPES).find(([, name]) => name === type)?.[0]
    if (interactionType === undefined)
      return jsonDraft(
        {
          version: 1,
          application_id: applicationId,
          type: 1,
          event: { type, timestamp: new Date().toISOString(), data: { integration_type: 0, scopes: ['applications.commands'], user: { id: '53908232506183680', username: 'mason' } } },
        },
        headers,
        url,
      )
    const user = { id: '53908232506183680', username: 'mason', global_name: 'Mason', discriminator: '0', avatar: null }
    return jsonDraft(
      {
        app_permissions: '442368',
        application_id: applicationId,
        channel_id: '987654321098765432',
        context: 0,
        data: Number(interactionType) === 2 ? { id: '771825006014889984', name: 'blep', type: 1, options: [{ name: 'animal', type: 3, value: 'animal_dog' }] } : { custom_id: 'click_one', component_type: 2 },
        entitlements: [],
        guild_id: '290926798626357999',
        guild_locale: 'en-US',
        id: newSnowflake(),
        locale: 'en-US',
        member: { user, roles: [], joined_at: '2017-03-13T19:19:14.040000+00:00', deaf: false, mute: false, permissions: '2147483647' },
        token: `aW50ZXJhY3Rpb246${randomBytes(48).toString('base64url')}`,
        type: Number(interactionType),
        version: 1,
      },
      headers,
      url,
    )
  },

  sign(draft, { privateKey }, now) {
    if (!privateKey) throw new Error('discord: sign needs the test-only `privateKey` option (Ed25519 seed or secret key, hex)')
    const timestamp = String(Math.floor(now.getTime() / 1000))
    const signature = nacl.sign.detached(Buffer.concat([Buffer.from(timestamp), Buffer.from(draft.body)]), ed25519SecretKey(Buffer.from(privateKey, 'hex')))
    return withHeaders(draft, { 'x-signature-ed25519': Buffer.from(signature).toString('hex'), 'x-signature-timestamp': timestamp })
  },
})

/** Ed25519 over X-Signature-Timestamp + raw body, then the timestamp window. */
function verifySignature(req: RawRequest, { publicKey, toleranceSeconds }: Options, now: Date): Verdict {
  const signature = req.headers.get('x-signature-ed25519')
  const timestamp = req.headers.get('x-signature-timestamp')
  if (!signature) return reject('missing-signature', 'expected X-Signature-Ed25519')
  if (!timestamp) return reject('missing-timestamp', 'expected X-Signature-Timestamp')
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) return reject('malformed-signature', 'X-Signature-Ed25519 should hold a hex Ed25519 signature (128 hex digits)')
  const seconds = parseIntStrict(timestamp)
  if (Number.isNaN(seconds)) return reject('malformed-timestamp', 'X-Signature-Timestamp should be seconds since the epoch')
  const message = Buffer.concat([Buffer.from(timestamp), req.body])
  if (!nacl.sign.detached.verify(message, Buffer.from(signature, 'hex'), Buffer.from(publicKey, 'hex')))
    return reject('mismatch', 'the signature does not verify under the configured publicKey; is it the Public Key of this application in the developer portal, and is the raw body signed?')
  return checkTimestamp(seconds, now, toleranceSeconds) ?? accept
}

/** Webhook events (type 0 PING, type 1 with an `event`), as opposed to interactions, whose PING is type 1. */
function isWebhookEvent(body: unknown): boolean {
  return pick(body, 'type') === 0 || (typeof pick(body, 'event') === 'object' && pick(body, 'event') !== null)
}

/** The creation time encoded in a Discord snowflake id. */
function snowflakeTime(id: string | undefined): Date | undefined {
  if (!id || !/^\d{1,20}$/.test(id)) return undefined
  return toDate(Number((BigInt(id) >> 22n) + DISCORD_EPOCH_MS))
}

const newSnowflake = () => String(((BigInt(Date.now()) - DISCORD_EPOCH_MS) << 22n) | BigInt(randomBytes(2).readUInt16BE() & 0x3fffff))
