// `npm run bench -- worker`: the worker's throughput (claim → no-op handler → processed) on an empty
// table and with a large history of finished events, the listings at that size, and the disk bytes per
// stored 2 KB event for several page sizes. Everything runs in this process on temp-dir databases.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { resolveConfig } from '../src/config.ts'
import { openDatabase } from '../src/store/database.ts'
import { checkpointTruncate, databaseSize, seedEvents, statementPlans } from '../src/store/seed.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'
import type { NewWebhookEvent, Store } from '../src/store/store.ts'
import { Worker } from '../src/worker/worker.ts'
import { describeMachine, machineLine, markdownTable, median, textTable, writeJson, writeLatestSection } from './lib/report.ts'
import { githubBody, PAYLOAD_BYTES, signGithub } from './payload.ts'

export interface WorkerBenchOptions {
  quick: boolean
  /** Finished events already in the table for the "large history" figures (default: 1,000,000). */
  rows: number
}

const silent = pino({ level: 'silent' })
const HISTORY_SOURCES = ['github', 'stripe', 'shopify', 'slack']
const PAGE_SIZES = [1024, 2048, 4096, 8192, 16384, 65536]

interface WorkerSettings {
  concurrency: number
  batchSize: number
}

export async function runWorkerBench(o: WorkerBenchOptions): Promise<void> {
  const machine = describeMachine()
  const started = Date.now()
  const newEvents = o.quick ? 20_000 : 50_000
  const diskEvents = o.quick ? 5_000 : 20_000
  const defaults = (await resolveConfig({ sources: {} })).worker
  const settings: WorkerSettings[] = [
    { concurrency: defaults.concurrency, batchSize: defaults.batchSize },
    { concurrency: 64, batchSize: 256 },
  ]
  const body = Buffer.from(githubBody())
  const work = mkdtempSync(join(tmpdir(), 'inhook-bench-worker-'))
  console.log(`worker bench: ${newEvents} new ${PAYLOAD_BYTES}-byte events per run; history of ${o.rows.toLocaleString('en-US')} finished events`)
  console.log(machineLine(machine))
  const result: Record<string, unknown> = { machine, options: o, newEvents, diskEvents }
  try {
    // 1. Worker throughput on an empty table.
    const empty: Record<string, number> = {}
    for (const s of settings) {
      const store = openStore(join(work, `empty-${s.concurrency}.db`))
      empty[key(s)] = await workerThroughput(store, newEvents, s, body)
      await store.close()
      console.log(`  empty table, ${label(s)}: ${fmt(empty[key(s)]!)} events/s`)
    }

    // 2. A large history: seeding, listings, then the worker again.
    const store = openStore(join(work, 'history.db'))
    const small = Buffer.from(JSON.stringify({ action: 'completed', id: 1, padding: 'x'.repeat(150) }))
    let t = performance.now()
    let lastShown = 0
    seedEvents(store.db, {
      count: o.rows,
      body: small,
      source: (i) => HISTORY_SOURCES[i % HISTORY_SOURCES.length]!,
      status: (i) => (i % 100 === 7 ? 'failed' : 'processed'),
      onProgress: (n) => {
        if (n - lastShown >= o.rows / 5 || n === o.rows) process.stdout.write(`  seeding ${fmt(n)} / ${fmt(o.rows)}\r`)
        lastShown = n
      },
    })
    const seedSeconds = (performance.now() - t) / 1000
    checkpointTruncate(store.db)
    console.log(`  seeded ${fmt(o.rows)} finished events in ${seedSeconds.toFixed(1)} s (${fmt(o.rows / seedSeconds)} rows/s)`)
    const listings = {
      failedOfSourceMs: await medianMs(() => store.list({ source: 'github', status: 'failed', limit: 50 }), 300),
      defaultMs: await medianMs(() => store.list({ limit: 50 }), 300),
      failedAnySourceMs: await medianMs(() => store.list({ status: 'failed', limit: 50 }), 300),
      secondPageMs: await medianMs(async () => {
        const first = await store.list({ source: 'github', status: 'failed', limit: 50 })
        return store.list({ source: 'github', status: 'failed', limit: 50, cursor: first.nextCursor })
      }, 100),
    }
    console.log(`  listings at ${fmt(o.rows)} rows (median): 50 newest failed of one source ${listings.failedOfSourceMs.toFixed(3)} ms, default ${listings.defaultMs.toFixed(3)} ms, failed of any source ${listings.failedAnySourceMs.toFixed(3)} ms`)
    const history: Record<string, number> = {}
    for (const s of settings) {
      history[key(s)] = await workerThroughput(store, newEvents, s, body)
      console.log(`  ${fmt(o.rows)} finished rows present, ${label(s)}: ${fmt(history[key(s)]!)} events/s`)
    }
    const plans = statementPlans(store, /^claim/)
    await store.close()
    rmSync(join(work, 'history.db'), { force: true })
    t = performance.now()

    // 3. Disk bytes per stored event, by page size: real appends (the gateway's row), then processed.
    const disk: { pageSize: number; storedBytes: number; processedBytes: number; appendUs: number }[] = []
    for (const pageSize of PAGE_SIZES) {
      const file = join(work, `disk-${pageSize}.db`)
      // Checkpoints in this thread, so that the TRUNCATE below leaves no WAL to count.
      const s = new SqliteStore(openDatabase(`file:${file}`, { pageSize }))
      checkpointTruncate(s.db)
      const before = databaseSize(s.db).bytes
      const appendStarted = performance.now()
      await appendMany(s, diskEvents, body)
      const appendUs = ((performance.now() - appendStarted) * 1000) / diskEvents
      checkpointTruncate(s.db)
      const stored = databaseSize(s.db)
      await workerThroughput(s, 0, settings[1]!, body, diskEvents)
      checkpointTruncate(s.db)
      const processed = databaseSize(s.db)
      await s.close()
      rmSync(file, { force: true })
      if (stored.pageSize !== pageSize) throw new Error(`page size ${pageSize} was not applied (got ${stored.pageSize})`)
      disk.push({ pageSize, storedBytes: (stored.bytes - before) / diskEvents, processedBytes: (processed.bytes - before) / diskEvents, appendUs })
      console.log(`  page size ${String(pageSize).padStart(5)}: ${fmt((stored.bytes - before) / diskEvents)} B/event stored, ${fmt((processed.bytes - before) / diskEvents)} after processing; append ${appendUs.toFixed(1)} µs/event`)
    }
    Object.assign(result, { settings, empty, history, listings, seedSeconds, disk, plans })

    const rows: string[][] = [
      ...settings.map((s) => [`worker, empty table, ${label(s)}`, `${fmt(empty[key(s)]!)} events/s`, '≥ 20,000']),
      ...settings.map((s) => [`worker, ${fmt(o.rows)} finished rows present, ${label(s)}`, `${fmt(history[key(s)]!)} events/s`, 'same as empty']),
      [`50 newest failed events of one source, ${fmt(o.rows)} rows`, `${listings.failedOfSourceMs.toFixed(3)} ms`, '≤ 1 ms'],
      [`default listing (50 newest), ${fmt(o.rows)} rows`, `${listings.defaultMs.toFixed(3)} ms`, '≤ 1 ms'],
      [`50 newest failed, any source, ${fmt(o.rows)} rows`, `${listings.failedAnySourceMs.toFixed(3)} ms`, ''],
      [`second page of the failed listing (cursor), ${fmt(o.rows)} rows`, `${listings.secondPageMs.toFixed(3)} ms (both pages)`, ''],
      ...disk.map((d) => [
        `disk per stored ${PAYLOAD_BYTES}-byte event, page size ${d.pageSize}`,
        `${fmt(d.storedBytes)} B (${(d.storedBytes / PAYLOAD_BYTES).toFixed(2)}×); processed ${fmt(d.processedBytes)} B (${(d.processedBytes / PAYLOAD_BYTES).toFixed(2)}×); append ${d.appendUs.toFixed(1)} µs`,
        '≤ 1.5×',
      ]),
    ]
    const header = ['measure', 'result', 'target']
    const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`
    console.log(`\n${textTable(header, rows)}\n\nclaim plans:\n${Object.entries(plans).map(([k, v]) => `  ${k}: ${v.join(' | ')}`).join('\n')}\n\n(${Math.round((Date.now() - started) / 1000)} s)`)
    const file = writeJson('worker', result)
    const md = [
      `### Worker, listings, disk (\`${command}\`)`,
      '',
      `${machineLine(machine)}. ${fmt(newEvents)} new events per worker run (no-op handler, in-process); history rows have small bodies, 1 % failed, 4 sources.`,
      '',
      markdownTable(header, rows),
    ].join('\n')
    const latest = writeLatestSection('worker', md)
    console.log(`\nwrote ${file}\nwrote ${latest}`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const key = (s: WorkerSettings) => `c${s.concurrency}-b${s.batchSize}`
const label = (s: WorkerSettings) => `concurrency ${s.concurrency}, batch ${s.batchSize}`
// As in the gateway: WAL checkpoints from a background thread.
const openStore = (file: string) => new SqliteStore(openDatabase(`file:${file}`), { backgroundCheckpoints: true })

/** Median wall time of `fn` in ms, after a short warm-up. */
async function medianMs(fn: () => Promise<unknown>, runs: number): Promise<number> {
  for (let i = 0; i < 20; i++) await fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn()
    times.push(performance.now() - t)
  }
  return median(times)
}

/** The row the gateway stores for the benchmark's delivery. */
function delivery(i: number, body: Buffer): NewWebhookEvent {
  const id = `${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}-disk-${i}`
  return {
    source: 'github',
    provider: 'github',
    type: 'push',
    deliveryId: id,
    method: 'POST',
    path: '/webhooks/github',
    query: '',
    headers: [
      ['host', '127.0.0.1:8787'],
      ['content-type', 'application/json'],
      ['user-agent', 'GitHub-Hookshot/044aadd'],
      ['x-github-event', 'push'],
      ['x-github-hook-id', '292430182'],
      ['x-hub-signature-256', signGithub(body.toString())],
      ['x-github-delivery', id],
      ['content-length', String(body.length)],
    ],
    body,
    clientIp: '127.0.0.1',
    receivedAt: new Date(),
  }
}

/** Appends through the store's group-commit writer, 64 at a time (as 64 connections would). */
async function appendMany(store: Store, count: number, body: Buffer): Promise<void> {
  for (let i = 0; i < count; i += 64) await Promise.all(Array.from({ length: Math.min(64, count - i) }, (_, j) => store.append(delivery(i + j, body))))
}

/**
 * Seeds `count` new events (or uses `existing` already there), runs the real Worker with a no-op
 * handler until all of them are processed, and returns events/s.
 */
async function workerThroughput(store: SqliteStore, count: number, s: WorkerSettings, body: Buffer, existing = 0): Promise<number> {
  if (count) seedEvents(store.db, { count, body, status: () => 'new', source: () => 'github' })
  const total = count + existing
  let done = 0
  let finish: () => void = () => {}
  const finished = new Promise<void>((resolve) => (finish = resolve))
  // Counts completions as they are committed.
  const counting = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'complete')
        return async (...args: Parameters<Store['complete']>) => {
          await target.complete(...args)
          if (++done === total) finish()
        }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const worker = new Worker(
    { store: counting, process: async () => {}, log: silent, maxAttempts: 8, timeoutMs: 30_000, backoff: { baseMs: 1000, maxMs: 3_600_000 } },
    { concurrency: s.concurrency, batchSize: s.batchSize, pollMs: 1000, leaseMs: 60_000 },
  )
  const t = performance.now()
  worker.start()
  let timer: NodeJS.Timeout | undefined
  const bound = 30_000 + total // at least 1,000 events/s, or we give up
  const ok = await Promise.race([finished.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), bound)))])
  const seconds = (performance.now() - t) / 1000
  clearTimeout(timer)
  await worker.stop(1000)
  if (!ok) throw new Error(`the worker processed ${done} of ${total} events within ${bound} ms`)
  return total / seconds
}
