import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { HandlerContext, HandlerEvent } from '../../src/config.ts'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import type { NewWebhookEvent } from '../../src/store/store.ts'
import { PermanentError } from '../../src/worker/errors.ts'
import { createProcess } from '../../src/worker/handlers.ts'
import { runEvent, type WorkerDeps } from '../../src/worker/run-event.ts'
import { drain } from '../../src/worker/worker.ts'
import { tempDir, waitFor } from '../helpers/gateway.ts'
import { BIN, runCli } from '../helpers/cli.ts'

const log = pino({ level: 'silent' })
const newEvent = (overrides: Partial<NewWebhookEvent> = {}): NewWebhookEvent => ({
  source: 'github', provider: 'github', type: 'push', deliveryId: crypto.randomUUID(), method: 'POST', path: '/webhooks/github', query: '',
  headers: [['content-type', 'application/json']], body: Buffer.from('{"ref":"refs/heads/main"}'), receivedAt: new Date(), ...overrides,
})

describe('ctx.once and the handler context', () => {
  let store: SqliteStore
  let dir: string
  let cleanup: () => void
  beforeEach(() => {
    const tmp = tempDir()
    ;({ dir, cleanup } = tmp)
    store = new SqliteStore(openDatabase(`file:${dir}/once.db`))
  })
  afterEach(async () => {
    await store.close()
    cleanup()
  })

  const deps = (handler: (event: HandlerEvent, ctx: HandlerContext) => unknown): WorkerDeps => ({
    store, log, process: createProcess({ handlers: { github: { '*': handler } } }), maxAttempts: 5, timeoutMs: 2000, backoff: { baseMs: 1, maxMs: 1 }, random: () => 0,
  })
  const appendOne = async (overrides: Partial<NewWebhookEvent> = {}) => ((await store.append(newEvent(overrides))) as { id: string }).id
  const runAll = (d: WorkerDeps) => drain(d, { concurrency: 2, batchSize: 10, leaseMs: 60_000 })

  it('does not repeat an effect when the handler throws after it', async () => {
    let sent = 0
    const results: unknown[] = []
    const id = await appendOne()
    const d = deps(async (_event, ctx) => {
      results.push(await ctx.once('email', () => ({ messageId: `m${++sent}`, at: new Date(0) })))
      if (ctx.attempt === 1) throw new Error('the step after the email failed')
    })
    // The retry is due at once (random = 0), so one drain runs both attempts.
    expect(await runAll(d)).toMatchObject({ retry: 1, processed: 1 })
    expect(sent).toBe(1)
    // Both runs see the same JSON result (a Date comes back as its ISO string, the first time too).
    expect(results).toEqual([{ messageId: 'm1', at: '1970-01-01T00:00:00.000Z' }, { messageId: 'm1', at: '1970-01-01T00:00:00.000Z' }])
    expect(await store.get(id)).toMatchObject({ status: 'processed', attempts: 2 })
  })

  it('does not repeat an effect on replay, and repeats it after replay --fresh', async () => {
    let sent = 0
    const id = await appendOne()
    const d = deps((_event, ctx) => ctx.once('email', () => ++sent))
    await runAll(d)
    expect(await store.replay([id], new Date())).toBe(1)
    await runAll(d)
    expect(sent).toBe(1)
    expect(await store.replay([id], new Date(), { fresh: true })).toBe(1)
    await runAll(d)
    expect(sent).toBe(2)
    expect((await store.attempts(id)).map((a) => [a.outcome, a.note])).toEqual([
      ['processed', null], ['replayed', null], ['processed', null], ['replayed', 'fresh: once records cleared'], ['processed', null],
    ])
  })

  it('runs fn again when it threw (no record), and keys are independent', async () => {
    const calls: string[] = []
    await appendOne()
    const d = deps(async (_event, ctx) => {
      await ctx.once('a', () => void calls.push('a'))
      await ctx.once('b', () => {
        calls.push('b')
        if (ctx.attempt === 1) throw new Error('b failed')
      })
    })
    expect(await runAll(d)).toMatchObject({ retry: 1, processed: 1 })
    expect(calls).toEqual(['a', 'b', 'b'])
  })

  it('runs fn once when the same key is used twice at the same time', async () => {
    let runs = 0
    await appendOne()
    await runAll(deps(async (_event, ctx) => {
      const fn = async () => {
        await new Promise((r) => setImmediate(r))
        return ++runs
      }
      expect(await Promise.all([ctx.once('k', fn), ctx.once('k', fn)])).toEqual([1, 1])
    }))
    expect(runs).toBe(1)
  })

  it('gives handlers lazy text(), json() and form(), without changing the stored event', async () => {
    const id = await appendOne({ body: Buffer.from('a=1&b=two'), headers: [['content-type', 'application/x-www-form-urlencoded']] })
    const jsonId = await appendOne({ body: Buffer.from('{"n":[1,2]}') })
    const seen: Record<string, unknown> = {}
    await runAll(deps((event, ctx) => {
      if (event.id === id) Object.assign(seen, { text: event.text(), form: Object.fromEntries(event.form()), keys: Object.keys(event) })
      else seen.json = event.json<{ n: number[] }>().n
      seen.attempt = ctx.attempt
      expect(ctx.signal.aborted).toBe(false)
      ctx.log.info('hello')
    }))
    expect(seen).toMatchObject({ text: 'a=1&b=two', form: { a: '1', b: 'two' }, json: [1, 2], attempt: 1 })
    expect(seen.keys).not.toContain('json')
    expect(Object.keys((await store.get(jsonId))!)).not.toContain('json')
  })

  it('fails at once when a handler asks for JSON and the body is not JSON', async () => {
    const id = await appendOne({ body: Buffer.from('<xml/>'), headers: [['content-type', 'text/xml']] })
    await runAll(deps((event) => event.json()))
    expect(await store.get(id)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringMatching(/^PermanentError: the body is not JSON .*content-type text\/xml/) })
  })

  it('rejects a missing key', async () => {
    const id = await appendOne()
    const [event] = await store.claim({ limit: 1, leaseMs: 1000, now: new Date() })
    await runEvent(deps((_e, ctx) => ctx.once('', () => 1)), event!)
    expect((await store.get(id))!.lastError).toMatch(/key must be a non-empty string/)
  })

  it('after SIGKILL between the committed record and the handler returning, the restarted worker does not repeat the effect', async () => {
    const db = join(dir, 'crash.db')
    const seedStore = new SqliteStore(openDatabase(`file:${db}`))
    const { id } = (await seedStore.append(newEvent())) as { id: string }
    await seedStore.close()
    const effects = join(dir, 'effects.log')
    const config = join(dir, 'inhook.config.ts')
    writeFileSync(
      config,
      `import { appendFileSync, existsSync, writeFileSync } from 'node:fs'
import { defineConfig } from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'src/index.ts')).href)}
const dir = ${JSON.stringify(dir)}
export default defineConfig({
  database: { url: ${JSON.stringify(`file:${db}`)} },
  worker: { leaseMs: 200, concurrency: 1 },
  log: { level: 'silent' },
  sources: { github: { provider: 'github', secret: 'gh-secret' } },
  handlers: {
    github: {
      '*': async (event, ctx) => {
        const receipt = await ctx.once('email', () => {
          appendFileSync(dir + '/effects.log', event.id + '\\n')
          return { messageId: 'msg-' + event.id }
        })
        writeFileSync(dir + '/receipt-' + ctx.attempt + '.json', JSON.stringify(receipt))
        if (!existsSync(dir + '/let-it-finish')) {
          writeFileSync(dir + '/ready', '')
          await new Promise(() => {}) // killed here: the record is committed, the handler has not returned
        }
      },
    },
  },
})
`,
    )
    const child = spawn(process.execPath, [BIN, 'worker', '--once', '--config', config], { stdio: 'ignore' })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    try {
      await waitFor(() => existsSync(join(dir, 'ready')), { timeoutMs: 15_000 })
    } finally {
      child.kill('SIGKILL')
    }
    expect(await exited).toBe('SIGKILL')
    expect(readFileSync(effects, 'utf8')).toBe(`${id}\n`)

    const check = new SqliteStore(openDatabase(`file:${db}`))
    try {
      expect(await check.findEffect(id, 'email')).toBe(JSON.stringify({ messageId: `msg-${id}` }))
      // The killed worker still holds the lease; once it expires, the next run takes the event back.
      await waitFor(async () => (await check.get(id))!.leaseUntil!.getTime() < Date.now(), { timeoutMs: 5000 })
      writeFileSync(join(dir, 'let-it-finish'), '')
      const { code, stdout } = await runCli(['worker', '--once', '--config', config])
      expect(code).toBe(0)
      expect(stdout).toContain('processed 1')
      expect(readFileSync(effects, 'utf8')).toBe(`${id}\n`)
      expect(JSON.parse(readFileSync(join(dir, 'receipt-2.json'), 'utf8'))).toEqual({ messageId: `msg-${id}` })
      expect(await check.get(id)).toMatchObject({ status: 'processed', attempts: 2 })
    } finally {
      await check.close()
    }
  })
})
