#!/usr/bin/env -S node --max-semi-space-size=8
// Entry point of the `inhook` command. Runs the build in dist/ when it matches the sources (see
// dist.mjs); else, e.g. after an edit without `npm run build`, the TypeScript sources themselves,
// through tsx's loader: the same behaviour, with ~40 MiB more memory.
//
// --max-semi-space-size=8 (MiB; Node 20's default is 16): a young generation half the size. Under
// load it costs no throughput that the benchmark can tell, and ~17 MiB of peak RSS less; at 4 it
// cost 15 % (README § Performance). `npm start` passes it too; `node --max-semi-space-size=N
// src/bin.mjs …` sets another size.
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
