// Option bags that let a provider sign its own sample so that its verify accepts it, one fresh bag
// (fresh secrets, fresh key pairs) per call: two sources of one provider never share a secret.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { draftToRawRequest, type Provider, type RequestDraft } from '../../providers/index.ts'

export type Recipe = () => Record<string, unknown>

const token = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`

/** Secrets, tokens and credentials every symmetric scheme understands, all unique to this bag. */
function secretBag(): Record<string, unknown> {
  const secret = randomBytes(24).toString('base64')
  return {
    secrets: [`whsec_${secret}`],
    username: token('user-'),
    password: token('pass-'),
    verifyToken: token('verify-'),
    token: token('token-'),
    header: 'x-webhook-token',
  }
}

const plainSecretBag = (): Record<string, unknown> => ({ ...secretBag(), secrets: [token('secret-')] })

function ed25519(): { publicRaw: Buffer; seed: Buffer; publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  return {
    publicRaw: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32),
    seed: privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  }
}

function keyed(type: 'ec' | 'rsa') {
  const { publicKey, privateKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicDer64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  }
}

/** Candidates, cheapest first. Each returns a fresh bag. */
const RECIPES: [string, Recipe][] = [
  ['secret', plainSecretBag],
  ['whsec', secretBag],
  ['ed25519-hex', () => { const k = ed25519(); return { ...plainSecretBag(), publicKey: k.publicRaw.toString('hex'), privateKey: k.seed.toString('hex') } }],
  ['ed25519-base64', () => { const k = ed25519(); return { ...plainSecretBag(), publicKey: k.publicRaw.toString('base64'), privateKey: k.seed.toString('base64') } }],
  ['ed25519-whpk', () => { const k = ed25519(); return { publicKey: `whpk_${k.publicRaw.toString('base64')}`, privateKey: `whsk_${k.seed.toString('base64')}` } }],
  ['ed25519-pem', () => { const k = ed25519(); return { ...plainSecretBag(), publicKey: k.publicPem, privateKey: k.privatePem } }],
  ['ec-pem', () => { const k = keyed('ec'); return { ...plainSecretBag(), publicKey: k.publicPem, privateKey: k.privatePem } }],
  ['ec-der64', () => { const k = keyed('ec'); return { ...plainSecretBag(), publicKey: k.publicDer64, privateKey: k.privatePem } }],
  ['rsa-pem', () => { const k = keyed('rsa'); return { ...plainSecretBag(), publicKey: k.publicPem, privateKey: k.privatePem } }],
  ['public-key-id', () => ({ ...plainSecretBag(), publicKey: token('pk-') })],
]

export interface SigningRecipe {
  name: string
  /** A fresh option bag, narrowed to what the provider's schema accepts (fresh secrets and keys each call). */
  bag: Recipe
}

/** The bag itself, or the bag cut to the keys of a plain object schema (strict schemas refuse extras); undefined when neither parses. */
function fit(provider: Provider, bag: Record<string, unknown>): Record<string, unknown> | undefined {
  const shape = (provider.options as { shape?: Record<string, unknown> }).shape
  const candidates = shape ? [bag, Object.fromEntries(Object.entries(bag).filter(([k]) => k in shape))] : [bag]
  return candidates.find((candidate) => provider.options.safeParse(candidate).success)
}

/** The sample delivery, addressed to `url` (keeping the sample's own query, which some schemes sign). */
export function sampleFor(provider: Provider, url: string): RequestDraft {
  const sample = provider.sample!()
  return { ...sample, url: url + new URL(sample.url).search }
}

/** Signs the provider's sample for `url` with `options` (parsed), as of `now`. */
export async function signSample(provider: Provider, options: unknown, url: string, now: Date): Promise<RequestDraft> {
  return provider.sign!(sampleFor(provider, url), options, now)
}

/**
 * Finds the first recipe whose bag parses, signs the sample, and verifies: the provider then signs
 * deliveries a source configured with such a bag accepts. Undefined when none does.
 */
export async function findSigningRecipe(provider: Provider, now: Date): Promise<SigningRecipe | undefined> {
  if (!provider.sample || !provider.sign) return undefined
  for (const [name, make] of RECIPES) {
    const raw = fit(provider, make())
    if (!raw) continue
    try {
      const options = provider.options.parse(raw)
      const draft = await signSample(provider, options, 'https://hooks.example.com/webhooks/x', now)
      const verdict = await provider.verify(draftToRawRequest(draft), options, now)
      if (verdict.ok) return { name, bag: () => fit(provider, make())! }
    } catch {
      // this recipe does not fit the provider; try the next
    }
  }
  return undefined
}

const verifies = async (provider: Provider, options: unknown, draft: RequestDraft, now: Date) => {
  try {
    return (await provider.verify(draftToRawRequest(draft), options, now)).ok
  } catch {
    return false
  }
}

/** Headers the signature lives in: added or changed by sign(), and each one needed (dropping it fails verify). */
export async function signatureHeaders(provider: Provider, options: unknown, url: string, now: Date): Promise<string[]> {
  const sample = sampleFor(provider, url)
  const signed = await signSample(provider, options, url, now)
  const lower = (h: Record<string, string>) => new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]))
  const before = lower(sample.headers)
  const after = lower(signed.headers)
  const essential: string[] = []
  for (const [name, value] of after) {
    if (before.get(name) === value) continue
    const headers = Object.fromEntries([...after].filter(([k]) => k !== name))
    if (!(await verifies(provider, options, { ...signed, headers }, now))) essential.push(name)
  }
  return essential
}

/** True when a delivery signed two days ago no longer verifies: the scheme carries a timestamp it checks. */
export async function checksTimestamp(provider: Provider, options: unknown, url: string, now: Date): Promise<boolean> {
  const old = await signSample(provider, options, url, new Date(now.getTime() - 2 * 86_400_000))
  return !(await verifies(provider, options, old, now))
}
