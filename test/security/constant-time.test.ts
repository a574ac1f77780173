// Constant-time comparisons everywhere a secret is compared: a lint over the source of providers/ and
// src/. A signature, token, secret, password, digest or MAC is compared with safeEqual / anyEqual /
// timingSafeEqual (or verified by crypto.verify), never with ===, !==, ==, !=, .equals(), Buffer.compare,
// .includes() or .indexOf() — those return at the first differing byte and leak it through timing.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Names that hold secrets or values derived from them. */
const SECRETISH = /(signature|\bsigs?\b|token|secret|passw(or)?d|digest|hmac|\bmac\b|expected|computed|presented|candidate|\bheader\b|credential|api_?key|authorization)/i

/** An operand that is not a secret whatever its name: literals, lengths, sizes, types, counts, formats. */
const HARMLESS = /^(['"`].*['"`]|-?\d[\d_.]*|null|undefined|true|false|typeof\b.*|.*\.(length|size|byteLength|kind|type|name|version|algorithm|scheme|format|encoding)\)?|.*(Version|Format|Type|Kind|Count|Length|Scheme|Algorithm|Encoding|Prefix|Mode)\)?)$/

/** Source with comments removed and string contents blanked, line numbers kept. */
function stripNoise(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:\\])\/\/.*$/gm, '$1')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, (m) => `${m[0]}${'s'.repeat(Math.max(0, m.length - 2))}${m[0]}`)
    .replace(/`(?:[^`\\]|\\.)*`/g, (m) => m.replace(/[^\n`]/g, 's'))
}

/** Closing parentheses in excess of opening ones (they close a group the operand sits in). */
const unbalanced = (text: string) => Math.max(0, (text.match(/\)/g)?.length ?? 0) - (text.match(/\(/g)?.length ?? 0))

const OPERAND = String.raw`[\w$.?\[\]()]+`
const COMPARISON = new RegExp(String.raw`(${OPERAND})\s*(===|!==|==|!=)\s*(${OPERAND}|'s*'|"s*")`, 'g')
const METHOD = /([\w$.?\]\[)(]+)\.(equals|includes|indexOf|lastIndexOf)\(\s*([^)]*)\)/g
const BUFFER_COMPARE = /Buffer\.compare\(([^,]+),([^)]+)\)/g

/** Every place in `source` where something secret-ish is compared in variable time. */
function variableTimeComparisons(source: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = []
  const lines = stripNoise(source).split('\n')
  /** Grouping parentheses and negation around an operand are not part of it. */
  const clean = (operand: string) => {
    let text = operand.trim().replace(/^[(!]+/, '')
    for (let extra = unbalanced(text); extra > 0 && text.endsWith(')'); extra--) text = text.slice(0, -1)
    return text.trim()
  }
  const harmless = (operand: string) => HARMLESS.test(clean(operand))
  const secret = (operand: string) => SECRETISH.test(operand) && !harmless(operand)
  for (const [i, line] of lines.entries()) {
    for (const m of line.matchAll(COMPARISON)) if ((secret(m[1]!) || secret(m[3]!)) && !harmless(m[1]!) && !harmless(m[3]!)) found.push({ line: i + 1, text: m[0] })
    for (const m of line.matchAll(METHOD)) if (secret(m[3]!) || (secret(m[1]!) && !harmless(m[3]!))) found.push({ line: i + 1, text: m[0] })
    for (const m of line.matchAll(BUFFER_COMPARE)) if (secret(m[1]!) || secret(m[2]!)) found.push({ line: i + 1, text: m[0] })
  }
  return found
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
  })
}

describe('constant-time comparisons', () => {
  it.each([
    ['if (signature === expected) return accept', true],
    ['return header !== sign(secret, body)', true],
    ['const ok = token == presented', true],
    ['if (Buffer.compare(digest, computed) === 0)', true],
    ['return expectedSignature.equals(given)', true],
    ['return secrets.includes(presented)', true],
    ['if (auth.token !== req.headers.get(h)) return reject()', true],
    ['if (signature.length !== 64) return reject()', false],
    ["if (signatureVersion === 'v3') verifyV3()", false],
    ['if (token === undefined) return', false],
    ["if (secret === '') return reject()", false],
    ['if (typeof token !== "string") return', false],
    ['return safeEqual(signature, expected)', false],
    ["// signature === expected is what we must never write", false],
    ["reject('mismatch', 'signature !== expected')", false],
  ])('the lint flags %j: %s', (code, flagged) => {
    expect(variableTimeComparisons(code).length > 0).toBe(flagged)
  })

  it('finds no variable-time comparison of a secret in providers/ or src/', () => {
    const files = [...sourceFiles(join(ROOT, 'providers')), ...sourceFiles(join(ROOT, 'src'))]
    expect(files.length).toBeGreaterThan(50)
    const found = files.flatMap((file) => variableTimeComparisons(readFileSync(file, 'utf8')).map((f) => `${relative(ROOT, file)}:${f.line}: ${f.text}`))
    expect(found, `compare secrets with safeEqual/anyEqual from providers/kit.ts:\n${found.join('\n')}`).toEqual([])
  })
})
