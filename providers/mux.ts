import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import {
  defineProvider,
  describeJson,
  jsonDraft,
  RAW_BODY_HINT,
  secretsOption,
  signTimestampedHeader,
  toleranceOption,
  verifyTimestampedHeader,
  withHeaders,
  type TimestampedHeaderScheme,
} from './kit.ts'

// https://www.mux.com/docs/core/verify-webhook-signatures
const DOCS = 'https://www.mux.com/docs/core/verify-webhook-signatures'

/** @mux/mux-node rejects timestamps older than 300 s (Webhooks.verifySignature). */
const TOLERANCE_SECONDS = 5 * 60

// Mux-Signature: t=<seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${body}`)>; only the v1 scheme exists.
const SCHEME: TimestampedHeaderScheme = {
  header: 'mux-signature',
  hints: {
    'missing-signature': 'expected Mux-Signature',
    'missing-timestamp': 'Mux-Signature should hold t=<seconds>',
    'malformed-timestamp': 'Mux-Signature t= should be seconds since the epoch',
    'malformed-signature': 'Mux-Signature should hold v1=<64 hex digits>',
    mismatch: RAW_BODY_HINT,
  },
}

export const mux = defineProvider({
  name: 'mux',
  title: 'Mux',
  docs: DOCS,
  options: z.object({
    secrets: secretsOption,
    /** Accepted distance between the header's `t=` and now, in seconds (default: 300). */
    toleranceSeconds: toleranceOption(TOLERANCE_SECONDS),
  }),

  verify: (req, { secrets, toleranceSeconds }, now) => verifyTimestampedHeader(req, secrets, SCHEME, now, toleranceSeconds),

  // `id` is the event id, the same on every retry (retries append to `attempts`, so the bodies differ).
  describe: describeJson({ id: 'id', type: 'type', time: 'created_at' }),

  sample(type = 'video.asset.ready') {
    const assetId = 'Fe4ViS5m01nS3kUOpY1pNJd5HSBEvN2OH'
    const createdAt = new Date()
    return jsonDraft(
      {
        type,
        request_id: null,
        object: { type: 'asset', id: assetId },
        id: randomUUID(),
        environment: { name: 'Production', id: 'j0863n' },
        data: {
          tracks: [
            { type: 'video', max_width: 1920, max_height: 1080, max_frame_rate: 29.97, id: 'xGMn9Nm9WX2cFbX6B02fO8NGbhRdv8Ek', duration: 23.8 },
            { type: 'audio', max_channels: 2, id: 'Uq7B4DV8G00eWxqkkVcVEW02oEa01PAH9Nw', duration: 23.8 },
          ],
          status: 'ready',
          playback_ids: [{ policy: 'public', id: 'Wv3Ay7bD1JwkEkw7iQn9WpdClAlnRXd02' }],
          mp4_support: 'none',
          max_stored_resolution: 'HD',
          master_access: 'none',
          id: assetId,
          duration: 23.8,
          created_at: Math.floor(createdAt.getTime() / 1000),
          aspect_ratio: '16:9',
        },
        created_at: createdAt.toISOString().replace('Z', '000Z'),
        attempts: [],
        accessor_source: null,
        accessor: null,
      },
      {},
      'http://localhost:8787/webhooks/mux',
    )
  },

  sign: (draft, { secrets }, now) =>
    withHeaders(draft, { [SCHEME.header]: signTimestampedHeader(SCHEME, secrets[0]!, String(Math.floor(now.getTime() / 1000)), draft.body) }),
})
