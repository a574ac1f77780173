// The registry of built-in providers. Users add their own modules through `providers: [...]`
// in the config; built-ins are not special.
import type { Provider, Unverifiable } from './kit.ts'
import { github } from './github.ts'
// imports: batch A
// imports: batch B
// imports: batch C
// imports: batch D
// imports: batch E
// imports: batch F

export * from './kit.ts'

export const builtinProviders: Provider[] = [
  github,
  // providers: batch A
  // providers: batch B
  // providers: batch C
  // providers: batch D
  // providers: batch E
  // providers: batch F
]

/** Providers that cannot be verified offline by design, or whose senders are gone. */
export const unverifiable: Unverifiable[] = [
  // unverifiable: any batch
]

/** Finds a provider by name, user modules first. */
export const findProvider = (name: string, extra: Provider[] = []): Provider | undefined =>
  extra.find((p) => p.name === name) ?? builtinProviders.find((p) => p.name === name)
