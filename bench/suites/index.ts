import type { Suite } from '../harness.ts'
import { activitiesSuite } from './activities.ts'
import { acwrSuite } from './acwr.ts'
import { apiSuite } from './api.ts'
import { importSuite } from './import.ts'
import { poolSuite } from './pool.ts'
import { stormSuite } from './storm.ts'
import { syncSuite } from './sync.ts'
import { tokensSuite } from './tokens.ts'

/** Every suite, in the order `npm run bench` runs them. */
export const suites: readonly Suite[] = [
  poolSuite,
  activitiesSuite,
  acwrSuite,
  apiSuite,
  tokensSuite,
  importSuite,
  stormSuite,
  syncSuite
]
