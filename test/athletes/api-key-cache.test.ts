import t from 'tap'
import { ApiKeyCache } from '../../src/athletes/api-key-cache.ts'

/** A cache on a clock the test moves, over a lookup that counts its calls. */
function cacheWith (ttlMs: number, maxEntries?: number) {
  const clock = { now: 1_000_000 }
  const lookups: string[] = []
  const owners = new Map([['tl_a', { athleteId: 1, keyId: 11 }], ['tl_b', { athleteId: 2, keyId: 22 }], ['tl_c', { athleteId: 3, keyId: 33 }]])
  const cache = new ApiKeyCache(ttlMs, maxEntries, () => clock.now)
  const find = (key: string) => cache.find(key, async k => { lookups.push(k); return owners.get(k) })
  return { clock, lookups, find, cache }
}

t.test('a valid key is looked up once per TTL', async t => {
  const { clock, lookups, find } = cacheWith(2000)
  t.same(await find('tl_a'), { athleteId: 1, keyId: 11 })
  clock.now += 1999
  t.same(await find('tl_a'), { athleteId: 1, keyId: 11 })
  t.same(lookups, ['tl_a'], 'the second use within the TTL is not looked up')
  clock.now += 1
  await find('tl_a')
  t.same(lookups, ['tl_a', 'tl_a'], 'an expired entry is looked up again')
})

t.test('an unknown key is never remembered', async t => {
  const { lookups, find } = cacheWith(2000)
  t.equal(await find('tl_x'), undefined)
  t.equal(await find('tl_x'), undefined)
  t.same(lookups, ['tl_x', 'tl_x'])
})

t.test('a forgotten key is looked up on its next use', async t => {
  const { lookups, find, cache } = cacheWith(2000)
  await find('tl_a')
  await find('tl_b')
  cache.forgetKey(11)
  await find('tl_a')
  await find('tl_b')
  t.same(lookups, ['tl_a', 'tl_b', 'tl_a'])
})

t.test('at most maxEntries keys are kept, the oldest dropped first', async t => {
  const { lookups, find } = cacheWith(2000, 2)
  await find('tl_a')
  await find('tl_b')
  await find('tl_c')
  await find('tl_b')
  await find('tl_a')
  t.same(lookups, ['tl_a', 'tl_b', 'tl_c', 'tl_a'])
})

t.test('a TTL of 0 looks every request up', async t => {
  const { lookups, find } = cacheWith(0)
  await find('tl_a')
  await find('tl_a')
  t.same(lookups, ['tl_a', 'tl_a'])
})
