// `inhook serve --workers N`: N ingest processes share the port (node:cluster) and the database file.
// The primary applies the migrations, then forks; it restarts a worker that dies, and on SIGTERM or
// SIGINT stops them all gracefully (each answers its in-flight requests after their commit). Exactly
// one process, worker #1, runs the worker loop; all of them ingest.
import cluster, { type Worker as ClusterWorker } from 'node:cluster'
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { openDatabase } from './store/database.ts'

const INDEX_ENV = 'INHOOK_CLUSTER_INDEX'
const SIZE_ENV = 'INHOOK_CLUSTER_SIZE'
const TOKEN_ENV = 'INHOOK_CLUSTER_ADMIN_TOKEN'
const TOKEN_GENERATED_ENV = 'INHOOK_CLUSTER_ADMIN_TOKEN_GENERATED'
/** Upper bound of `--workers`. */
export const MAX_WORKERS = 64
/** A worker that dies after it started listening is replaced after this delay. */
const RESTART_DELAY_MS = 1000
/** Beyond the grace period, how long the primary waits for its workers before killing them. */
const STOP_MARGIN_MS = 5000

/** What this process is within `serve --workers N` (a lone process is the only member of its own cluster). */
export interface ClusterMember {
  /** 1-based; 1 for a lone process. */
  index: number
  size: number
  /** Worker #1 runs the worker loop and prints the banner. */
  leader: boolean
  /** The admin token shared by every process of the cluster (generated once, by the primary). */
  adminToken?: string
  adminTokenGenerated: boolean
}

/** True in the process that should fork `workers` ingest processes instead of serving itself. */
export const shouldFork = (workers: number) => workers > 1 && cluster.isPrimary

/** This process's place in the cluster; in a cluster worker, also sets the shared admin token on `config`. */
export function joinCluster(config: Config): ClusterMember {
  if (!cluster.isWorker || !process.env[INDEX_ENV]) return { index: 1, size: 1, leader: true, adminTokenGenerated: false }
  const index = Number(process.env[INDEX_ENV])
  const adminToken = process.env[TOKEN_ENV]
  if (adminToken) config.admin.token = adminToken
  return { index, size: Number(process.env[SIZE_ENV]), leader: index === 1, adminToken, adminTokenGenerated: process.env[TOKEN_GENERATED_ENV] === '1' }
}

/**
 * Runs the primary: migrations, then `workers` forks of this same command. Resolves never; exits the
 * process when stopped (0) or when a worker fails before it could listen (1).
 */
export async function runClusterPrimary(config: Config, { workers, log }: { workers: number; log: Logger }): Promise<never> {
  // Migrations run once, here, before any worker opens the database.
  openDatabase(config.database.url, { synchronous: config.database.synchronous, busyTimeoutMs: config.database.busyTimeoutMs }).$client.close()
  const env = {
    [SIZE_ENV]: String(workers),
    [TOKEN_ENV]: config.admin.token ?? randomBytes(24).toString('base64url'),
    [TOKEN_GENERATED_ENV]: config.admin.token ? '0' : '1',
  }
  const indexOf = new Map<ClusterWorker, number>()
  const listened = new Set<ClusterWorker>()
  let stopping: Promise<never> | undefined

  const fork = (index: number) => {
    const worker = cluster.fork({ ...env, [INDEX_ENV]: String(index) })
    indexOf.set(worker, index)
    worker.once('listening', () => listened.add(worker))
  }

  const stop = (code: number) =>
    (stopping ??= (async () => {
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is ClusterWorker => !!w && !w.isDead())
      const exited = Promise.all(alive.map((w) => new Promise((resolve) => (w.isDead() ? resolve(undefined) : w.once('exit', resolve)))))
      for (const w of alive) w.process.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), config.worker.graceMs + STOP_MARGIN_MS)))])
      clearTimeout(timer)
      if (!inTime) {
        log.error('workers still running after the grace period; killing them')
        for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL')
      }
      process.exit(code)
    })())

  cluster.on('exit', (worker, code, signal) => {
    const index = indexOf.get(worker)!
    indexOf.delete(worker)
    if (stopping) return
    if (!listened.has(worker)) {
      log.error({ worker: index, code, signal }, 'a worker exited before it could listen; stopping')
      void stop(1)
      return
    }
    log.error({ worker: index, code, signal }, 'a worker died; starting a new one')
    setTimeout(() => stopping || fork(index), RESTART_DELAY_MS)
  })
  process.once('SIGTERM', () => void stop(0))
  process.once('SIGINT', () => void stop(0))
  for (let i = 1; i <= workers; i++) fork(i)
  return new Promise<never>(() => {})
}
