import { readdir, readFile } from 'node:fs/promises'
import t from 'tap'
import { build } from '../helper.ts'

const publicDir = new URL('../../public/', import.meta.url)

t.test('GET / serves the dashboard page without a credential', async t => {
  const app = await build(t)
  const res = await app.inject({ url: '/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, /<script type="module" src="\/app\.js">/)
  t.match(res.body, /href="\/vendor\/uplot\/uPlot\.min\.css"/)
})

t.test('every module and stylesheet the dashboard loads is served, from this origin only', async t => {
  const app = await build(t)
  const files = (await readdir(publicDir)).filter(name => /\.(js|html|css)$/.test(name))
  const sources = await Promise.all(files.map(async name => [name, await readFile(new URL(name, publicDir), 'utf8')] as const))
  const references = new Set<string>()
  for (const [name, source] of sources) {
    t.notMatch(source, /(src|href|from)\s*=?\s*["']https?:/, `${name} loads nothing from another origin`)
    for (const [, path] of source.matchAll(/(?:from\s+|src=|href=)["']((?:\.\/|\/)[^"']+)["']/g)) references.add(path!.replace(/^\.\//, '/'))
  }
  t.ok(references.has('/vendor/uplot/uPlot.esm.js'), 'the chart library is imported')
  // /auth/strava is the OAuth login route (a redirect to Strava), not a file.
  references.delete('/auth/strava')
  for (const path of references) {
    const res = await app.inject({ url: path })
    t.equal(res.statusCode, 200, `${path} is served`)
    if (path.endsWith('.js')) t.match(res.headers['content-type'], /javascript/, `${path} is served as JavaScript`)
  }
})

t.test('only uPlot\'s browser files are served from node_modules', async t => {
  const app = await build(t)
  t.equal((await app.inject({ url: '/vendor/uplot/uPlot.cjs.js' })).statusCode, 404)
  t.equal((await app.inject({ url: '/vendor/uplot/../../package.json' })).statusCode, 404)
})
