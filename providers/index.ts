// The registry of built-in providers. Users add their own modules through `providers: [...]`
// in the config; built-ins are not special.
import type { Provider, Unverifiable } from './kit.ts'
import { github } from './github.ts'

export * from './kit.ts'

export const builtinProviders: Provider[] = [
  github,
]

/** Providers that cannot be verified offline by design, or whose senders are gone. */
export const unverifiable: Unverifiable[] = []

/** Finds a built-in provider by name. */
export const findProvider = (name: string, extra: Provider[] = []): Provider | undefined =>
  extra.find((p) => p.name === name) ?? builtinProviders.find((p) => p.name === name)
