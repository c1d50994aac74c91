import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { demoToday, seedDemoFleet } from '../../src/demo/seed.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'

const CHROMIUM = '/usr/bin/chromium'
const artifacts = new URL('../artifacts/', import.meta.url).pathname
const committedScreenshot = new URL('../../docs/dashboard.png', import.meta.url).pathname
// Refreshing the committed screenshot seeds the whole demo fleet, as a first `npm start` does;
// the regular run seeds two athletes over four months.
const updateScreenshot = process.env.UPDATE_SCREENSHOT === '1'

/** Pixels on the chart canvas in the acute series' stroke colour (#d9480f): a drawn line, not an empty frame. */
function acuteLinePixels (page: Page): Promise<number> {
  return page.$eval('#chart canvas', canvas => {
    const { data } = (canvas as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (canvas as HTMLCanvasElement).width, (canvas as HTMLCanvasElement).height)
    let count = 0
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i]! - 0xd9) < 24 && Math.abs(data[i + 1]! - 0x48) < 24 && Math.abs(data[i + 2]! - 0x0f) < 24) count++
    }
    return count
  })
}

const rendered = (page: Page) => page.$eval('#chart', chart => (chart as HTMLElement).dataset.rendered ?? '')

t.test('the dashboard signs in with an API key, draws the ACWR chart, redraws it after a settings change, and gives admins the picker and panels', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian's chromium package to run the browser test`
}, async t => {
  const app = await build(t)
  const seeded = await seedDemoFleet(app.db, updateScreenshot ? { today: demoToday() } : { today: demoToday(), athletes: 2, days: 120 })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })

  const userDataDir = await mkdtemp(join(tmpdir(), 'trainload-chromium-'))
  t.teardown(() => rm(userDataDir, { recursive: true, force: true }))
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
    viewport: { width: 1280, height: 900 }
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', err => pageErrors.push(err.message))

  await page.goto(url)
  await page.fill('input[name=credential]', seeded.demoAthlete.apiKey)
  await page.fill('input[name=athleteId]', String(seeded.demoAthlete.id))
  await page.click('#sign-in-form button[type=submit]')

  await page.waitForSelector('#chart[data-rendered]')
  const before = await rendered(page)
  t.match(before, /^rolling\/7\/28\/external\/\d+$/, 'the default model and windows are drawn')
  t.ok(Number(before.split('/').at(-1)) > 60, `the chart covers the seeded days (${before})`)
  t.ok(await acuteLinePixels(page) > 200, 'the canvas shows the acute series')
  t.match(await page.textContent('#model'), /Model rolling: acute 7 days, chronic 28 days/)
  t.match(await page.textContent('#status .zone'), /^(low|optimal|high|danger)$/, 'today\'s status shows a zone')

  await page.fill('#settings-form input[name=chronicDays]', '42')
  await page.click('#settings-form button[type=submit]')
  await page.waitForFunction(previous => document.querySelector<HTMLElement>('#chart')!.dataset.rendered !== previous, before)
  t.match(await rendered(page), /^rolling\/7\/42\/external\/\d+$/, 'the chart is redrawn from the recomputed series')
  t.match(await page.textContent('#model'), /chronic 42 days/, 'the new window is shown')
  // The note follows the chart and the status card, which load side by side.
  const savedNote = await page.waitForFunction(() => /Saved/.test(document.querySelector('#settings-form .note')?.textContent ?? ''), undefined, { timeout: 5000 })
    .then(() => true, () => false)
  t.ok(savedNote, 'the form says the settings were saved')
  t.ok(await acuteLinePixels(page) > 200, 'the redrawn canvas shows the acute series')

  await mkdir(artifacts, { recursive: true })
  await page.screenshot({ path: join(artifacts, 'dashboard-athlete.png'), fullPage: true })

  await page.click('#sign-out')
  await page.fill('input[name=credential]', TEST_ADMIN_TOKEN)
  await page.fill('input[name=athleteId]', String(seeded.demoAthlete.id))
  await page.click('#sign-in-form button[type=submit]')
  await page.waitForSelector('#pool dl')
  t.equal(await page.locator('#picker option').count(), seeded.athletes, 'an admin picks among every athlete')
  t.equal(await page.inputValue('#picker select'), String(seeded.demoAthlete.id))
  t.match(await page.textContent('#pool'), /Utilization/, 'the live pool panel is filled')
  t.match(await page.textContent('#tokens'), new RegExp(`No token\\s*${seeded.athletes}`), 'the token summary counts the demo athletes')
  await page.waitForSelector('#chart[data-rendered]')
  t.same(pageErrors, [], 'no script error on the page')

  const screenshot = join(artifacts, 'dashboard.png')
  await page.screenshot({ path: screenshot, fullPage: true })
  if (updateScreenshot) await copyFile(screenshot, committedScreenshot)
})
