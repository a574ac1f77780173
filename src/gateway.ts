// The composition root of a running gateway: database, store, metrics, worker, HTTP server.
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { randomBytes } from 'node:crypto'
import type { Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { createApp } from './app.ts'
import type { Config } from './config.ts'
import { createLogger } from './log.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { openDatabase } from './store/database.ts'
import { SqliteStore } from './store/sqlite-store.ts'
import { createWorkerDeps } from './worker/deps.ts'
import { Worker } from './worker/worker.ts'

/** Pending connections the kernel may queue (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 4096

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
  const store = new SqliteStore(db, {
    onBatch: (size) => metrics.batchSize.observe(size),
    backgroundCheckpoints: true,
    appendThread: true,
    onAppendThreadDeath: (error) => log.error({ err: error }, 'the append thread stopped; deliveries are now stored from the HTTP thread'),
    onCheckpointError: (error, stopped) =>
      stopped
        ? log.error({ err: error }, 'the checkpointer thread stopped; the WAL is now checkpointed only by the writing connections, as a safety net')
        : log.warn({ err: error }, 'a background WAL checkpoint failed; the checkpointer tries again at its next tick'),
  })
  await store.opened()
  const adminTokenGenerated = !config.admin.token
  const adminToken = config.admin.token ?? randomBytes(24).toString('base64url')

  const runWorker = options.worker ?? config.worker.enabled
  const worker = runWorker
    ? new Worker(createWorkerDeps(config, { store, log: log.child({ component: 'worker' }), metrics }), { ...config.worker, retention: config.retention }).start()
    : undefined

  const app = createApp({ config, store, log, metrics, adminToken, onStored: worker?.wake })
  const { tls, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxHeaderBytes, maxHeadersCount } = config.server
  const serverOptions = {
    // Slow clients are cut off (408, connection closed): headers — on a connection that sent nothing
    // too — must arrive within headersTimeoutMs, the whole request within requestTimeoutMs. Node checks
    // every connectionsCheckingInterval; its default, 30 s, would let a slowloris stay far longer.
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
    keepAliveTimeout: keepAliveTimeoutMs,
    maxHeaderSize: maxHeaderBytes,
    ...(tls && { cert: tls.cert, key: tls.key, passphrase: tls.passphrase }),
  }
  const server: ServerType = createAdaptorServer({ fetch: app.fetch, hostname: config.server.host, serverOptions, ...(tls && { createServer: createHttpsServer }) })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    // Node's default backlog (511) drops connections (1 s SYN retries) during a burst of new connections.
    server.listen({ port: config.server.port, host: config.server.host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const http = server as HttpServer
  // One more than the limit: ingest sees the overflow and refuses it (431) instead of losing headers quietly.
  http.maxHeadersCount = maxHeadersCount + 1
  const port = (server.address() as AddressInfo).port
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`

  let closing = false
  http.on('request', (_req, res) => {
    if (closing) res.setHeader('connection', 'close')
  })

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      const graceMs = config.worker.graceMs
      // The worker stops claiming now and its running handlers get the same grace period as the
      // requests in flight; both need the store, which closes last.
      const workerStopped = worker?.stop(graceMs)
      await new Promise<void>((resolve) => {
        // In-flight requests are answered after their commit, with `Connection: close`; keep-alive
        // connections are closed as soon as they fall idle (Node's close() only closes those idle at
        // that moment); a connection still open after the grace period is cut (its request unanswered).
        closing = true
        const idle = setInterval(() => http.closeIdleConnections(), 20)
        const force = setTimeout(() => http.closeAllConnections(), graceMs)
        http.close(() => {
          clearInterval(idle)
          clearTimeout(force)
          resolve()
        })
      })
      const stopped = await workerStopped
      if (stopped?.released) log.warn({ released: stopped.released }, 'released events still running at shutdown; they will run again')
      await store.close()
    })())

  return { url, port, adminToken, adminTokenGenerated, store, metrics, log, worker, server, stop }
}
