import type { InjectOptions, RouteOptions } from 'fastify'
import type { HostileCase, RouteUnderTest } from './hostile-cases.ts'
import { routeTable, type BaseRequest, type RouteEntry } from './route-table.ts'

/** An `onRoute` hook that lists every route as one entry per method. */
export function routeCollector (routes: RouteUnderTest[]) {
  return (route: RouteOptions) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, schema: route.schema ?? {}, bodyLimit: route.bodyLimit })
  }
}

export const entryFor = ({ method, url }: RouteUnderTest): RouteEntry | undefined =>
  routeTable[`${method} ${url}`] ?? (method === 'HEAD' ? routeTable[`GET ${url}`] : undefined)

function urlOf (route: RouteUnderTest, request: BaseRequest): string {
  const params = request.params ?? {}
  const wildcard = String(params['*'] ?? '').replaceAll('\u0000', '%00')
  const path = route.url === '*'
    ? `/${wildcard}`
    : route.url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(params[name]))).replace('*', wildcard)
  const query = new URLSearchParams(request.query ?? {}).toString()
  return query ? `${path}?${query}` : path
}

let nextAddress = 0
/** Each request comes from its own address, so failed credentials never add up to a 429 here. */
const freshAddress = () => `10.9.${Math.floor(nextAddress / 250) % 250}.${(nextAddress++ % 250) + 1}`

/** The request for a route; `credential` undefined sends no Authorization header. */
export function injectOptions (route: RouteUnderTest, request: HostileCase['request'], credential: string | undefined): InjectOptions {
  const headers: Record<string, string> = credential === undefined ? {} : { authorization: `Bearer ${credential}` }
  Object.assign(headers, request.headers)
  let payload: string | Buffer | undefined = request.payload
  if (payload === undefined && request.body !== undefined) payload = JSON.stringify(request.body)
  if (payload !== undefined) headers['content-type'] = request.contentType ?? 'application/json'
  return { method: route.method as InjectOptions['method'], url: urlOf(route, request), headers, payload, remoteAddress: freshAddress() }
}
