// Configuration: defineConfig() and env() for inhook.config.ts, loading .ts/.js/.json files, one zod
// schema, secrets from the environment. Loaded once at the composition root and passed down.
import bytes from 'bytes'
import type { Plugin } from 'esbuild'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, extname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { z } from 'zod'
import { findProvider, type Provider } from '../providers/index.ts'
import { pick, type RawRequest } from '../providers/kit.ts'
import { parseCidrs, type Cidr } from './ingest/allowlist.ts'
import type { WebhookEvent } from './store/store.ts'

/** A secret read from the environment when the config is loaded (never stored in the file). */
export interface EnvRef {
  env: string
  default?: string
}

/** `env('GITHUB_WEBHOOK_SECRET')`: the value of that environment variable, or `fallback` when unset. */
export const env = (name: string, fallback?: string): EnvRef & string => ({ env: name, default: fallback }) as EnvRef & string

/** The event a handler receives: the stored event plus lazy body helpers (each computed once). */
export interface HandlerEvent extends WebhookEvent {
  /** The body decoded as UTF-8. */
  text(): string
  /** The body parsed as JSON. Throws a PermanentError when it is not JSON: retrying cannot help. */
  json<T = unknown>(): T
  /** The body parsed as `application/x-www-form-urlencoded`. */
  form(): URLSearchParams
}

/** What a handler receives besides the event. */
export interface HandlerContext {
  /** 1 on the first attempt (a replay starts again at 1). */
  attempt: number
  /** Fires when the attempt times out (`worker.timeoutMs`) or the worker must stop. */
  signal: AbortSignal
  /** A child logger bound to the event id, source and attempt. */
  log: { info(obj: object | string, msg?: string): void; warn(obj: object | string, msg?: string): void; error(obj: object | string, msg?: string): void }
  /**
   * Runs `fn` at most once per event and `key`, across retries, crashes and replays (`replay --fresh` forgets):
   * when a completed record exists, resolves to its stored result without running `fn`; otherwise runs `fn`
   * and commits the record with `fn`'s result as JSON before resolving. The result is always the JSON copy.
   * One window is left: a crash after `fn` finished and before its record committed runs `fn` again.
   */
  once<T>(key: string, fn: () => T | Promise<T>): Promise<T>
}

export type Handler = (event: HandlerEvent, ctx: HandlerContext) => unknown | Promise<unknown>

/** What an ordering key function sees at ingest: the request as received and what the provider described. */
export type OrderingInput = RawRequest & { source: string; type?: string; deliveryId?: string; occurredAt?: Date }

/** The ordering key of an event; undefined/null/'' leaves the event unordered. */
export type OrderingKeyFn = (event: OrderingInput) => string | undefined | null

export type Size = number | string

export interface SourceInput {
  provider: string
  secret?: string
  secrets?: string[]
  url?: string
  bodyLimit?: Size
  rateLimit?: { perSecond: number; burst?: number; perIp?: { perSecond: number; burst?: number } }
  allowIps?: string[]
  forward?: {
    url: string
    timeoutMs?: number
    headers?: Record<string, string>
    signingSecret?: string
    method?: string
    concurrency?: number
    ratePerSecond?: number
    retryOn4xx?: boolean | number[]
  }
  ordering?: { key: string | OrderingKeyFn; onFailure?: 'hold' | 'skip' }
  [option: string]: unknown
}

export interface ConfigInput {
  server?: {
    port?: number
    host?: string
    bodyLimit?: Size
    /** Request bodies held in memory at once, being read, verified and stored; past it requests wait their turn (default '64mb'). */
    bodyMemoryLimit?: Size
    trustProxy?: boolean | number
    publicUrl?: string
    /** Serve HTTPS directly: PEM strings, or paths to PEM files. */
    tls?: { cert: string; key: string; passphrase?: string }
    headersTimeoutMs?: number
    requestTimeoutMs?: number
    keepAliveTimeoutMs?: number
    maxHeaderBytes?: number
    maxHeadersCount?: number
  }
  database?: { url?: string; synchronous?: 'NORMAL' | 'FULL' | 'OFF' | 'EXTRA'; busyTimeoutMs?: number }
  admin?: { token?: string }
  worker?: Partial<WorkerConfig> & { backoff?: Partial<WorkerConfig['backoff']> }
  retention?: Partial<RetentionConfig>
  log?: { level?: string }
  providers?: (string | Provider)[]
  sources: Record<string, SourceInput>
  handlers?: Record<string, Record<string, Handler>>
}

/** Identity helper that gives `inhook.config.ts` its types. */
export const defineConfig = (config: ConfigInput): ConfigInput => config

export interface WorkerConfig {
  /** Run the worker inside `serve` (default: true). */
  enabled: boolean
  /** Events run at once (default: 8). */
  concurrency: number
  /** Events leased per claim (default: 64). */
  batchSize: number
  /** Fallback poll interval when nothing wakes the worker (default: 1000). */
  pollMs: number
  /** How long a claimed event is leased before another worker may take it (default: 60000). */
  leaseMs: number
  /** Attempts before an event is `failed` (default: 8). */
  maxAttempts: number
  /** A handler running longer fails the attempt (default: 30000). */
  timeoutMs: number
  /** On SIGTERM, how long running handlers may finish before their events are released (default: 10000). */
  graceMs: number
  backoff: { baseMs: number; maxMs: number }
}

/** How long finished events are kept. The worker prunes in small batches; `inhook prune` does it now. */
export interface RetentionConfig {
  /** Days a processed event is kept after it finished; false keeps them (default: 30). */
  processedDays: number | false
  /** Days a failed event is kept after it failed; false keeps them (default: 90). */
  failedDays: number | false
  /** Days the body of a processed event is kept, its metadata staying until `processedDays` (default: false, as long as the event). */
  processedBodyDays: number | false
  /** How often the worker prunes (default: 600000). */
  intervalMs: number
  /** Rows deleted per transaction (default: 500). */
  batchSize: number
}

/** Where and how a source's events are forwarded (the gateway signs them with its own Standard Webhooks secret). */
export interface ForwardConfig {
  url: string
  /** (default: 'POST') */
  method: string
  /** How long the destination may take to answer (default: 10000). */
  timeoutMs: number
  /** Sent with every request (e.g. an Authorization for the internal service). */
  headers: Record<string, string>
  /** `whsec_<base64>`: signs each request (webhook-id/-timestamp/-signature). Without it, requests are unsigned. */
  signingSecret?: string
  /** Deliveries in flight at once for this source, per worker process (default: no limit but the worker's concurrency). */
  concurrency?: number
  /** Deliveries started per second for this source, per worker process (default: no limit). */
  ratePerSecond?: number
  /** 4xx answers (but 408, 429 and 410) fail the event at once unless true (retry them all) or listed. */
  retryOn4xx: boolean | number[]
}

export interface OrderingConfig {
  key: OrderingKeyFn
  /** The JSON path the key was given as, when it was. */
  path?: string
  /** 'hold' (default): a failing event holds back later events of its key until it succeeds or fails for good. 'skip': it steps out of line. */
  onFailure: 'hold' | 'skip'
}

export interface SourceConfig {
  name: string
  provider: Provider
  /** The provider's parsed options. */
  options: unknown
  /** The public URL the provider signs, when configured. */
  url?: string
  bodyLimitBytes: number
  rateLimit?: { perSecond: number; burst: number; perIp?: { perSecond: number; burst: number } }
  allowIps?: Cidr[]
  forward?: ForwardConfig
  /** Per-key ordering: events with the same key are processed one at a time, in order. */
  ordering?: OrderingConfig
  /** Lowercase header names and query parameters never stored. */
  redactHeaders: Set<string>
  redactQuery: Set<string>
}

export interface ServerConfig {
  port: number
  host: string
  /** The largest body of a source that sets no `bodyLimit` and whose provider documents no larger one (default: 1 MiB). */
  bodyLimitBytes: number
  /** Request bodies held in memory at once (read, being verified or stored); past it, requests wait their turn (default: 64 MiB). */
  bodyMemoryLimitBytes: number
  trustProxy: boolean | number
  publicUrl?: string
  /** PEM contents (files already read): HTTPS when set. */
  tls?: { cert: string; key: string; passphrase?: string }
  /** A client must send its request headers within this time (default: 10000). Slowloris defence. */
  headersTimeoutMs: number
  /** A client must send its whole request within this time (default: 30000). Slow-body defence. */
  requestTimeoutMs: number
  /** An idle keep-alive connection is closed after this time (default: 5000). */
  keepAliveTimeoutMs: number
  /** Larger request headers are refused with 431 (default: 16384). */
  maxHeaderBytes: number
  /** A request with more headers is refused with 431 (default: 100). */
  maxHeadersCount: number
}

export interface Config {
  /** The file the config came from, when any. */
  file?: string
  server: ServerConfig
  database: { url: string; synchronous: 'NORMAL' | 'FULL' | 'OFF' | 'EXTRA'; busyTimeoutMs: number }
  admin: { token?: string }
  worker: WorkerConfig
  retention: RetentionConfig
  log: { level: string }
  sources: Map<string, SourceConfig>
  handlers: Record<string, Record<string, Handler>>
  /** Provider modules loaded from `providers` (besides the built-ins). */
  providers: Provider[]
}

/** A config that cannot be used. `issues` name each key path and what was expected. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly issues: string[]
  constructor(issues: string[], file?: string) {
    // One problem per key path: a missing env variable also makes its option "required".
    const seen = new Set<string>()
    issues = issues.filter((i) => {
      const key = i.slice(0, i.indexOf(': ') + 1 || undefined)
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    super(`invalid configuration${file ? ` in ${file}` : ''}:\n${issues.map((i) => `  - ${i}`).join('\n')}`)
    this.issues = issues
  }
}

export const ALWAYS_REDACTED_HEADERS = ['authorization', 'cookie', 'proxy-authorization']
const DEFAULT_BODY_LIMIT = 1024 * 1024
const DEFAULT_BODY_MEMORY_LIMIT = 64 * 1024 * 1024

const size = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  const n = typeof value === 'number' ? value : bytes.parse(value)
  if (n === null || !Number.isFinite(n) || n <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 1048576, '512kb' or '1mb', got ${JSON.stringify(value)}` })
    return z.NEVER
  }
  return n
})

const bucket = z.object({ perSecond: z.number().positive(), burst: z.number().int().positive().optional() })

const sourceSchema = z.looseObject({
  provider: z.string({ error: 'expected a provider name (see `inhook providers`)' }),
  secret: z.string().min(1, 'expected a non-empty string').optional(),
  secrets: z.array(z.string().min(1, 'expected a non-empty string')).min(1).optional(),
  url: z.url({ error: 'expected the absolute public URL the provider signs, e.g. https://hooks.example.com/webhooks/twilio' }).optional(),
  bodyLimit: size.optional(),
  rateLimit: bucket.extend({ perIp: bucket.optional() }).optional(),
  allowIps: z.array(z.string()).optional(),
  forward: z
    .object({
      url: z.url(),
      timeoutMs: z.number().int().positive().default(10_000),
      headers: z.record(z.string(), z.string()).default({}),
      signingSecret: z
        .string()
        .refine(isWhsecSecret, "expected a Standard Webhooks secret: whsec_ then at least 16 bytes of base64 (make one with: node -e \"console.log('whsec_' + crypto.randomBytes(32).toString('base64'))\")")
        .optional(),
      method: z.string().regex(/^[A-Z]+$/, 'expected an HTTP method such as POST or PUT').default('POST'),
      concurrency: z.number().int().positive().optional(),
      ratePerSecond: z.number().positive().optional(),
      retryOn4xx: z.union([z.boolean(), z.array(z.number().int().min(400).max(499))]).default(false),
    })
    .optional(),
  ordering: z
    .object({
      key: z.union([z.string().min(1), z.custom<OrderingKeyFn>((v) => typeof v === 'function')], {
        error: "expected a JSON path such as 'data.object.id' or a function (event) => string",
      }),
      onFailure: z.enum(['hold', 'skip']).default('hold'),
    })
    .optional(),
})

/** `whsec_` and at least 16 bytes of base64, as the Standard Webhooks SDKs expect. */
function isWhsecSecret(secret: string): boolean {
  const base64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : ''
  return /^[A-Za-z0-9+/]+={0,2}$/.test(base64) && Buffer.from(base64, 'base64').length >= 16
}

/** A JSON path ('data.object.id', '$.data.object.id') as a key function over the body. */
export function orderingKeyFromPath(path: string): OrderingKeyFn {
  const dotted = path.replace(/^\$\./, '')
  return (event) => {
    const value = pick(event.json(), dotted)
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined
  }
}

const days = z.union([z.number().positive(), z.literal(false)], { error: 'expected a number of days, or false to keep them' })

const handlerMap = z.record(z.string(), z.custom<Handler>((v) => typeof v === 'function', { error: 'expected a function (event, ctx) => …' }))

const configSchema = z.object({
  server: z
    .object({
      port: z.number().int().min(0).max(65535).default(8787),
      host: z.string().default('0.0.0.0'),
      // No default here: set, it is every source's default; unset, a provider's documented maximum can raise it.
      bodyLimit: size.optional(),
      bodyMemoryLimit: size.default(DEFAULT_BODY_MEMORY_LIMIT),
      trustProxy: z.union([z.boolean(), z.number().int().nonnegative()]).default(false),
      publicUrl: z.url().optional(),
      tls: z.object({ cert: z.string().min(1, 'expected a PEM certificate or a path to one'), key: z.string().min(1, 'expected a PEM private key or a path to one'), passphrase: z.string().optional() }).optional(),
      headersTimeoutMs: z.number().int().positive().default(10_000),
      requestTimeoutMs: z.number().int().positive().default(30_000),
      keepAliveTimeoutMs: z.number().int().positive().default(5_000),
      maxHeaderBytes: z.number().int().min(1024).default(16 * 1024),
      maxHeadersCount: z.number().int().positive().default(100),
    })
    .refine((s) => s.headersTimeoutMs <= s.requestTimeoutMs, { message: 'headersTimeoutMs must not exceed requestTimeoutMs', path: ['headersTimeoutMs'] })
    .prefault({}),
  database: z
    .object({
      url: z.string().default('file:./data/inhook.db'),
      synchronous: z.enum(['NORMAL', 'FULL', 'OFF', 'EXTRA']).default('NORMAL'),
      busyTimeoutMs: z.number().int().nonnegative().default(5000),
    })
    .prefault({}),
  admin: z.object({ token: z.string().min(16, 'expected at least 16 characters').optional() }).prefault({}),
  worker: z
    .object({
      enabled: z.boolean().default(true),
      concurrency: z.number().int().positive().default(8),
      batchSize: z.number().int().positive().default(64),
      pollMs: z.number().int().positive().default(1000),
      leaseMs: z.number().int().positive().default(60_000),
      maxAttempts: z.number().int().positive().default(8),
      timeoutMs: z.number().int().positive().default(30_000),
      graceMs: z.number().int().nonnegative().default(10_000),
      backoff: z.object({ baseMs: z.number().int().positive().default(1000), maxMs: z.number().int().positive().default(3_600_000) }).prefault({}),
    })
    .prefault({}),
  retention: z
    .object({
      processedDays: days.default(30),
      failedDays: days.default(90),
      processedBodyDays: days.default(false),
      intervalMs: z.number().int().positive().default(600_000),
      batchSize: z.number().int().positive().default(500),
    })
    .prefault({}),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).prefault({}),
  providers: z.array(z.union([z.string(), z.custom<Provider>((v) => isProvider(v), { error: 'expected a provider module path or object' })])).default([]),
  sources: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a source name is a URL segment: letters, digits, _ . -'), z.unknown()),
  handlers: z.record(z.string(), handlerMap).default({}),
})

/** Checks the shape of a user provider module. */
export function isProvider(v: unknown): v is Provider {
  const p = v as Provider
  return !!p && typeof p === 'object' && typeof p.name === 'string' && typeof p.verify === 'function' && typeof p.describe === 'function' && !!p.options && typeof (p.options as { safeParse?: unknown }).safeParse === 'function'
}

const formatPath = (path: PropertyKey[]) => path.map(String).join('.')

const ARTICLE: Record<string, string> = { array: 'an array', object: 'an object', integer: 'an integer', undefined: 'nothing' }
const typeName = (t: string) => ARTICLE[t] ?? `a ${t}`

/** zod's message, made plain. Never echoes the input value: it may be a secret. */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const got = (issue as { input?: unknown }).input
    const received = got === undefined ? 'nothing' : Array.isArray(got) ? 'an array' : got === null ? 'null' : typeName(typeof got)
    return `expected ${typeName(issue.expected)}, got ${received}`
  }
  return issue.message
}

/** Replaces every `{ env: NAME }` by the variable's value (or its default); records what is missing. */
function resolveEnvRefs(value: unknown, env: Record<string, string | undefined>, path: PropertyKey[], issues: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, [...path, i], issues))
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value)
    const ref = value as EnvRef
    if (typeof ref.env === 'string' && keys.every((k) => k === 'env' || k === 'default')) {
      const resolved = env[ref.env] || ref.default
      if (resolved === undefined || resolved === '') issues.push(`${formatPath(path)}: expected a string (set ${ref.env})`)
      return resolved
    }
    return Object.fromEntries(keys.map((k) => [k, resolveEnvRefs((value as Record<string, unknown>)[k], env, [...path, k], issues)]))
  }
  return value
}

export interface LoadOptions {
  /** Environment for `env()` references (default: process.env). */
  env?: Record<string, string | undefined>
  /** Resolves relative provider module paths (default: the config file's folder or the cwd). */
  baseDir?: string
  file?: string
}

/** Validates a config object. Collects every problem and throws them together as a ConfigError. */
export async function resolveConfig(input: unknown, options: LoadOptions = {}): Promise<Config> {
  const issues: string[] = []
  const resolved = resolveEnvRefs(input, options.env ?? process.env, [], issues)
  const parsed = configSchema.safeParse(resolved, { reportInput: true })
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push(`${formatPath(issue.path) || '(root)'}: ${issueMessage(issue)}`)
    // The sources are still checked one by one, so every problem is reported together.
    const raw = (resolved as { sources?: unknown })?.sources
    if (raw && typeof raw === 'object') for (const [name, source] of Object.entries(raw)) checkSource(name, source, [], issues)
    throw new ConfigError(issues, options.file)
  }
  const c = parsed.data
  const custom: Provider[] = []
  for (const [i, entry] of c.providers.entries()) {
    if (typeof entry !== 'string') {
      custom.push(entry)
      continue
    }
    try {
      custom.push(...(await importProviderModule(resolve(options.baseDir ?? process.cwd(), entry))))
    } catch (error) {
      issues.push(`providers.${i}: ${(error as Error).message}`)
    }
  }

  const sources = new Map<string, SourceConfig>()
  for (const [name, source] of Object.entries(c.sources)) {
    const checked = checkSource(name, source, custom, issues, c.server.bodyLimit)
    if (checked) sources.set(name, checked)
  }
  for (const source of Object.keys(c.handlers)) {
    if (!c.sources[source]) issues.push(`handlers.${source}: no source named "${source}" is configured`)
  }
  const tls = c.server.tls && readTls(c.server.tls, options.baseDir ?? process.cwd(), issues)
  if (issues.length) throw new ConfigError(issues, options.file)
  const { bodyLimit, bodyMemoryLimit, tls: _tls, ...server } = c.server
  return {
    file: options.file,
    server: { ...server, bodyLimitBytes: bodyLimit ?? DEFAULT_BODY_LIMIT, bodyMemoryLimitBytes: bodyMemoryLimit, tls },
    database: c.database,
    admin: c.admin,
    worker: c.worker,
    retention: c.retention,
    log: c.log,
    sources,
    handlers: c.handlers,
    providers: custom,
  }
}

/** Validates one source: its shape, its provider, the provider's options. Pushes problems to `issues`. */
function checkSource(name: string, input: unknown, custom: Provider[], issues: string[], serverBodyLimit?: number): SourceConfig | undefined {
  const path = `sources.${name}`
  const parsed = sourceSchema.safeParse(input, { reportInput: true })
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push(`${path}${issue.path.length ? `.${formatPath(issue.path)}` : ''}: ${issueMessage(issue)}`)
    return undefined
  }
  const source = parsed.data
  const provider = findProvider(source.provider, custom)
  if (!provider) {
    issues.push(`${path}.provider: unknown provider "${source.provider}" (see \`inhook providers\` for the list, or add a module under \`providers\`)`)
    return undefined
  }
  const { provider: _p, secret, secrets, url, bodyLimit, rateLimit, allowIps, forward, ordering, ...rest } = source
  if (secret !== undefined && secrets !== undefined) issues.push(`${path}: set either secret or secrets, not both`)
  const optionsInput: Record<string, unknown> = { ...rest, ...((secrets ?? secret) ? { secrets: secrets ?? [secret!] } : {}) }
  const options = provider.options.safeParse(optionsInput, { reportInput: true })
  if (!options.success) {
    for (const issue of options.error.issues) {
      const key = formatPath(issue.path)
      const absent = optionsInput[String(issue.path[0])] === undefined
      if (key === 'secrets' && absent) {
        issues.push(`${path}.secret: expected a string (required by provider ${provider.name}; or secrets: [...] to rotate)`)
        continue
      }
      const message = absent ? `${issueMessage(issue)} (required by provider ${provider.name})` : issueMessage(issue)
      issues.push(`${path}${key ? `.${key}` : ''}: ${message}`)
    }
    return undefined
  }
  let cidrs: Cidr[] | undefined
  try {
    cidrs = allowIps ? parseCidrs(allowIps) : undefined
  } catch (error) {
    issues.push(`${path}.allowIps: ${(error as Error).message}`)
    return undefined
  }
  const redact = provider.redact?.(options.data) ?? {}
  return {
    name,
    provider,
    options: options.data,
    url,
    // The source's own limit, else the server's, else the larger of 1 MiB and what the provider documents sending (GitHub: 25 MB).
    bodyLimitBytes: bodyLimit ?? serverBodyLimit ?? Math.max(DEFAULT_BODY_LIMIT, provider.maxBodyBytes ?? 0),
    rateLimit: rateLimit && {
      perSecond: rateLimit.perSecond,
      burst: rateLimit.burst ?? Math.max(1, Math.ceil(rateLimit.perSecond)),
      perIp: rateLimit.perIp && { perSecond: rateLimit.perIp.perSecond, burst: rateLimit.perIp.burst ?? Math.max(1, Math.ceil(rateLimit.perIp.perSecond)) },
    },
    allowIps: cidrs,
    forward,
    ordering: ordering && {
      key: typeof ordering.key === 'string' ? orderingKeyFromPath(ordering.key) : ordering.key,
      path: typeof ordering.key === 'string' ? ordering.key : undefined,
      onFailure: ordering.onFailure,
    },
    redactHeaders: new Set([...ALWAYS_REDACTED_HEADERS, ...(redact.headers ?? []).map((h) => h.toLowerCase())]),
    redactQuery: new Set(redact.query ?? []),
  }
}

/** `server.tls` values are PEM text, or paths (relative to the config file) to PEM files. */
function readTls(tls: { cert: string; key: string; passphrase?: string }, baseDir: string, issues: string[]): ServerConfig['tls'] {
  const read = (name: 'cert' | 'key', label: string) => {
    const value = tls[name]
    if (value.includes('-----BEGIN ')) return value
    const file = resolve(baseDir, value)
    try {
      const text = readFileSync(file, 'utf8')
      if (text.includes('-----BEGIN ')) return text
      issues.push(`server.tls.${name}: ${file} holds no PEM ${label}`)
    } catch {
      issues.push(`server.tls.${name}: expected a PEM ${label} or the path to one; cannot read ${file}`)
    }
    return ''
  }
  return { cert: read('cert', 'certificate'), key: read('key', 'private key'), passphrase: tls.passphrase }
}

/**
 * Imports a config or provider module. Where TypeScript does not load natively (the built gateway
 * runs without a TypeScript loader, see src/dist.mjs), the module is bundled by esbuild into a
 * temporary file beside it and imported from there, as Vite and tsup load their configs. Packages stay
 * imports of their own, and so does inhook's public API (`inhook`, or a path to src/index.ts or
 * providers/kit.ts): it becomes an import of the very module this process runs. A `.ts` file outside
 * an ESM package (no `"type": "module"` above it) is bundled the same way.
 */
async function importModule(file: string): Promise<unknown> {
  try {
    return await import(pathToFileURL(file).href)
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' && code !== 'ERR_REQUIRE_CYCLE_MODULE') throw error
  }
  const { bundleRequire } = await import('bundle-require')
  try {
    const { mod } = await bundleRequire({ filepath: file, format: 'esm', esbuildOptions: { plugins: [publicApiPlugin] } })
    return mod
  } catch (error) {
    // The temporary file could not be written beside the module (a read-only /etc/inhook, say): tsx's
    // loader compiles it in place instead, at the cost of its thread.
    if (!['EACCES', 'EPERM', 'EROFS'].includes((error as { code?: string }).code ?? '')) throw error
    const { tsImport } = await import('tsx/esm/api')
    const mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: { __esModule?: boolean } }
    return mod.default?.__esModule ? mod.default : mod
  }
}

/** inhook's public entry as this process runs it: src/index.ts from the sources, dist/index.js from the build. */
const PUBLIC_API = new URL(import.meta.url.endsWith('.ts') ? './index.ts' : './index.js', import.meta.url).href
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url))
const PUBLIC_FILES = new Set(['src/index', 'providers/kit'].map((name) => resolve(PACKAGE_ROOT, name)))

const publicApiPlugin: Plugin = {
  name: 'inhook-public-api',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.path === 'inhook') return { path: PUBLIC_API, external: true }
      const path = args.path.startsWith('file:') ? fileURLToPath(args.path) : args.path
      if (!path.startsWith('.') && !path.startsWith('/')) return undefined
      const full = resolve(args.resolveDir, path)
      if (PUBLIC_FILES.has(full.replace(/\.(m?[jt]s)$/, ''))) return { path: PUBLIC_API, external: true }
      return path === args.path ? undefined : { path: full }
    })
  },
}

async function importProviderModule(path: string): Promise<Provider[]> {
  if (!existsSync(path)) throw new Error(`no provider module at ${path}`)
  const mod = (await importModule(path)) as Record<string, unknown>
  const found = Object.values(mod).filter(isProvider)
  if (found.length === 0) throw new Error(`${path} exports no provider (an object with name, options, verify and describe)`)
  return [...new Set(found)]
}

export const CONFIG_NAMES = ['inhook.config.ts', 'inhook.config.mts', 'inhook.config.js', 'inhook.config.mjs', 'inhook.config.json']

/** Finds the config file: the given path, else `./inhook.config.{ts,js,mjs,json}`. */
export function findConfigFile(path: string | undefined, cwd = process.cwd()): string {
  if (path) {
    const full = resolve(cwd, path)
    if (!existsSync(full)) throw new ConfigError([`config file not found: ${full}`])
    return full
  }
  for (const name of CONFIG_NAMES) {
    const full = resolve(cwd, name)
    if (existsSync(full)) return full
  }
  throw new ConfigError([`no config file found in ${cwd} (looked for ${CONFIG_NAMES.join(', ')}); pass --config PATH`])
}

/** Loads and validates a config file (.ts, .js, .mjs or .json). */
export async function loadConfig(path?: string, options: Omit<LoadOptions, 'file' | 'baseDir'> = {}): Promise<Config> {
  const file = findConfigFile(path)
  let input: unknown
  if (extname(file) === '.json') {
    try {
      input = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new ConfigError([`${file} is not valid JSON: ${(error as Error).message}`], file)
    }
  } else {
    try {
      const mod = (await importModule(file)) as { default?: unknown }
      input = mod.default
    } catch (error) {
      throw new ConfigError([`could not load ${file}: ${(error as Error).message}`], file)
    }
    if (input === undefined) throw new ConfigError([`${file} has no default export (export default defineConfig({ … }))`], file)
  }
  return resolveConfig(input, { ...options, file, baseDir: dirname(file) })
}
