import t from 'tap'
import { adminHeaders, bearer, createAthlete } from '../fixtures.ts'
import { build } from '../helper.ts'

t.test('GET /api/me names the athlete of a key, or the admin, and refuses anything else with a 401', async t => {
  const app = await build(t)
  const a = await createAthlete(app)
  const b = await createAthlete(app)
  const me = (headers?: Record<string, string>) => app.inject({ url: '/api/me', headers })

  const asA = await me(bearer(a.apiKey))
  t.equal(asA.statusCode, 200)
  t.same(asA.json(), { kind: 'athlete', athleteId: a.id })
  t.same((await me({ authorization: `bearer ${b.apiKey}` })).json(), { kind: 'athlete', athleteId: b.id })
  t.same((await me(adminHeaders)).json(), { kind: 'admin' })
  t.equal((await me()).statusCode, 401)
  t.equal((await me(bearer('tl_not-a-key-not-a-key-not-a-key00'))).statusCode, 401)
})

t.test('an athlete lists their keys by id, prefix and times, never the key or its hash', async t => {
  const app = await build(t)
  const a = await createAthlete(app)
  const second = (await app.inject({ method: 'POST', url: `/admin/athletes/${a.id}/api-keys`, headers: adminHeaders })).json()
  const other = await createAthlete(app)

  await app.inject({ url: `/api/athletes/${a.id}`, headers: bearer(a.apiKey) })
  const res = await app.inject({ url: `/api/athletes/${a.id}/api-keys`, headers: bearer(a.apiKey) })
  t.equal(res.statusCode, 200)
  const { keys } = res.json()
  t.equal(keys.length, 2, "only A's keys")
  t.same(keys.map((k: { prefix: string }) => k.prefix), [second.prefix, a.apiKey.slice(0, 11)], 'newest first')
  for (const key of keys) t.same(Object.keys(key).sort(), ['createdAt', 'id', 'lastUsedAt', 'prefix', 'revokedAt'])
  t.ok(Date.parse(keys[1].lastUsedAt) > Date.now() - 60_000, 'the key in use has a lastUsedAt')
  t.equal(keys[0].lastUsedAt, null, 'the unused key has none')
  t.equal(keys[0].revokedAt, null)
  t.ok(Date.parse(keys[0].createdAt) > Date.now() - 60_000)
  for (const secret of [a.apiKey, second.apiKey]) t.notMatch(res.body, secret.slice(11), 'no key appears in the list')

  t.equal((await app.inject({ url: `/api/athletes/${a.id}/api-keys`, headers: bearer(other.apiKey) })).statusCode, 403, "B cannot list A's keys")
  t.equal((await app.inject({ url: `/api/athletes/${a.id}/api-keys`, headers: adminHeaders })).json().keys.length, 2, 'the admin can')
  t.equal((await app.inject({ url: '/api/athletes/999999/api-keys', headers: adminHeaders })).statusCode, 404, 'an unknown athlete')
})

t.test('a revoked key stops working at once, and revoking another athlete\'s key is a 404 that changes nothing', async t => {
  const app = await build(t)
  const a = await createAthlete(app)
  const b = await createAthlete(app)
  const spare = (await app.inject({ method: 'POST', url: `/admin/athletes/${a.id}/api-keys`, headers: adminHeaders })).json()
  const keysOf = async (athleteId: number) => (await app.inject({ url: `/api/athletes/${athleteId}/api-keys`, headers: adminHeaders })).json().keys
  const [spareKey] = await keysOf(a.id)
  const [keyOfB] = await keysOf(b.id)
  t.equal((await app.inject({ url: `/api/athletes/${a.id}`, headers: bearer(spare.apiKey) })).statusCode, 200, 'the spare key works')

  const revoked = await app.inject({ method: 'DELETE', url: `/api/athletes/${a.id}/api-keys/${spareKey.id}`, headers: bearer(a.apiKey) })
  t.equal(revoked.statusCode, 204)
  t.equal(revoked.body, '')
  t.equal((await app.inject({ url: `/api/athletes/${a.id}`, headers: bearer(spare.apiKey) })).statusCode, 401, 'the revoked key is refused on the next request')
  t.equal((await app.inject({ url: '/api/me', headers: bearer(spare.apiKey) })).statusCode, 401)
  const listed = (await keysOf(a.id)).find((k: { id: number }) => k.id === spareKey.id)
  t.ok(Date.parse(listed.revokedAt) > Date.now() - 60_000, 'the list shows when it was revoked')
  const again = await app.inject({ method: 'DELETE', url: `/api/athletes/${a.id}/api-keys/${spareKey.id}`, headers: bearer(a.apiKey) })
  t.equal(again.statusCode, 204, 'revoking it again is harmless')
  t.equal((await keysOf(a.id)).find((k: { id: number }) => k.id === spareKey.id).revokedAt, listed.revokedAt, 'and keeps the first revocation time')

  const foreign = await app.inject({ method: 'DELETE', url: `/api/athletes/${a.id}/api-keys/${keyOfB.id}`, headers: bearer(a.apiKey) })
  t.equal(foreign.statusCode, 404)
  t.match(foreign.json().message, /keyId/)
  t.equal((await app.inject({ url: `/api/athletes/${b.id}`, headers: bearer(b.apiKey) })).statusCode, 200, "B's key still works")
  t.equal((await app.inject({ method: 'DELETE', url: `/api/athletes/${b.id}/api-keys/${keyOfB.id}`, headers: bearer(a.apiKey) })).statusCode, 403, "A's key on B's route")
  t.equal((await app.inject({ method: 'DELETE', url: `/api/athletes/${a.id}/api-keys/999999`, headers: bearer(a.apiKey) })).statusCode, 404, 'an unknown key')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/athletes/${a.id}/api-keys/abc`, headers: bearer(a.apiKey) })).statusCode, 400, 'a key id that is not an id')

  t.equal((await app.inject({ method: 'DELETE', url: `/api/athletes/${a.id}/api-keys/${(await keysOf(a.id))[1].id}`, headers: bearer(a.apiKey) })).statusCode, 204, 'an athlete may revoke the key they call with')
  t.equal((await app.inject({ url: `/api/athletes/${a.id}`, headers: bearer(a.apiKey) })).statusCode, 401, 'after which it is refused too')
})
