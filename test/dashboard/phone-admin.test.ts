import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { demoToday, seedDemoFleet } from '../../src/demo/seed.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import {
  artifacts, docsDir, horizontalOverflow, launch, openPage, seriousAccessibilityViolations, signIn, skipWithoutChromium
} from './browser.ts'

const updateScreenshot = process.env.UPDATE_SCREENSHOT === '1'

t.test('on a 390 × 844 phone the dashboard fits the width, the chart spans it with enough labels, and controls are touch-sized', {
  skip: skipWithoutChromium
}, async t => {
  const app = await build(t)
  const seeded = await seedDemoFleet(app.db, updateScreenshot ? { today: demoToday() } : { today: demoToday(), athletes: 2, days: 120 })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser = await launch(t, { width: 390, height: 844 })
  const { page, pageErrors, cspViolations } = await openPage(browser, url)

  t.equal(await horizontalOverflow(page), 0, 'the sign-in card fits')
  await signIn(page, seeded.demoAthlete.apiKey, seeded.demoAthlete.id)
  await page.waitForSelector('#chart[data-rendered]')
  await page.waitForSelector('#activities .activity')

  t.equal(await horizontalOverflow(page), 0, 'nothing overflows sideways')
  const chartWidth = await page.$eval('#chart .panel-load canvas', canvas => canvas.getBoundingClientRect().width)
  t.ok(chartWidth >= 320, `the chart uses the card's width (${chartWidth} px)`)
  const dayLabels = Number(await page.getAttribute('#chart .panel-load .uplot', 'data-day-labels'))
  t.ok(dayLabels >= 4, `the day axis has enough labels (${dayLabels})`)
  const small = await page.$$eval('button:not([hidden]), select, input:not([type=radio]), .switch label', nodes => nodes
    .filter(node => (node as HTMLElement).offsetParent !== null)
    .map(node => ({ name: (node as HTMLInputElement).name || node.textContent!.trim(), height: node.getBoundingClientRect().height }))
    .filter(({ height }) => height < 44))
  t.same(small, [], 'every visible control is at least 44 px high')
  t.same(await seriousAccessibilityViolations(page), [], 'no serious axe-core findings on the phone layout')

  await page.screenshot({ path: join(artifacts, 'dashboard-phone-full.png'), fullPage: true })
  // The committed phone screenshot is one screenful: the chart as a phone shows it.
  await page.$eval('#acwr', card => card.scrollIntoView())
  const screenshot = join(artifacts, 'dashboard-phone.png')
  await page.screenshot({ path: screenshot })
  if (updateScreenshot) await copyFile(screenshot, join(docsDir, 'dashboard-phone.png'))
  t.same(pageErrors, [], 'no script error on the page')
  t.same(cspViolations, [], 'nothing on the page was refused by the Content-Security-Policy')
})

t.test('an admin searches the athlete picker, and reads the pool and token panels without long wraps', {
  skip: skipWithoutChromium
}, async t => {
  const app = await build(t)
  const seeded = await seedDemoFleet(app.db, { today: demoToday(), athletes: 4, days: 60 })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser = await launch(t)
  const { page, pageErrors, cspViolations } = await openPage(browser, url)

  await signIn(page, TEST_ADMIN_TOKEN)
  await page.waitForSelector('#pool dl')
  await page.waitForSelector('#chart[data-rendered]')
  t.equal(await page.locator('#picker option').count(), seeded.athletes, 'an admin picks among every athlete')
  t.match(await page.textContent('#tokens'), new RegExp(`No token\\s*${seeded.athletes}`), 'the token summary counts the demo athletes')
  t.match(await page.textContent('#pool'), /Utilization/)

  const names = await page.$$eval('#picker option', options => options.map(option => ({ id: (option as HTMLOptionElement).value, label: option.textContent! })))
  const target = names.at(-1)!
  await page.fill('#picker input[type=search]', target.label.split(' ')[0]!)
  const filtered = await page.$$eval('#picker option', options => options.map(option => option.textContent!))
  t.ok(filtered.includes(target.label), `the search finds ${target.label}`)
  t.ok(filtered.length < names.length, 'and leaves out those that do not match')
  const shown = page.waitForResponse(response => response.url().endsWith(`/api/athletes/${target.id}`))
  await page.selectOption('#picker select', target.id)
  await shown
  await page.waitForFunction(name => document.querySelector('#identity')!.textContent!.includes(name), target.label.replace(/ \(#\d+\)$/, ''))
  t.pass('picking an athlete shows that athlete')

  const lines = await page.$$eval('#pool dd, #tokens dd', nodes => nodes.map(node => {
    const lineHeight = parseFloat(getComputedStyle(node).lineHeight) || 18
    return Math.round(node.getBoundingClientRect().height / lineHeight)
  }))
  t.ok(Math.max(...lines) <= 2, `no admin value wraps over more than two lines (${Math.max(...lines)})`)
  t.same(await seriousAccessibilityViolations(page), [], 'no serious axe-core findings for an admin')
  await page.screenshot({ path: join(artifacts, 'dashboard-admin.png'), fullPage: true })
  t.same(pageErrors, [], 'no script error on the page')
  t.same(cspViolations, [], 'nothing on the page was refused by the Content-Security-Policy')
})
