// Builds the Hono app: ingest, health, metrics (and the admin API and console, mounted by their modules).
import { Hono } from 'hono'
import type { Logger } from 'pino'
import { createAdminApi } from './admin/api.ts'
import { createConsole } from './admin/console/console.tsx'
import type { Config } from './config.ts'
import { createIngestHandler } from './ingest/ingest.ts'
import type { Metrics } from './metrics.ts'
import type { Store } from './store/store.ts'

export interface AppDeps {
  config: Config
  store: Store
  log: Logger
  metrics: Metrics
  /** The admin API/console bearer token (configured or generated at start). */
  adminToken: string
  onStored?: () => void
  now?: () => Date
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono()
  const ingest = createIngestHandler(deps)
  app.all('/webhooks/:source', ingest)

  app.route('/api', createAdminApi(deps))
  app.route('/ui', createConsole(deps))

  app.get('/healthz', (c) => c.json({ ok: true }))
  app.get('/readyz', async (c) => {
    try {
      await deps.store.checkWritable()
      return c.json({ ready: true })
    } catch (error) {
      return c.json({ ready: false, error: 'database not writable' }, 503, { 'retry-after': '5' })
    }
  })
  app.get('/metrics', async (c) => {
    const bodies = ingest.bodyMemory.stats
    deps.metrics.bodyMemoryBytes.set(bodies.held)
    deps.metrics.bodyMemoryWaiting.set(bodies.waiting)
    const stats = await deps.store.stats(new Date()).catch(() => undefined)
    if (stats) {
      deps.metrics.eventsByStatus.reset()
      for (const row of stats.bySourceStatus) deps.metrics.eventsByStatus.set({ source: row.source, status: row.status }, row.count)
      deps.metrics.queueDepth.set(stats.queueDepth)
      deps.metrics.oldestDueSeconds.set(stats.oldestDueMs / 1000)
    }
    return c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType })
  })

  app.notFound((c) => c.json({ error: 'not found' }, 404))
  app.onError((error, c) => {
    deps.log.error({ err: error, path: c.req.path }, 'unhandled error')
    return c.json({ error: 'internal error' }, 500)
  })
  return app
}
