import t from 'tap'
import { build } from '../helper.ts'
import { launch, openPage, skipWithoutChromium } from './browser.ts'

t.test('Swagger UI renders every tag and its operations under the Content-Security-Policy, refusing nothing', {
  skip: skipWithoutChromium
}, async t => {
  const app = await build(t)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser = await launch(t)
  const served = await app.inject({ url: '/docs/static/index.html' })
  t.match(served.headers['content-security-policy'], /frame-ancestors 'none'/, 'the page is served with the CSP')
  const { page, pageErrors, cspViolations } = await openPage(browser, `${url}/docs`)
  await page.waitForSelector('.swagger-ui .info .title')
  t.match(await page.textContent('.swagger-ui .info .title'), /trainload/)
  await page.waitForSelector('.opblock')
  const operations = await page.$$eval('.opblock', blocks => blocks.length)
  t.ok(operations >= 20, `the operations are listed (${operations})`)
  await page.click('.opblock-summary-path >> text=/health')
  await page.waitForSelector('.opblock.is-open .responses-wrapper')
  t.ok(await page.isVisible('.opblock.is-open .responses-wrapper'), 'an operation opens with its responses')
  t.same(pageErrors, [], 'no script error on the page')
  t.same(cspViolations, [], 'nothing on the page was refused by the Content-Security-Policy')
})
