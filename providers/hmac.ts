import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, parseJson, pick, secretsOption, signHmac, verifyHmacHeader, withHeaders, type Description, type RawRequest } from './kit.ts'

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9a-z-]+$/, 'expected a lowercase HTTP header name')

const options = z.object({
  secrets: secretsOption,
  /** The header carrying the signature, lowercase (e.g. 'x-signature'). Required. */
  header: headerName,
  /** HMAC hash (default: 'sha256'). */
  algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
  /** Digest encoding in the header (default: 'hex'; hex is compared case-insensitively). */
  encoding: z.enum(['hex', 'base64']).default('hex'),
  /** Text before the digest, e.g. 'sha256=' (default: none). */
  prefix: z.string().optional(),
  /** Header holding the sender's delivery id, used for dedupe (default: none). */
  idHeader: headerName.optional(),
  /** Header holding the event type (default: none). */
  typeHeader: headerName.optional(),
})

type HmacOptions = z.output<typeof options>

// https://www.rfc-editor.org/rfc/rfc2104 — for senders that sign the raw body with a shared secret in one header.
export const hmac = defineProvider({
  name: 'hmac',
  title: 'Generic HMAC',
  docs: 'https://www.rfc-editor.org/rfc/rfc2104',
  options,

  verify: (req, { secrets, header, algorithm, encoding, prefix }) => verifyHmacHeader(req, secrets, { header, algorithm, encoding, prefix }),

  // The id and type headers are configuration: they are only known when the gateway passes the options along.
  describe: (req: RawRequest, opts?: Pick<HmacOptions, 'idHeader' | 'typeHeader'>) => describeHmac(req, opts),

  sample: (type = 'order.created') =>
    jsonDraft(
      { id: randomUUID(), type, created_at: new Date().toISOString(), data: { order_id: 1234, total: '19.99', currency: 'EUR' } },
      { 'x-webhook-id': randomUUID(), 'x-webhook-event': type },
      'http://localhost:8787/webhooks/hmac',
    ),

  sign(draft, { secrets, header, algorithm, encoding, prefix, idHeader, typeHeader }) {
    const type = pick(parseJson(draft.body), 'type')
    const extra: Record<string, string> = {}
    // Carry the sample's id/type into the configured headers so a signed sample describes itself.
    if (idHeader && !draft.headers[idHeader]) extra[idHeader] = draft.headers['x-webhook-id'] ?? randomUUID()
    if (typeHeader && !draft.headers[typeHeader] && typeof type === 'string') extra[typeHeader] = type
    return withHeaders(draft, { ...extra, [header]: signHmac({ header, algorithm, encoding, prefix }, secrets[0]!, draft.body) })
  },
})

/** The delivery id and type from the configured `idHeader` / `typeHeader`; nothing without options. */
export function describeHmac(req: RawRequest, opts?: Pick<HmacOptions, 'idHeader' | 'typeHeader'>): Description {
  return {
    deliveryId: (opts?.idHeader && req.headers.get(opts.idHeader)) || undefined,
    type: (opts?.typeHeader && req.headers.get(opts.typeHeader)) || undefined,
  }
}
