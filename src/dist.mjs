// The runtime build: src/ and providers/ compiled by esbuild into dist/, which `inhook` runs when it
// is up to date with the sources (src/bin.mjs). Running the sources needs tsx's module loader, a
// thread that stays for the life of the process and holds every module it compiled: ~40 MiB of the
// gateway's memory (README § Performance). `npm install` builds dist/ (the `prepare` script);
// `npm run build` rebuilds it. Plain JavaScript, like bin.mjs: it runs before any TypeScript loads.
import { createHash } from 'node:crypto'
import { copyFileSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const DIST = join(ROOT, 'dist')
const SOURCE_DIRS = ['src', 'providers']
const STAMP = '.sources'
/** Plain JavaScript files loaded by URL beside the module that starts them (worker threads), and what they import. */
const THREAD_FILES = ['src/store/append-thread-worker.mjs', 'src/store/checkpointer-thread.mjs', 'src/store/checkpoint-pace.mjs']

function sourceFiles(dir, dirs = SOURCE_DIRS) {
  const files = []
  for (const name of dirs) {
    const path = join(dir, name)
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) files.push(...sourceFiles(path, [entry.name]))
      else if (/\.(m?[jt]sx?)$/.test(entry.name)) files.push(join(path, entry.name))
    }
  }
  return files
}

/** What the sources under `root` are now: every file's path, size and modification time, hashed. */
export function sourceStamp(root = ROOT) {
  const hash = createHash('sha256')
  for (const file of sourceFiles(root).sort()) {
    const { size, mtimeMs } = statSync(file)
    hash.update(`${relative(root, file)}\0${size}\0${mtimeMs}\n`)
  }
  return hash.digest('hex')
}

/** True when `dist` was built from the sources under `root` as they are now. */
export function isDistFresh(root = ROOT, dist = join(root, 'dist')) {
  try {
    return readFileSync(join(dist, STAMP), 'utf8') === sourceStamp(root)
  } catch {
    return false
  }
}

/** Builds dist/ beside the old one, then swaps it in, so a process starting meanwhile never sees half of it. */
export async function buildDist() {
  const { build } = await import('esbuild')
  // Taken before the build reads the sources: an edit meanwhile leaves dist/ stale, not wrongly fresh.
  const stamp = sourceStamp()
  const next = `${DIST}.${process.pid}.tmp`
  rmSync(next, { recursive: true, force: true })
  await build({
    absWorkingDir: ROOT,
    entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts' },
    outdir: next,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  })
  for (const file of THREAD_FILES) copyFileSync(join(ROOT, file), join(next, file.split('/').pop()))
  writeFileSync(join(next, STAMP), stamp)
  const old = `${DIST}.${process.pid}.old`
  try {
    renameSync(DIST, old)
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
  }
  try {
    renameSync(next, DIST)
  } catch (error) {
    // Another build swapped its own in meanwhile: built from the same sources, it serves as well.
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error
    rmSync(next, { recursive: true, force: true })
  }
  rmSync(old, { recursive: true, force: true })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now()
  await buildDist()
  process.stdout.write(`built dist/ in ${Math.round(performance.now() - started)} ms\n`)
}
