import t from 'tap'
import pg from 'pg'
import { buildApp } from '../../src/app.ts'
import { SchemaMismatchError, expectedSchema } from '../../src/db/schema-check.ts'
import { createTestDatabase, testConfig } from '../helper.ts'

async function execute (url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(statement).finally(() => client.end())
}

t.test('the expected schema is read from the generated types', async t => {
  const schema = expectedSchema()
  t.same([...schema.keys()].sort(), ['activities', 'acwr_daily', 'api_keys', 'athletes', 'oauth_states', 'strava_rate_budget', 'strava_sync_state', 'strava_tokens', 'strava_webhook_events', 'token_events'])
  t.ok(schema.get('activities')?.includes('trimp'))
  t.ok(schema.get('strava_tokens')?.includes('refresh_claimed_until'))
})

t.test('a missing column stops the start, named with the command that fixes it', async t => {
  const url = await createTestDatabase(t)
  await execute(url, 'alter table activities drop column trimp')
  await execute(url, 'drop table token_events')

  const err = await buildApp({ config: testConfig(), databaseUrl: url }).then(() => undefined, e => e)
  t.type(err, SchemaMismatchError)
  t.same(err.missing, ['column activities.trimp', 'table token_events'])
  t.match(err.message, /column activities\.trimp/)
  t.match(err.message, /table token_events/)
  t.match(err.message, /npm run db:migrate/)
})

t.test('a complete schema starts', async t => {
  const url = await createTestDatabase(t)
  const app = await buildApp({ config: testConfig(), databaseUrl: url })
  t.teardown(() => app.close())
  await app.ready()
  t.ok(app.db)
})
