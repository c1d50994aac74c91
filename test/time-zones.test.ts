import t from 'tap'
import { knownTimeZone } from '../src/time-zones.ts'

t.test('a zone the runtime knows resolves to its name, an unknown one to null, the same on every call', async t => {
  t.equal(knownTimeZone('Europe/Madrid'), 'Europe/Madrid')
  t.equal(knownTimeZone('Europe/Madrid'), 'Europe/Madrid')
  t.equal(knownTimeZone('UTC'), 'UTC')
  t.equal(knownTimeZone('Mars/Olympus_Mons'), null)
  t.equal(knownTimeZone('Mars/Olympus_Mons'), null)
  t.equal(knownTimeZone(''), null)
})

t.test('names are matched as the runtime matches them: case-insensitively, and an alias is resolved', async t => {
  t.equal(knownTimeZone('europe/madrid'), 'Europe/Madrid')
  t.ok(['Asia/Kolkata', 'Asia/Calcutta'].includes(knownTimeZone('Asia/Calcutta')!))
})

t.test('past the cache bound, names are still resolved correctly', async t => {
  const names = Array.from({ length: 2500 }, (_, i) => `Nowhere/Place_${i}`)
  t.ok(names.every(name => knownTimeZone(name) === null), 'every unknown name is null')
  t.equal(knownTimeZone('America/New_York'), 'America/New_York')
  t.equal(knownTimeZone('Nowhere/Place_2499'), null)
  t.equal(knownTimeZone('Pacific/Auckland'), 'Pacific/Auckland', 'a known name first asked after the bound')
})
