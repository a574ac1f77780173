// What each rejection reason usually means, for the console's rejection log.
import type { RejectReason } from '../../../providers/kit.ts'

type IngestReason = 'too-large' | 'rate-limited' | 'ip-not-allowed' | 'verify-error'

export const REASON_ADVICE: Record<RejectReason | IngestReason, string> = {
  'missing-signature': 'The signature header is absent: is the sender really this provider, and is signing enabled in its webhook settings?',
  'malformed-signature': "A signature is present but not in the provider's format: is the source configured with the right provider?",
  'missing-timestamp': 'The timestamp the provider signs is absent: check the provider and any proxy that strips headers.',
  'malformed-timestamp': "The timestamp is not in the provider's format.",
  stale: "The signed timestamp is outside the tolerance window: check this server's clock, or a delivery replayed long after it was sent.",
  mismatch: 'No configured secret produces this signature: check the secret (rotation?), the signed URL, and that nothing in between re-encodes the body.',
  'missing-token': 'No token or credentials were presented.',
  'bad-token': 'The token or credentials presented are not the configured ones.',
  'unknown-key': 'The key id in the request names no configured secret.',
  'bad-request': 'The request lacks what the provider signs (a field, a parameter).',
  'too-large': 'The body is larger than bodyLimit: raise it for this source if the provider sends large payloads.',
  'rate-limited': "The source's rate limit was reached: the provider will retry; raise rateLimit if this is normal traffic.",
  'ip-not-allowed': "The client address is not in the source's allowIps (behind a proxy? see server.trustProxy).",
  'verify-error': 'The provider module threw while verifying: see the log.',
}

export const reasonAdvice = (reason: string): string | undefined => (REASON_ADVICE as Record<string, string>)[reason]
