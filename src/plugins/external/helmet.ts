import { createHash } from 'node:crypto'
import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

/**
 * Swagger UI's top-bar logo is an SVG that carries one <style> element of its own (in
 * @fastify/swagger-ui's swagger-ui-standalone-preset.js). Its hash allows exactly that text
 * and no other inline style; the browser test of /docs fails if an upgrade changes it.
 */
const SWAGGER_LOGO_STYLE = '.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}'
const swaggerLogoStyle = `'sha256-${createHash('sha256').update(SWAGGER_LOGO_STYLE).digest('base64')}'`

/**
 * Security headers on every reply, the dashboard, Swagger UI and the JSON routes alike. Both
 * pages load only their own scripts and styles from this origin (no inline script, no CDN),
 * so the policy allows nothing else: 'self' for scripts, styles, fonts and fetches (plus the
 * one hashed logo style below), and data:
 * images for the favicon and Swagger UI's icons. No page may frame another (clickjacking).
 * upgrade-insecure-requests is left out: a local install serves plain HTTP on 127.0.0.1.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", swaggerLogoStyle]
}

export default fp(async function securityHeaders (app) {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' }
  })
}, { name: 'security-headers' })
