#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=8 --heap-growing-percent=50
// Entry point of the `inhook` command. Runs the build in dist/ when it matches the sources (see
// dist.mjs); else, e.g. after an edit without `npm run build`, the TypeScript sources themselves,
// through tsx's loader: the same behaviour, with ~40 MiB more memory.
//
// Memory under load (README § Performance), set by the shebang above (`npm start` runs this file as a
// command too); `node <flags> src/bin.mjs …` sets others:
// - --max-semi-space-size=8 (MiB; Node 20's default is 16): a young generation half the size. No
//   throughput that the benchmark can tell, ~17 MiB of peak RSS less; at 4 it cost 15 %.
// - --heap-growing-percent=50: after a full collection the old generation may grow to 1.5 × what
//   survived, where V8 picks up to 4 × on its own. The live heap under load is ~20 MiB; with the
//   worker loop on, the garbage it let pile up made ~20 MiB of the peak RSS (5 interleaved pairs,
//   throughput the same).
// - MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (the HTTP thread, the append thread,
//   the checkpointer, libuv's pool) an arena of its own, which fragments: ~10 MiB of peak RSS less
//   with two (2 pairs), throughput the same.
import { isDistFresh } from './dist.mjs'

const fromSource = process.env.INHOOK_FROM_SOURCE === '1'
let cli
if (!fromSource && isDistFresh()) {
  cli = await import('../dist/cli.js')
} else {
  if (process.argv[2] === 'serve' && !fromSource)
    process.stderr.write('inhook: dist/ is missing or older than the sources; running the sources through tsx (`npm run build` to build)\n')
  const { register } = await import('tsx/esm/api')
  register()
  cli = await import('./cli.ts')
}
const code = await cli.main(process.argv)
if (code !== 0) process.exit(code)
