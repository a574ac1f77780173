// Opening the SQLite database: pragmas, migrations.
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as schema from './schema.ts'

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }
export type Synchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA'

export interface OpenOptions {
  /** `synchronous` pragma (default: NORMAL — durable across process crashes; FULL also across power loss). */
  synchronous?: Synchronous
  /** How long a writer waits for another process's lock before failing (default: 5000). */
  busyTimeoutMs?: number
  /** Apply migrations (default: true). */
  migrate?: boolean
  readonly?: boolean
  /**
   * Page size of a new database file, in bytes (default: 2048); an existing file keeps its own. With
   * 2 KB pages a typical delivery's row (a 2 KB body plus headers) fills its overflow page instead of
   * leaving half of a 4 KB page empty (1.3× the payload on disk instead of 2×), and the random page the
   * dedupe index touches per insert is half as big (see `npm run bench -- worker`).
   */
  pageSize?: number
}

const DEFAULT_PAGE_SIZE = 2048
/** drizzle/ at the package's root: two levels up from src/store/, one from the build in dist/. */
const MIGRATIONS = migrationsFolder(dirname(fileURLToPath(import.meta.url)))

function migrationsFolder(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'drizzle')
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate
    if (dirname(dir) === dir) throw new Error(`no drizzle/meta/_journal.json above ${from}: the package is incomplete`)
  }
}

/** Turns `file:./data/inhook.db`, `./x.db` or `:memory:` into a path for better-sqlite3. */
export function databasePath(url: string): string {
  if (url === ':memory:' || url === 'file::memory:') return ':memory:'
  return url.startsWith('file:') ? url.slice('file:'.length) : url
}

/** Opens (creating when needed) the database file, sets the pragmas and applies migrations. */
export function openDatabase(url: string, options: OpenOptions = {}): Db {
  const path = databasePath(url)
  if (path !== ':memory:' && !options.readonly) mkdirSync(dirname(resolve(path)), { recursive: true })
  const client = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false })
  client.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
  if (!options.readonly) {
    // Only takes effect before the first table is written (and before WAL mode, which fixes it).
    client.pragma(`page_size = ${options.pageSize ?? DEFAULT_PAGE_SIZE}`)
    client.pragma('journal_mode = WAL')
    client.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`)
  }
  client.pragma('foreign_keys = ON')
  client.pragma('cache_size = -16000') // 16 MiB
  const db = drizzle({ client, schema }) as Db
  if (options.migrate !== false && !options.readonly) migrateDatabase(db)
  return db
}

/** Applies the migrations in drizzle/ that the database has not seen. Safe to run concurrently (immediate lock). */
export function migrateDatabase(db: Db): void {
  migrate(db, { migrationsFolder: MIGRATIONS })
}
