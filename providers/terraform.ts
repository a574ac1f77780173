import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { defineProvider, jsonDraft, pick, secretsOption, signHmac, str, toDate, verifyHmacHeader, withHeaders, type HmacScheme } from './kit.ts'

// https://developer.hashicorp.com/terraform/cloud-docs/api-docs/notification-configurations#notification-authenticity
const DOCS = 'https://developer.hashicorp.com/terraform/cloud-docs/api-docs/notification-configurations#notification-authenticity'

const SCHEME: HmacScheme = { header: 'x-tfe-notification-signature', algorithm: 'sha512', encoding: 'hex' }

export const terraform = defineProvider({
  name: 'terraform',
  title: 'Terraform Cloud / HCP Terraform',
  docs: DOCS,
  /** `secrets`: the notification configuration's token(s); Terraform only signs "generic" notifications that have one. */
  options: z.object({ secrets: secretsOption }),

  verify: (req, { secrets }) =>
    verifyHmacHeader(req, secrets, SCHEME, [req.body], 'is each secret the token of this notification configuration (destination type "Webhook"/generic), and is the raw body signed unchanged?'),

  // Notifications carry no id. The run (or, for the verification request that has no run, the
  // notification configuration), the trigger and the run's update time identify one, and stay the same
  // when Terraform retries it.
  describe(req) {
    const body = req.json()
    const trigger = str(pick(body, 'notifications.0.trigger'))
    const subject = str(pick(body, 'run_id')) ?? str(pick(body, 'notification_configuration_id'))
    const updated = str(pick(body, 'notifications.0.run_updated_at'))
    return {
      deliveryId: trigger && subject ? [subject, trigger, updated].filter((p) => p !== undefined).join(':') : undefined,
      type: trigger,
      occurredAt: toDate(pick(body, 'notifications.0.run_updated_at')) ?? toDate(pick(body, 'run_created_at')),
    }
  },

  // Modelled on the sample notification payload of the notification configurations API docs.
  sample(type = 'run:completed') {
    const runId = `run-${terraformId()}`
    const updatedAt = new Date()
    const createdAt = new Date(updatedAt.getTime() - 184_000)
    return jsonDraft(
      {
        payload_version: 1,
        notification_configuration_id: `nc-${terraformId()}`,
        run_url: `https://app.terraform.io/app/acme-org/my-workspace/runs/${runId}`,
        run_id: runId,
        run_message: 'Add five new queue workers',
        run_created_at: createdAt.toISOString(),
        run_created_by: 'sample-user',
        workspace_id: `ws-${terraformId()}`,
        workspace_name: 'my-workspace',
        organization_name: 'acme-org',
        notifications: [
          {
            message: type === 'run:errored' ? 'Run Errored' : 'Run Applied',
            trigger: type,
            run_status: type === 'run:errored' ? 'errored' : 'applied',
            run_updated_at: updatedAt.toISOString(),
            run_updated_by: 'sample-user',
          },
        ],
      },
      {},
      'http://localhost:8787/webhooks/terraform',
    )
  },

  sign: (draft, { secrets }) => withHeaders(draft, { [SCHEME.header]: signHmac(SCHEME, secrets[0]!, draft.body) }),
})

/** A 16-character id like Terraform's `run-…`, `ws-…`, `nc-…`. */
function terraformId(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789'
  return Array.from(randomBytes(16), (b) => alphabet[b % alphabet.length]).join('')
}
