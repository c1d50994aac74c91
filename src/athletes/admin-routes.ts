import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Database } from '../db/database.ts'
import { ErrorResponse, Id } from '../schemas/common.ts'

const AthleteListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'athletes per page' }),
  cursor: Type.Optional(Type.String({
    pattern: '^[1-9][0-9]{0,15}$',
    description: 'the `nextCursor` of the previous page'
  }))
}, { additionalProperties: false })

const AthleteListItem = Type.Object({
  id: Id('trainload athlete id'),
  stravaAthleteId: Type.Union([Type.Integer(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()])
})

const AthleteList = Type.Object({
  athletes: Type.Array(AthleteListItem),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' })
}, {
  examples: [{ athletes: [{ id: 1, stravaAthleteId: 9000001, name: 'Ada Okafor' }], nextCursor: '1' }]
})

/**
 * One page of athletes in id order. Keyset paging (`id > cursor`) keeps every page an index
 * range scan, however deep the caller pages; one extra row tells whether another page follows.
 */
export async function listAthletesPage (db: Database, { limit, afterId }: { limit: number, afterId?: number }) {
  const rows = await db.selectFrom('athletes')
    .select(['id', 'strava_athlete_id', 'name'])
    .$if(afterId !== undefined, query => query.where('id', '>', afterId!))
    .orderBy('id')
    .limit(limit + 1)
    .execute()
  const page = rows.slice(0, limit)
  return {
    athletes: page.map(row => ({ id: row.id, stravaAthleteId: row.strava_athlete_id, name: row.name })),
    nextCursor: rows.length > limit ? String(page.at(-1)!.id) : null
  }
}

const adminAthleteRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/admin/athletes', {
    schema: {
      tags: ['athletes'],
      summary: 'List athletes, for pickers and operators',
      description: 'Admin only. Pages through athletes in id order.',
      querystring: AthleteListQuery,
      response: { 200: AthleteList, 400: ErrorResponse, 401: ErrorResponse }
    }
  }, async request => {
    const { limit, cursor } = request.query
    return listAthletesPage(app.db, { limit, afterId: cursor === undefined ? undefined : Number(cursor) })
  })
}

export default adminAthleteRoutes
