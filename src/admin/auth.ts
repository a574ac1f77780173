// Admin authentication: the bearer token for /api, a signed session cookie for the console.
import { createHash, createHmac, randomBytes } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { safeEqual } from '../../providers/kit.ts'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Constant time whatever the lengths: both sides are hashed first, so even the token's length does not leak. */
export const tokenMatches = (presented: string, token: string): boolean => safeEqual(digest(presented), digest(token))

/** `Authorization: Bearer <token>`, else 401 with no detail. Never a cookie, never a query parameter. */
export function bearerAuth(token: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
    if (!match || !tokenMatches(match[1]!, token)) return c.json({ error: 'unauthorized' }, 401, { 'www-authenticate': 'Bearer', 'cache-control': 'no-store' })
    await next()
  }
}

/** How long a console login lasts. */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60

const mac = (token: string, purpose: string, value: string) => createHmac('sha256', token).update(`${purpose}\0${value}`).digest('base64url')

/**
 * A console session: `<nonce>.<issued>.<mac>`, keyed by the admin token. The cookie never holds the
 * token itself, and changing the token ends every session.
 */
export function createSession(token: string, now: Date): string {
  const body = `${randomBytes(16).toString('base64url')}.${Math.floor(now.getTime() / 1000)}`
  return `${body}.${mac(token, 'session', body)}`
}

/** The session's nonce when the cookie value is one of ours and not expired. */
export function verifySession(token: string, value: string | undefined, now: Date): string | undefined {
  const parts = value?.split('.')
  if (!parts || parts.length !== 3) return undefined
  const [nonce, issued, signature] = parts as [string, string, string]
  if (!safeEqual(signature, mac(token, 'session', `${nonce}.${issued}`))) return undefined
  const age = now.getTime() / 1000 - Number(issued)
  return age >= -60 && age < SESSION_MAX_AGE_SECONDS ? nonce : undefined
}

/** The CSRF token a session's forms carry: bound to the session, derived, nothing stored. */
export const csrfToken = (token: string, nonce: string): string => mac(token, 'csrf', nonce)

export const csrfMatches = (token: string, nonce: string, presented: unknown): boolean => typeof presented === 'string' && safeEqual(presented, csrfToken(token, nonce))
