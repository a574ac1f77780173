// `npm run bench [-- --quick | --rounds N --seconds S | --only a,b | --bytes N]` — ingest throughput (bench/ingest.ts).
// `npm run bench -- worker [--quick | --rows N]` — worker throughput, listings, disk (bench/worker.ts).
import { parseArgs } from 'node:util'
import { runIngestBench } from './ingest.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '64' },
    threads: { type: 'string', default: '1' },
    only: { type: 'string' },
    rows: { type: 'string' },
    bytes: { type: 'string' },
  },
})

const int = (name: string, value: string | undefined, fallback: number) => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got ${JSON.stringify(value)}`)
  return n
}

const part = positionals[0] ?? 'ingest'
if (part === 'ingest') {
  await runIngestBench({
    rounds: int('rounds', values.rounds, values.quick ? 1 : 3),
    seconds: int('seconds', values.seconds, values.quick ? 3 : 5),
    warmupSeconds: int('warmup', values.warmup, values.quick ? 1 : 2),
    connections: int('connections', values.connections, 64),
    threads: int('threads', values.threads, 1),
    only: values.only?.split(','),
    bytes: values.bytes === undefined ? undefined : int('bytes', values.bytes, 0),
  })
} else if (part === 'worker') {
  const { runWorkerBench } = await import('./worker.ts')
  await runWorkerBench({ quick: values.quick, rows: int('rows', values.rows, values.quick ? 200_000 : 1_000_000) })
} else {
  console.error(`unknown part ${JSON.stringify(part)}: expected ingest (default) or worker`)
  process.exitCode = 1
}
