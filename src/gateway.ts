// The composition root of a running gateway: database, store, metrics, worker, HTTP server.
import { serve, type ServerType } from '@hono/node-server'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { createApp } from './app.ts'
import type { Config } from './config.ts'
import { createLogger } from './log.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { openDatabase } from './store/database.ts'
import { SqliteStore } from './store/sqlite-store.ts'
import { createProcess } from './worker/handlers.ts'
import { Worker } from './worker/worker.ts'

/** Slow clients are cut off: headers must arrive within this time, a whole request within the next. */
export const HEADERS_TIMEOUT_MS = 10_000
export const REQUEST_TIMEOUT_MS = 30_000

export interface Gateway {
  url: string
  port: number
  adminToken: string
  adminTokenGenerated: boolean
  store: SqliteStore
  metrics: Metrics
  log: Logger
  worker?: Worker
  server: ServerType
  /** Stops accepting, flushes writes, lets running handlers finish within the grace period, releases the rest. */
  stop(): Promise<void>
}

export interface GatewayOptions {
  log?: Logger
  /** Run the worker in this process (default: config.worker.enabled). */
  worker?: boolean
}

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const log = options.log ?? createLogger(config.log.level)
  const metrics = createMetrics({ defaults: true })
  const db = openDatabase(config.database.url, { synchronous: config.database.synchronous, busyTimeoutMs: config.database.busyTimeoutMs })
  const store = new SqliteStore(db, { onBatch: (size) => metrics.batchSize.observe(size) })
  const adminTokenGenerated = !config.admin.token
  const adminToken = config.admin.token ?? randomBytes(24).toString('base64url')

  const runWorker = options.worker ?? config.worker.enabled
  const worker = runWorker
    ? new Worker(
        { store, process: createProcess(config), log: log.child({ component: 'worker' }), metrics, maxAttempts: config.worker.maxAttempts, timeoutMs: config.worker.timeoutMs, backoff: config.worker.backoff },
        config.worker,
      ).start()
    : undefined

  const app = createApp({ config, store, log, metrics, adminToken, onStored: worker?.wake })
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      { fetch: app.fetch, port: config.server.port, hostname: config.server.host, serverOptions: { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 5_000 } },
      () => resolve(s),
    )
    s.once('error', reject)
  })
  const port = (server.address() as AddressInfo).port
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      const http = server as import('node:http').Server
      await new Promise<void>((resolve) => {
        // In-flight requests are answered (after their commit); idle keep-alive connections close now,
        // and any connection still open after the grace period is cut.
        const force = setTimeout(() => http.closeAllConnections?.(), config.worker.graceMs)
        http.close(() => {
          clearTimeout(force)
          resolve()
        })
        http.closeIdleConnections?.()
      })
      store.writer.flush()
      if (worker) {
        const { released } = await worker.stop(config.worker.graceMs)
        if (released) log.warn({ released }, 'released events still running at shutdown; they will run again')
      }
      await store.close()
    })())

  return { url, port, adminToken, adminTokenGenerated, store, metrics, log, worker, server, stop }
}
