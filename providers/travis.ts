import { randomInt } from 'node:crypto'
import { z } from 'zod'
import { accept, decodeRsaSignature, defineProvider, formDraft, parseJson, pemPublicKeyOption, pick, reject, signRsaSha1, str, toDate, verifyRsaSha1, withHeaders, type RawRequest } from './kit.ts'

const DOCS = 'https://docs.travis-ci.com/user/notifications/#verifying-webhook-requests'

const publicKeyPem = pemPublicKeyOption('expected a PEM public key: config.notifications.webhook.public_key from https://api.travis-ci.com/config')

// https://docs.travis-ci.com/user/notifications/#verifying-webhook-requests
export const travis = defineProvider({
  name: 'travis',
  title: 'Travis CI',
  docs: DOCS,
  options: z.object({
    /**
     * Travis CI's webhook public key (PEM), or several during a rotation. Paste
     * `config.notifications.webhook.public_key` from the API that runs your builds:
     * https://api.travis-ci.com/config (travis-ci.org and Travis CI Enterprise publish their own at /config).
     */
    publicKey: z.union([publicKeyPem, z.array(publicKeyPem).min(1)]).transform((key) => (Array.isArray(key) ? key : [key])),
    /** Test-only: the RSA private key (PEM) `sign` uses. Travis signs with its own; verifying never needs it. */
    privateKey: z.string().optional(),
  }),

  verify(req, { publicKey }) {
    const header = req.headers.get('signature')
    if (!header) return reject('missing-signature', 'expected a Signature header')
    const signature = decodeRsaSignature(header)
    if (!signature) return reject('malformed-signature', 'Signature should hold a base64 RSA signature')
    const payload = req.form().get('payload')
    if (payload === null) return reject('bad-request', 'expected a form-encoded body with a payload field (Travis signs that field)')
    // Public-key signatures: nothing secret to time, so the first matching key may end the search.
    const ok = publicKey.some((key) => verifyRsaSha1(key, payload, signature))
    return ok
      ? accept
      : reject(
          'mismatch',
          `no configured Travis public key (tried ${publicKey.length}) verifies the payload field; travis-ci.com, travis-ci.org and Enterprise use different keys — copy it from /config of the API that sends your builds`,
        )
  },

  describe(req) {
    const build = buildOf(req)
    const occurredAt = toDate(pick(build, 'finished_at')) ?? toDate(pick(build, 'started_at'))
    const id = str(pick(build, 'id'))
    // Travis sends no delivery id, and one build notifies several times (started, then passed/failed;
    // again when restarted), so the build id alone would drop later notifications as duplicates.
    const deliveryId = id && [id, str(pick(build, 'state')) ?? '', occurredAt?.toISOString() ?? ''].join(':')
    return { deliveryId, type: str(pick(build, 'type')), occurredAt }
  },

  sample(type = 'push') {
    const payload = {
      id: randomInt(1, 2 ** 31),
      number: '42',
      type,
      state: 'passed',
      status: 0,
      result: 0,
      status_message: 'Passed',
      result_message: 'Passed',
      started_at: '2024-05-14T09:12:03Z',
      finished_at: '2024-05-14T09:14:41Z',
      duration: 158,
      build_url: 'https://app.travis-ci.com/github/svenfuchs/minimal/builds/42',
      commit: '62aae5f70ceee39123ef',
      branch: 'master',
      message: 'the commit message',
      compare_url: 'https://github.com/svenfuchs/minimal/compare/master...develop',
      committed_at: '2024-05-14T09:11:54Z',
      author_name: 'Sven Fuchs',
      author_email: 'svenfuchs@artweb-design.de',
      committer_name: 'Sven Fuchs',
      committer_email: 'svenfuchs@artweb-design.de',
      pull_request: type === 'pull_request',
      pull_request_number: null,
      pull_request_title: null,
      tag: null,
      repository: { id: 1, name: 'minimal', owner_name: 'svenfuchs', url: 'https://github.com/svenfuchs/minimal' },
    }
    return formDraft({ payload: JSON.stringify(payload) }, { 'travis-repo-slug': 'svenfuchs/minimal' }, 'http://localhost:8787/webhooks/travis')
  },

  sign(draft, { privateKey }) {
    if (!privateKey) throw new Error('travis: sign needs the test-only `privateKey` option (an RSA private key, PEM)')
    const payload = new URLSearchParams(draft.body).get('payload')
    if (payload === null) throw new Error('travis: the draft body has no payload form field to sign')
    return withHeaders(draft, { signature: signRsaSha1(privateKey, payload) })
  },
})

const buildOf = (req: RawRequest): unknown => parseJson(req.form().get('payload'))
