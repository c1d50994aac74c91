#!/usr/bin/env node
// `npx trainload`: the CLI is TypeScript, run through tsx's loader like `npm start`.
import { register } from 'tsx/esm/api'

register()
await import('./index.ts')
