// Builds the worker's dependencies from the config: the same for `serve`, `worker` and `worker --once`.
import type { Logger } from 'pino'
import type { Config } from '../config.ts'
import type { Metrics } from '../metrics.ts'
import type { Store } from '../store/store.ts'
import { createProcess } from './handlers.ts'
import { SourceLimits } from './limits.ts'
import type { WorkerDeps } from './run-event.ts'

export function createWorkerDeps(config: Config, { store, log, metrics }: { store: Store; log: Logger; metrics?: Metrics }): WorkerDeps {
  return {
    store,
    log,
    metrics,
    process: createProcess(config, { store }),
    limits: SourceLimits.fromSources(config.sources),
    onFailure: (source) => config.sources.get(source)?.ordering?.onFailure,
    maxAttempts: config.worker.maxAttempts,
    timeoutMs: config.worker.timeoutMs,
    backoff: config.worker.backoff,
  }
}
