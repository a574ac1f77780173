// How a stored body is shown: UTF-8 text when it is, base64 otherwise; JSON and form fields pretty-printed.
import type { WebhookEvent } from '../store/store.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The body as text when it is valid UTF-8; undefined for binary bodies. */
export function bodyText(body: Uint8Array): string | undefined {
  try {
    return utf8.decode(body)
  } catch {
    return undefined
  }
}

/** The request's Content-Type as stored, or undefined. */
export const contentType = (event: Pick<WebhookEvent, 'headers'>): string | undefined => event.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1]

export type PrettyBody =
  | { kind: 'json'; text: string }
  | { kind: 'form'; fields: [string, string][] }
  | { kind: 'text'; text: string }
  | { kind: 'binary' }
  | { kind: 'empty' }

/** JSON pretty-printed, form fields listed (values that are JSON pretty-printed too), else the text. */
export function prettyBody(body: Uint8Array, type: string | undefined): PrettyBody {
  if (body.length === 0) return { kind: 'empty' }
  const text = bodyText(body)
  if (text === undefined) return { kind: 'binary' }
  const json = tryJson(text)
  if (json !== undefined && /^\s*[[{]/.test(text)) return { kind: 'json', text: json }
  if (type?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const fields: [string, string][] = []
    for (const [name, value] of new URLSearchParams(text)) fields.push([name, /^\s*[[{]/.test(value) ? (tryJson(value) ?? value) : value])
    return { kind: 'form', fields }
  }
  return { kind: 'text', text }
}

function tryJson(text: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return undefined
  }
}
