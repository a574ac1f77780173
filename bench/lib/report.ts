// Shared helpers for results: medians, machine description, JSON and markdown files.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url))
export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url))

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  wrk?: string
  commit: string
  date: string
}

export function describeMachine(): Machine {
  const wrk = spawnSync('wrk', ['--version'], { encoding: 'utf8' })
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_DIR, encoding: 'utf8' }).trim()
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    wrk: wrk.error ? undefined : /wrk (\S+)/.exec(`${wrk.stdout}${wrk.stderr}`)?.[1],
    commit,
    date: new Date().toISOString(),
  }
}

export const machineLine = (m: Machine) =>
  `${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}${m.wrk ? `, wrk ${m.wrk}` : ', autocannon'}, commit ${m.commit}, ${m.date.slice(0, 16).replace('T', ' ')} UTC`

/** Writes bench/results/<name>-<date>.json; returns its path. */
export function writeJson(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = `${RESULTS_DIR}${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n')
  return file
}

/** Replaces (or appends) one section of bench/results/latest.md, keeping the other part's section. */
export function writeLatestSection(section: 'ingest' | 'worker', markdown: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = `${RESULTS_DIR}latest.md`
  const begin = `<!-- ${section} -->`
  const end = `<!-- /${section} -->`
  const block = `${begin}\n${markdown.trim()}\n${end}`
  const old = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const at = old.indexOf(begin)
  const next = at === -1 ? `${old.trim() ? `${old.trim()}\n\n` : ''}${block}\n` : old.slice(0, at) + block + old.slice(old.indexOf(end, at) + end.length)
  // Ingest first, worker second, whatever order the runs happened in.
  const sections = ['ingest', 'worker'].map((s) => new RegExp(`<!-- ${s} -->[\\s\\S]*?<!-- /${s} -->`).exec(next)?.[0]).filter(Boolean)
  writeFileSync(file, sections.join('\n\n') + '\n')
  return file
}

/** A plain-text table, columns padded (the terminal output). */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export const markdownTable = (header: string[], rows: string[][]) =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
