// `npx tsx bench/processing.ts [--quick]`: forwarding throughput to a local receiver, and ordered vs
// unordered processing rates. Bounded: a fixed number of events per run, temp-dir databases, one process.
import { mkdtempSync, rmSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { resolveConfig, type ConfigInput, type Handler } from '../src/config.ts'
import { openDatabase } from '../src/store/database.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import { createWorkerDeps } from '../src/worker/deps.ts'
import { drain } from '../src/worker/worker.ts'

const quick = process.argv.includes('--quick')
const EVENTS = quick ? 1000 : 4000
/** Each figure is the median of this many runs (the machine may be shared). */
const ROUNDS = quick ? 1 : 3
const BODY = Buffer.from(JSON.stringify({ type: 'order.updated', data: { id: 'x', padding: 'p'.repeat(1900) } }))
const log = pino({ level: 'silent' })
const RECEIVER = `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')) })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port) })`

async function measure(name: string, input: ConfigInput, keyOf: (i: number) => string | undefined, concurrency: number): Promise<void> {
  const rates: number[] = []
  for (let r = 0; r < ROUNDS; r++) rates.push(await measureOnce(name, input, keyOf, concurrency))
  rates.sort((a, b) => a - b)
  const median = rates[Math.floor(rates.length / 2)]!
  console.log(`${name.padEnd(58)} ${String(Math.round(median)).padStart(6)} events/s  (runs: ${rates.map((x) => Math.round(x)).join(', ')})`)
}

async function measureOnce(name: string, input: ConfigInput, keyOf: (i: number) => string | undefined, concurrency: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'inhook-bench-'))
  const store = new SqliteStore(openDatabase(`file:${dir}/b.db`))
  try {
    const config = await resolveConfig(input)
    const t0 = Date.now() - 60_000
    for (let i = 0; i < EVENTS; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, EVENTS - i) }, (_, j) =>
          store.append({
            source: 'shop', provider: 'github', type: 'order.updated', deliveryId: `d${i + j}`, method: 'POST', path: '/webhooks/shop', query: '',
            headers: [['content-type', 'application/json']], body: BODY, receivedAt: new Date(t0 + i + j), occurredAt: new Date(t0 + i + j), orderingKey: keyOf(i + j),
          }),
        ),
      )
    }
    const deps = createWorkerDeps(config, { store, log })
    const started = performance.now()
    const totals = await drain(deps, { concurrency, batchSize: Math.max(concurrency, 64), leaseMs: 120_000 })
    const seconds = (performance.now() - started) / 1000
    if (totals.processed !== EVENTS) throw new Error(`${name}: processed ${totals.processed} of ${EVENTS}`)
    return EVENTS / seconds
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

// The receiver runs in its own process, as an internal service would.
const receiver = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] })
const port = await new Promise<number>((resolve) => receiver.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))))
const url = `http://127.0.0.1:${port}/hooks`
const forwarding = (extra: object = {}): ConfigInput => ({
  sources: { shop: { provider: 'github', secret: 's', forward: { url, signingSecret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`, ...extra } } },
})
const unordered = () => undefined

console.log(`node ${process.version}, ${EVENTS} events of ${BODY.length} bytes per run, median of ${ROUNDS} run(s)\n`)
console.log('forwarding to a local receiver (answers 200 at once), Standard Webhooks signing on')
for (const c of [8, 32, 64]) await measure(`  worker concurrency ${c}`, forwarding(), unordered, c)
await measure('  worker concurrency 32, forward.concurrency 4', forwarding({ concurrency: 4 }), unordered, 32)

const handlerConfig = (handler: Handler, ordered: boolean): ConfigInput => ({
  sources: { shop: { provider: 'github', secret: 's', ...(ordered ? { ordering: { key: 'data.id' } } : {}) } },
  handlers: { shop: { '*': handler } },
})
const noop: Handler = () => {}
const io: Handler = () => sleep(2) // a handler that waits 2 ms on I/O
console.log('\nhandlers, worker concurrency 32')
for (const [label, handler] of [['no-op handler', noop], ['2 ms I/O handler', io]] as const) {
  await measure(`  ${label}, unordered`, handlerConfig(handler, false), unordered, 32)
  for (const keys of [1000, 100, 10, 1]) await measure(`  ${label}, ordered over ${keys} key(s)`, handlerConfig(handler, true), (i) => `k${i % keys}`, 32)
}
receiver.kill()
