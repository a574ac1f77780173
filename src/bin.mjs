#!/usr/bin/env node
// Entry point of the `inhook` command. Registers tsx so the TypeScript sources and the user's
// inhook.config.ts and provider modules load without a build step.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./cli.ts')
const code = await main(process.argv)
if (code !== 0) process.exit(code)
