// A valid option bag for any built-in provider, built generically (no per-provider table).
import { generateKeyPairSync } from 'node:crypto'
import type { Provider } from '../../providers/index.ts'

/** Options every provider understands where they mean the same thing (ARCHITECTURE.md, "Provider modules"). */
export const STANDARD_OPTIONS = { secrets: ['s3cret'], username: 'u', password: 'p', verifyToken: 't', header: 'x-token' }

/** Extra options for providers that need more than the standard bag (kept small on purpose). */
const EXTRA_OPTIONS: Record<string, Record<string, unknown>> = {}

/** Public keys in the encodings providers use, PEM first; generated on first use (RSA is the slow one). */
const keyCandidates: (() => string)[] = (() => {
  const memo = <T,>(f: () => T) => {
    let value: T | undefined
    return () => (value ??= f())
  }
  const ec = memo(() => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)
  const ed = memo(() => generateKeyPairSync('ed25519').publicKey)
  const rsa = memo(() => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)
  const edRaw = () => ed().export({ format: 'der', type: 'spki' }).subarray(-32)
  return [
    () => ec().export({ format: 'pem', type: 'spki' }).toString(),
    () => rsa().export({ format: 'pem', type: 'spki' }).toString(),
    () => ed().export({ format: 'pem', type: 'spki' }).toString(),
    () => edRaw().toString('hex'),
    () => edRaw().toString('base64'),
    () => ec().export({ format: 'der', type: 'spki' }).toString('base64'),
    () => rsa().export({ format: 'pem', type: 'pkcs1' }).toString(),
  ]
})()

export type Parsed = { ok: true; options: unknown } | { ok: false; error: string }

/** The first option bag the provider's schema accepts: the standard bag with each key candidate, whole or cut to the schema's keys. */
export function dummyOptions(provider: Provider): Parsed {
  const shape = (provider.options as { shape?: Record<string, unknown> }).shape
  let firstError: string | undefined
  for (const publicKey of keyCandidates) {
    const bag: Record<string, unknown> = { ...STANDARD_OPTIONS, publicKey: publicKey(), ...EXTRA_OPTIONS[provider.name] }
    const bags = shape ? [bag, Object.fromEntries(Object.entries(bag).filter(([k]) => k in shape))] : [bag]
    for (const candidate of bags) {
      const result = provider.options.safeParse(candidate)
      if (result.success) return { ok: true, options: result.data }
      firstError ??= result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    }
  }
  return { ok: false, error: firstError ?? 'no option bag parsed' }
}

