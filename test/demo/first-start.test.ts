import t from 'tap'
import { shouldSeedDemo } from '../../src/demo/first-start.ts'

t.test('the embedded default seeds an empty database unless SEED_DEMO=false', async t => {
  t.equal(shouldSeedDemo({ seedDemo: undefined, usesDatabaseUrl: false, hasAthletes: false }), true)
  t.equal(shouldSeedDemo({ seedDemo: true, usesDatabaseUrl: false, hasAthletes: false }), true)
  t.equal(shouldSeedDemo({ seedDemo: false, usesDatabaseUrl: false, hasAthletes: false }), false)
})

t.test('a DATABASE_URL database is seeded only with SEED_DEMO=true', async t => {
  t.equal(shouldSeedDemo({ seedDemo: undefined, usesDatabaseUrl: true, hasAthletes: false }), false)
  t.equal(shouldSeedDemo({ seedDemo: false, usesDatabaseUrl: true, hasAthletes: false }), false)
  t.equal(shouldSeedDemo({ seedDemo: true, usesDatabaseUrl: true, hasAthletes: false }), true)
})

t.test('a database that has athletes is never seeded', async t => {
  for (const seedDemo of [undefined, true, false]) {
    for (const usesDatabaseUrl of [false, true]) {
      t.equal(shouldSeedDemo({ seedDemo, usesDatabaseUrl, hasAthletes: true }), false, `SEED_DEMO=${seedDemo}, DATABASE_URL ${usesDatabaseUrl ? 'set' : 'unset'}`)
    }
  }
})
