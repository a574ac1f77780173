// Traffic per minute by outcome, drawn as inline SVG (no script, no library).
import type { FC } from 'hono/jsx'

export const OUTCOMES = ['accepted', 'duplicate', 'rejected', 'processed', 'failed'] as const
export type Outcome = (typeof OUTCOMES)[number]
export type MinutePoint = { minute: Date } & Record<Outcome, number>

const COLORS: Record<Outcome, string> = { accepted: '#2563eb', duplicate: '#a855f7', rejected: '#f59e0b', processed: '#16a34a', failed: '#dc2626' }
const WIDTH = 760
const HEIGHT = 220
const PAD = { left: 40, right: 10, top: 10, bottom: 24 }

/** 1, 2, 5, 10, 20, 50… at or above `n`. */
export function niceMax(n: number): number {
  if (n <= 1) return 1
  const magnitude = 10 ** Math.floor(Math.log10(n))
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= n) return step * magnitude
  return 10 * magnitude
}

const hhmm = (d: Date) => d.toISOString().slice(11, 16)

/** Requests (left bar of each minute) and processing outcomes (right bar), stacked. */
const STACKS: Outcome[][] = [['accepted', 'duplicate', 'rejected'], ['processed', 'failed']]

export const TrafficChart: FC<{ points: MinutePoint[] }> = ({ points }) => {
  const n = points.length
  const plotW = WIDTH - PAD.left - PAD.right
  const plotH = HEIGHT - PAD.top - PAD.bottom
  const max = niceMax(Math.max(0, ...points.flatMap((p) => STACKS.map((stack) => stack.reduce((sum, o) => sum + p[o], 0)))))
  const slot = plotW / Math.max(1, n)
  const barW = slot * 0.38
  const x = (i: number) => PAD.left + i * slot
  const h = (v: number) => (v / max) * plotH
  const y = (v: number) => PAD.top + plotH - h(v)
  const totals = Object.fromEntries(OUTCOMES.map((o) => [o, points.reduce((sum, p) => sum + p[o], 0)])) as Record<Outcome, number>
  const quiet = OUTCOMES.every((o) => totals[o] === 0)
  // Each outcome's bars in one group: where they sit in their minute's stack.
  const bars = (o: Outcome) => {
    const stackIndex = STACKS.findIndex((s) => s.includes(o))
    const stack = STACKS[stackIndex]!
    return points.flatMap((p, i) => {
      if (p[o] === 0) return []
      const below = stack.slice(0, stack.indexOf(o)).reduce((sum, b) => sum + p[b], 0)
      return [<rect x={(x(i) + slot * (stackIndex === 0 ? 0.1 : 0.52)).toFixed(1)} y={y(below + p[o]).toFixed(1)} width={barW.toFixed(1)} height={h(p[o]).toFixed(1)} />]
    })
  }
  const label = `Requests and processing per minute over the last ${n} minutes: ${OUTCOMES.map((o) => `${totals[o]} ${o}`).join(', ')}`
  return (
    <div class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} xmlns="http://www.w3.org/2000/svg">
        {[0, 0.5, 1].map((f) => (
          <>
            <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(max * f)} y2={y(max * f)} />
            <text class="axis" x={PAD.left - 6} y={y(max * f) + 3} text-anchor="end">
              {String(Math.round(max * f * 10) / 10)}
            </text>
          </>
        ))}
        {points.map((p, i) =>
          i % 15 === 0 || i === n - 1 ? (
            <text class="axis" x={x(i) + slot / 2} y={HEIGHT - 6} text-anchor={i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle'}>
              {i === n - 1 ? 'now' : `${hhmm(p.minute)} UTC`}
            </text>
          ) : null,
        )}
        {OUTCOMES.map((o) => (
          <g class={`series series-${o}`} data-total={String(totals[o])} fill={COLORS[o]}>
            {bars(o)}
          </g>
        ))}
        {points.map((p, i) => (
          <rect class="hit" x={x(i).toFixed(1)} y={PAD.top} width={slot.toFixed(1)} height={plotH}>
            <title>{`${hhmm(p.minute)} UTC — requests: ${STACKS[0]!.map((o) => `${o} ${p[o]}`).join(', ')}; processing: ${STACKS[1]!.map((o) => `${o} ${p[o]}`).join(', ')}`}</title>
          </rect>
        ))}
        {quiet ? (
          <text class="axis" x={PAD.left + plotW / 2} y={PAD.top + plotH / 2} text-anchor="middle">
            no traffic in the last hour
          </text>
        ) : null}
      </svg>
      <div class="legend">
        <span class="muted">requests (left bar):</span>
        {STACKS[0]!.map((o) => (
          <span>
            <i class={`c-${o}`} />
            {o} <strong>{String(totals[o])}</strong>
          </span>
        ))}
        <span class="muted">processing (right bar):</span>
        {STACKS[1]!.map((o) => (
          <span>
            <i class={`c-${o}`} />
            {o} <strong>{String(totals[o])}</strong>
          </span>
        ))}
      </div>
    </div>
  )
}
