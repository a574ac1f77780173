// Allowlists cannot be spoofed: CIDR matching (IPv4, IPv6, IPv4-mapped IPv6) and the client address,
// which comes from the socket unless trustProxy says how many proxy hops to believe in X-Forwarded-For.
import { describe, expect, it } from 'vitest'
import { clientAddress, isAllowed, parseCidrs } from '../../src/ingest/allowlist.ts'

describe('isAllowed', () => {
  it.each([
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['11.1.2.3', ['10.0.0.0/8'], false],
    ['192.0.2.7', ['192.0.2.7'], true],
    ['192.0.2.8', ['192.0.2.7'], false],
    ['192.0.2.255', ['192.0.2.0/24'], true],
    ['192.0.3.0', ['192.0.2.0/24'], false],
    ['0.0.0.1', ['0.0.0.0/0'], true],
    ['2001:db8::1', ['0.0.0.0/0'], false],
    ['2001:db8:ffff::1', ['2001:db8::/32'], true],
    ['2001:db9::1', ['2001:db8::/32'], false],
    ['::ffff:10.9.8.7', ['10.0.0.0/8'], true],
    ['::ffff:11.9.8.7', ['10.0.0.0/8'], false],
    ['::1', ['127.0.0.0/8'], false],
    ['127.0.0.1', ['::1'], false],
    ['10.1.2.3', ['192.0.2.0/24', '10.0.0.0/8'], true],
    ['not-an-ip', ['0.0.0.0/0'], false],
    ['', ['0.0.0.0/0'], false],
    [undefined, ['0.0.0.0/0'], false],
    ['10.1.2.3, 10.1.2.4', ['10.0.0.0/8'], false],
  ])('%s in %j → %s', (address, list, expected) => {
    expect(isAllowed(address, parseCidrs(list))).toBe(expected)
  })
})

describe('parseCidrs', () => {
  it.each(['10.0.0.0/33', 'abc', '1.2.3.4/', '2001:db8::/129', '300.1.1.1', ''])('refuses %j, naming it', (entry) => {
    expect(() => parseCidrs([entry])).toThrow(new RegExp(`"${entry.replace(/[./]/g, '\\$&')}" is not an IP address or CIDR range`))
  })
})

describe('clientAddress', () => {
  it.each([
    { case: 'no proxy trusted: X-Forwarded-For is ignored', socket: '127.0.0.1', xff: '10.1.2.3', trust: false, expected: '127.0.0.1' },
    { case: 'one hop: the entry the proxy appended', socket: '127.0.0.1', xff: '10.9.9.9, 192.0.2.7', trust: true, expected: '192.0.2.7' },
    { case: 'two hops: the second entry from the right', socket: '127.0.0.1', xff: '10.9.9.9, 192.0.2.7, 172.16.0.1', trust: 2, expected: '192.0.2.7' },
    { case: 'a junk entry falls back to the socket', socket: '127.0.0.1', xff: 'evil', trust: true, expected: '127.0.0.1' },
    { case: 'no header falls back to the socket', socket: '127.0.0.1', xff: null, trust: true, expected: '127.0.0.1' },
    { case: 'IPv4-mapped socket addresses are unwrapped', socket: '::ffff:192.0.2.1', xff: null, trust: false, expected: '192.0.2.1' },
    { case: 'trustProxy 0 is the same as false', socket: '127.0.0.1', xff: '10.1.2.3', trust: 0, expected: '127.0.0.1' },
  ])('$case', ({ socket, xff, trust, expected }) => {
    expect(clientAddress(socket, xff, trust)).toBe(expected)
  })
})
