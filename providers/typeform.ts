import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, describeJson, jsonDraft, secretsOption, signHmac, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://www.typeform.com/developers/webhooks/secure-your-webhooks/
const DOCS = 'https://www.typeform.com/developers/webhooks/secure-your-webhooks/'

const SCHEME: HmacScheme = { header: 'typeform-signature', algorithm: 'sha256', encoding: 'base64', prefix: 'sha256=' }

export const typeform = defineProvider({
  name: 'typeform',
  title: 'Typeform',
  docs: DOCS,
  options: z.object({ secrets: secretsOption }),

  verify: (req, { secrets }) => verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is the secret the one set on this webhook, and is the raw body signed unchanged?'),

  describe: describeJson({ id: 'event_id', type: 'event_type', time: 'form_response.submitted_at' }),

  sample: (type = 'form_response') =>
    jsonDraft(
      {
        event_id: '01' + randomBytes(12).toString('hex').toUpperCase(),
        event_type: type,
        form_response: {
          form_id: 'lT4Z3j',
          token: 'a3a12ec67a1365927098a606107fac15',
          submitted_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          landed_at: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
          hidden: { user_id: 'abc123456' },
          definition: {
            id: 'lT4Z3j',
            title: 'Webhooks example',
            fields: [{ id: 'DlXFaesGBpoF', title: 'Thanks, {{answer_60906475}}! What is your favorite color?', type: 'multiple_choice', ref: 'readable_ref_multiple_choice' }],
          },
          answers: [{ type: 'choice', choice: { label: 'Blue' }, field: { id: 'DlXFaesGBpoF', type: 'multiple_choice', ref: 'readable_ref_multiple_choice' } }],
        },
      },
      { 'user-agent': 'Typeform Webhooks' },
      'http://localhost:8787/webhooks/typeform',
    ),

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})
