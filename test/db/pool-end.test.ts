import { sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { createDatabase, endWhenClosed } from '../../src/db/database.ts'
import { createTestDatabase, testConfig } from '../helper.ts'

/**
 * Counts the pool's connections and those whose socket has closed. pg tells of a closed
 * socket on the next tick, before any further I/O: `settled` waits for that tick only.
 */
function watch (pool: pg.Pool) {
  const counts = { opened: 0, closed: 0 }
  pool.on('connect', client => {
    counts.opened++
    client.once('end', () => { counts.closed++ })
  })
  return counts
}

const settled = () => new Promise(resolve => process.nextTick(resolve))

t.test('ending a pool resolves only once every connection it opened has closed its socket', async t => {
  const url = await createTestDatabase(t)
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  const end = endWhenClosed(pool)
  const counts = watch(pool)
  const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()])
  for (const client of clients) client.release()
  await end()
  await settled()
  t.same(counts, { opened: 3, closed: 3 }, 'three idle connections, all closed when end resolved')
})

t.test('so does destroying the database handle', async t => {
  const url = await createTestDatabase(t)
  const { pool, db } = createDatabase(url, testConfig(), () => {})
  const counts = watch(pool)
  await Promise.all([1, 2].map(n => sql`select ${n}::int`.execute(db)))
  await db.destroy()
  await settled()
  t.same(counts, { opened: 2, closed: 2 }, 'both idle connections closed when destroy resolved')
})
