// Step 5: optional CIDR allowlist per source (IPv4 and IPv6; IPv4-mapped IPv6 addresses match IPv4 ranges).
import ipaddr from 'ipaddr.js'

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** Parses CIDRs (a bare address is a /32 or /128). Throws a RangeError naming the bad entry. */
export function parseCidrs(list: string[]): Cidr[] {
  return list.map((entry) => {
    const text = entry.trim()
    try {
      if (text.includes('/')) return ipaddr.parseCIDR(text) as Cidr
      const address = ipaddr.parse(text)
      return [address, address.kind() === 'ipv4' ? 32 : 128] as Cidr
    } catch {
      throw new RangeError(`"${entry}" is not an IP address or CIDR range (e.g. 192.0.2.0/24 or 2001:db8::/32)`)
    }
  })
}

/** Normalises an address, unwrapping IPv4-mapped IPv6 (`::ffff:1.2.3.4`); undefined when unparsable. */
export function parseAddress(address: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!address || !ipaddr.isValid(address)) return undefined
  return ipaddr.process(address)
}

/** True when `address` lies in one of `cidrs`. An unparsable address matches nothing. */
export function isAllowed(address: string | undefined, cidrs: Cidr[]): boolean {
  const parsed = parseAddress(address)
  if (!parsed) return false
  return cidrs.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits))
}

/**
 * The client address: the socket's peer, or — only when `trustProxy` is set — the address the
 * trusted proxy saw, i.e. the `trustProxy`-th entry from the right of X-Forwarded-For (true = 1 hop).
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | null, trustProxy: boolean | number): string | undefined {
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy
  if (hops > 0 && forwardedFor) {
    const chain = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean)
    const entry = chain[chain.length - hops] ?? chain[0]
    if (entry && ipaddr.isValid(entry)) return ipaddr.process(entry).toString()
  }
  return socketAddress && ipaddr.isValid(socketAddress) ? ipaddr.process(socketAddress).toString() : socketAddress
}
