import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'

const publicDir = fileURLToPath(new URL('../../../public', import.meta.url))
// uPlot ships ready-to-use ES modules; serving its dist folder keeps the dashboard free of a build step.
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'))

/** The dashboard at `/`, and the chart library it imports under `/vendor/uplot/`. */
export default fp(async function dashboard (app) {
  await app.register(fastifyStatic, { root: publicDir, prefix: '/', decorateReply: false })
  await app.register(fastifyStatic, {
    root: uplotDir,
    prefix: '/vendor/uplot/',
    decorateReply: false,
    allowedPath: path => /^\/uPlot\.(esm\.js|min\.css)$/.test(path)
  })
}, { name: 'dashboard' })
