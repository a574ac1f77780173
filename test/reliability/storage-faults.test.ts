// Storage faults: the database file turns read-only, the disk fills up. Ingest answers 503 with
// Retry-After — never 200 — /readyz says not ready, and both recover by themselves once the fault
// clears, without a restart. (A database locked beyond busy_timeout: test/ingest/ingest.test.ts.)
//
// Real faults where the machine allows them (root: `chattr +i` makes even open files refuse writes;
// a tiny tmpfs fills up); SQLite's own guards everywhere (`PRAGMA query_only` gives SQLITE_READONLY,
// `PRAGMA max_page_count` gives SQLITE_FULL, both genuine SQLite errors on the gateway's connections).
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestGateway, tempDir, type TestGateway } from '../helpers/gateway.ts'
import { githubDelivery } from '../helpers/wire.ts'

const SECRET = 'storage-fault-secret'
const sources = { github: { provider: 'github', secret: SECRET } }

/** True when `cmd args` succeeds (used to probe what this machine lets us do). */
function can(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const canChattr = (() => {
  const { dir, cleanup } = tempDir('inhook-chattr-probe-')
  const file = join(dir, 'probe')
  writeFileSync(file, '')
  const ok = can('chattr', ['+i', file]) && can('chattr', ['-i', file])
  cleanup()
  return ok
})()

const canMountTmpfs = (() => {
  const { dir, cleanup } = tempDir('inhook-mount-probe-')
  const ok = can('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]) && can('umount', [dir])
  cleanup()
  return ok
})()

async function deliveriesUnderFault(gw: TestGateway, prefix: string, count = 8) {
  const answers = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const res = await gw.send('github', await githubDelivery(SECRET, JSON.stringify({ i, pad: 'x'.repeat(20_000) }), `${prefix}-${i}`))
      return { status: res.status, retryAfter: res.headers.get('retry-after') }
    }),
  )
  return answers
}

const ready = async (gw: TestGateway) => (await fetch(`${gw.url}/readyz`)).status

/** The promise, for any fault: 503 + Retry-After and not ready while it lasts; 200 and ready once it clears. */
async function expectFaultThenRecovery(gw: TestGateway, prefix: string, clear: () => unknown) {
  const during = await deliveriesUnderFault(gw, prefix)
  expect(during.map((a) => a.status)).toEqual(during.map(() => 503))
  expect(during.every((a) => Number(a.retryAfter) > 0)).toBe(true)
  expect(await ready(gw)).toBe(503)
  await clear()
  // No restart: the same gateway, the same connection. The provider's retry of each delivery is stored once.
  const after = await deliveriesUnderFault(gw, prefix)
  expect(after.map((a) => a.status)).toEqual(after.map(() => 200))
  expect(await ready(gw)).toBe(200)
  const stored = (await gw.store.list({ limit: 500 })).items.filter((e) => e.deliveryId?.startsWith(`${prefix}-`))
  expect(stored).toHaveLength(during.length)
}

describe('storage faults', () => {
  let gw: TestGateway | undefined
  /** Undone before the gateway closes (the fault) and after (what holds its files). */
  const clearFault: (() => void)[] = []
  const release: (() => void)[] = []
  afterEach(async () => {
    for (const f of clearFault.splice(0)) f()
    await gw?.close()
    gw = undefined
    for (const f of release.splice(0)) f()
  })

  it('read-only database (PRAGMA query_only): 503, not ready, recovers when writable again', async () => {
    gw = await startTestGateway({ sources })
    const store = gw.store
    await store.pragma('query_only = ON')
    await expectFaultThenRecovery(gw, 'query-only', () => store.pragma('query_only = OFF'))
  })

  it('disk full (PRAGMA max_page_count): 503, not ready, recovers when space is back', async () => {
    gw = await startTestGateway({ sources })
    const client = gw.store.db.$client
    const pages = client.pragma('page_count', { simple: true }) as number
    const max = client.pragma('max_page_count', { simple: true }) as number
    await gw.store.pragma(`max_page_count = ${pages}`)
    await expectFaultThenRecovery(gw, 'page-limit', () => gw!.store.pragma(`max_page_count = ${max}`))
  })

  it.skipIf(!canChattr)('database file made read-only underneath the running gateway (chattr +i): 503, not ready, recovers', async () => {
    gw = await startTestGateway({ sources })
    // The -shm file is memory-mapped: making it immutable would fault the process, not fail a write.
    const files = [gw.dbFile, `${gw.dbFile}-wal`]
    execFileSync('chattr', ['+i', ...files])
    let locked = true
    const unlock = () => {
      if (locked) execFileSync('chattr', ['-i', ...files])
      locked = false
    }
    clearFault.push(unlock)
    await expectFaultThenRecovery(gw, 'immutable', unlock)
  })

  it.skipIf(!canMountTmpfs)('disk full on a tiny file system: 503, not ready, recovers when space is freed', async () => {
    const { dir, cleanup } = tempDir('inhook-full-')
    const mount = join(dir, 'fs')
    mkdirSync(mount)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount])
    release.push(() => {
      execFileSync('umount', [mount])
      cleanup()
    })
    gw = await startTestGateway({ database: { url: `file:${join(mount, 'inhook.db')}` }, sources })
    const filler = join(mount, 'filler')
    // Fill every byte left; the write stops at ENOSPC.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' })
    } catch {
      // dd exits non-zero when the disk is full: that is the point
    }
    clearFault.push(() => rmSync(filler, { force: true }))
    await expectFaultThenRecovery(gw, 'disk-full', () => rmSync(filler))
  })
})
