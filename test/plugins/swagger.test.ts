import SwaggerParser from '@apidevtools/swagger-parser'
import type { RouteOptions } from 'fastify'
import t from 'tap'
import { build } from '../helper.ts'

interface DocumentedOperation {
  tags?: string[]
  security?: Array<Record<string, string[]>>
}

/** Routes a client calls: not hidden from the docs, and not the HEAD twin Fastify adds to every GET. */
function documentable (routes: RouteOptions[]): RouteOptions[] {
  const gets = new Set(routes.filter(r => r.method === 'GET').map(r => r.url))
  return routes.filter(r => !(r.schema as { hide?: boolean } | undefined)?.hide && !(r.method === 'HEAD' && gets.has(r.url)))
}

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}')
const needsCredential = (url: string) => /^\/(admin|metrics|api\/athletes|api\/me)(\/|$)/.test(url)

t.test('the OpenAPI document is valid and lists every registered route', async t => {
  const routes: RouteOptions[] = []
  const app = await build(t, { onRoute: route => { routes.push(route) } })
  const res = await app.inject({ url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const document = res.json()
  await t.resolves(SwaggerParser.validate(structuredClone(document)), 'swagger-parser accepts it')
  t.match(document.openapi, /^3\./)

  const expected = documentable(routes).flatMap(r => [r.method].flat().map(method => `${method} ${openApiPath(r.url)}`))
  t.ok(expected.includes('GET /health'), 'the onRoute hook saw the routes')
  t.ok(expected.includes('GET /admin/athletes'), 'routes in feature plugins are seen too')
  for (const route of expected) {
    const [method, path] = route.split(' ') as [string, string]
    t.ok(document.paths[path]?.[method.toLowerCase()], `${route} is documented`)
  }
})

t.test('every documented operation is tagged, and each route that takes a credential says so', async t => {
  const app = await build(t)
  const document = (await app.inject({ url: '/docs/json' })).json()
  t.match(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' })
  const declaredTags = document.tags.map((tag: { name: string }) => tag.name)
  t.same(declaredTags.sort(), ['activities', 'acwr', 'athletes', 'auth', 'operations', 'pmc', 'strava', 'tokens'])
  for (const [path, operations] of Object.entries<Record<string, DocumentedOperation>>(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      t.ok(operation.tags?.length && operation.tags.every(tag => declaredTags.includes(tag)), `${method} ${path} has a declared tag`)
      if (needsCredential(path)) t.same(operation.security, [{ bearerAuth: [] }], `${method} ${path} declares bearer auth`)
    }
  }
  t.same(document.paths['/health'].get.security, [], '/health is public')
})

t.test('GET /docs serves Swagger UI', async t => {
  const app = await build(t)
  const res = await app.inject({ url: '/docs' })
  const page = res.statusCode === 302 ? await app.inject({ url: res.headers.location as string }) : res
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.match(page.body, /swagger-ui/i)
})

t.test('with NODE_ENV=production /docs and /docs/json are off unless DOCS_ENABLED=true', async t => {
  const routes = ['/docs', '/docs/json', '/docs/static/index.html']
  const production = await build(t, { env: { NODE_ENV: 'production' } })
  for (const url of routes) t.equal((await production.inject({ url })).statusCode, 404, `${url} in production`)
  t.equal((await production.inject({ url: '/health' })).statusCode, 200, 'the API itself still serves')

  const enabled = await build(t, { env: { NODE_ENV: 'production', DOCS_ENABLED: 'true' } })
  t.equal((await enabled.inject({ url: '/docs/json' })).statusCode, 200, 'DOCS_ENABLED=true turns them on in production')
  const disabled = await build(t, { env: { DOCS_ENABLED: 'false' } })
  t.equal((await disabled.inject({ url: '/docs/json' })).statusCode, 404, 'DOCS_ENABLED=false turns them off anywhere')
})
