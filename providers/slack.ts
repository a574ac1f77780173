import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import {
  defineProvider,
  formDraft,
  jsonDraft,
  parseJson,
  pick,
  reject,
  reply,
  secretsOption,
  signTimestampedHmac,
  str,
  toDate,
  toleranceOption,
  verifyTimestampedHmac,
  withHeaders,
  type RawRequest,
  type TimestampedHmacScheme,
  type Verdict,
} from './kit.ts'

/** "If the timestamp is more than five minutes from local time, it could be a replay attack." */
const TOLERANCE_SECONDS = 5 * 60

/** `v0=` HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`, within the tolerance. */
const SCHEME: TimestampedHmacScheme = {
  header: 'x-slack-signature',
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'v0=',
  timestampHeader: 'x-slack-request-timestamp',
  signedPayload: (_timestamp, seconds, body) => [`v0:${seconds}:`, body],
  hints: {
    'missing-signature': 'expected X-Slack-Signature',
    'missing-timestamp': 'expected X-Slack-Request-Timestamp',
    'malformed-timestamp': 'X-Slack-Request-Timestamp should be an integer number of seconds',
    mismatch: 'is the sender signing the exact raw body, and is the secret the app\'s Signing Secret (Basic Information), not the verification token or client secret?',
  },
}

interface SlackOptions {
  secrets: string[]
  toleranceSeconds: number
}

// https://docs.slack.dev/authentication/verifying-requests-from-slack
export const slack = defineProvider({
  name: 'slack',
  title: 'Slack',
  docs: 'https://docs.slack.dev/authentication/verifying-requests-from-slack',
  options: z.object({
    secrets: secretsOption,
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),
  handshake: 'Events API url_verification challenge (signed); slash-command ssl_check',

  verify: (req, opts, now) => verifySlack(req, opts, now),

  challenge(req, opts, now) {
    // https://docs.slack.dev/interactivity/implementing-slash-commands — unsigned, answered with an empty 200 and
    // never stored (Bolt's HTTPReceiver does the same).
    if (isForm(req) && req.form().get('ssl_check') === '1') return reply('')
    const body = req.json()
    if (pick(body, 'type') !== 'url_verification') return undefined
    // https://docs.slack.dev/reference/events/url_verification — verify, then answer the challenge in plain text.
    const verdict = verifySlack(req, opts, now)
    if (!verdict.ok) return verdict
    const challenge = str(pick(body, 'challenge'))
    return challenge === undefined ? reject('bad-request', 'url_verification without a challenge') : reply(challenge)
  },

  describe(req) {
    const body = req.json()
    if (body !== undefined) {
      // Events API: event_id is kept across retries (X-Slack-Retry-Num), so retries dedupe.
      return {
        deliveryId: str(pick(body, 'event_id')),
        type: str(pick(body, 'event.type')) ?? str(pick(body, 'type')),
        occurredAt: toDate(pick(body, 'event_time')),
      }
    }
    const form = req.form()
    const payload = form.get('payload')
    if (payload !== null) {
      // Interactivity (block_actions, view_submission, shortcuts…): form-encoded JSON; trigger_id is unique per interaction.
      const interaction = parseJson(payload)
      return {
        deliveryId: str(pick(interaction, 'trigger_id')),
        type: str(pick(interaction, 'type')),
        occurredAt: toDate(pick(interaction, 'action_ts')) ?? toDate(pick(interaction, 'actions.0.action_ts')),
      }
    }
    // Slash commands: the command (e.g. '/deploy') is the type; trigger_id is unique per invocation.
    return { deliveryId: form.get('trigger_id') ?? undefined, type: form.get('command') ?? undefined }
  },

  // Modelled on https://docs.slack.dev/apis/events-api (event_callback) and the url_verification / slash-command docs.
  sample: (type = 'app_mention') => {
    const url = 'http://localhost:8787/webhooks/slack'
    const headers = { 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)' }
    if (type === 'url_verification')
      return jsonDraft({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: randomBytes(24).toString('base64url'), type: 'url_verification' }, headers, url)
    if (type === 'slash_command') return formDraft(slashCommand(), headers, url)
    const now = Math.floor(Date.now() / 1000)
    return jsonDraft(
      {
        token: 'XXYYZZ',
        team_id: 'T123ABC456',
        api_app_id: 'A123ABC456',
        event: { type, user: 'U123ABC456', text: '<@U0LAN0Z89> is it everything a river should be?', ts: `${now}.000200`, channel: 'C123ABC456', event_ts: `${now}.000200` },
        type: 'event_callback',
        authorizations: [{ enterprise_id: null, team_id: 'T123ABC456', user_id: 'U123ABC456', is_bot: true, is_enterprise_install: false }],
        event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
        event_time: now,
        event_context: `4-${randomBytes(16).toString('base64url')}`,
      },
      headers,
      url,
    )
  },

  sign: (draft, { secrets }, now) => withHeaders(draft, signTimestampedHmac(SCHEME, secrets[0]!, String(Math.floor(now.getTime() / 1000)), draft.body)),
})

const verifySlack = (req: RawRequest, { secrets, toleranceSeconds }: SlackOptions, now: Date): Verdict => verifyTimestampedHmac(req, secrets, SCHEME, now, toleranceSeconds)

const isForm = (req: RawRequest) => (req.headers.get('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')

// https://docs.slack.dev/interactivity/implementing-slash-commands
const slashCommand = () => ({
  token: 'gIkuvaNzQIHg97ATvDxqgjtO',
  team_id: 'T0001',
  team_domain: 'example',
  enterprise_id: 'E0001',
  enterprise_name: 'Globular%20Construct%20Inc',
  channel_id: 'C2147483705',
  channel_name: 'test',
  user_id: 'U2147483697',
  command: '/weather',
  text: '94070',
  response_url: 'https://hooks.slack.com/commands/1234/5678',
  trigger_id: `${Date.now()}.${randomBytes(6).toString('hex')}`,
  api_app_id: 'A123456',
})
