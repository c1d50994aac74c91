import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { demoToday, seedDemoFleet } from '../../src/demo/seed.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import {
  ACUTE_RGB, artifacts, CTL_RGB, docsDir, launch, openPage, pixelsOfColour, rendered, seriousAccessibilityViolations, signIn, skipWithoutChromium
} from './browser.ts'

// Refreshing the committed screenshot seeds the whole demo fleet, as a first `npm start` does;
// the regular run seeds two athletes over four months.
const updateScreenshot = process.env.UPDATE_SCREENSHOT === '1'
const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }

/** An athlete with `days` days of daily runs ending today (UTC), and a key of their own. */
async function newAthlete (app: Awaited<ReturnType<typeof build>>, days: number) {
  const upsert = await app.inject({ method: 'PUT', url: '/admin/athletes', headers: admin, payload: { athletes: [{ stravaAthleteId: 990_001, name: 'New Runner', timezone: 'UTC' }] } })
  const { id } = upsert.json().athletes[0]
  const { apiKey } = (await app.inject({ method: 'POST', url: `/admin/athletes/${id}/api-keys`, headers: admin })).json()
  const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`)
  const activities = Array.from({ length: days }, (_, i) => ({
    id: 880_000 + i,
    sportType: 'Run',
    startDateLocal: `${new Date(today - i * 86_400_000).toISOString().slice(0, 10)}T07:00:00`,
    movingTimeS: 2400,
    distanceM: 8000,
    averageHeartrate: 148
  }))
  const put = await app.inject({ method: 'PUT', url: `/api/athletes/${id}/activities`, headers: { authorization: `Bearer ${apiKey}` }, payload: { activities } })
  if (put.statusCode !== 200) throw new Error(put.body)
  return { id, apiKey }
}

t.test('an athlete reads the zone explained, the ACWR chart, the activity list and the settings, with no serious accessibility findings', {
  skip: skipWithoutChromium
}, async t => {
  const app = await build(t)
  const seeded = await seedDemoFleet(app.db, updateScreenshot ? { today: demoToday() } : { today: demoToday(), athletes: 2, days: 120 })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser = await launch(t)
  const { page, pageErrors, cspViolations } = await openPage(browser, url)
  const { id: athleteId, apiKey } = seeded.demoAthlete
  const key = { authorization: `Bearer ${apiKey}` }

  await signIn(page, apiKey, athleteId)
  await page.waitForSelector('#chart[data-rendered]')
  await page.waitForSelector('#activities .activity')
  const before = await rendered(page)
  t.match(before, /^rolling\/7\/28\/external\/\d+$/, 'the default model and windows are drawn')
  t.ok(Number(before.split('/').at(-1)) > 60, `the chart covers the seeded days (${before})`)
  t.ok(await pixelsOfColour(page, ACUTE_RGB) > 200, 'the load panel shows the acute series')
  t.equal(await page.locator('#chart .panel-ratio canvas').count(), 1, 'the ratio has a panel of its own')
  t.match(await page.textContent('#model'), /acute 7 days, chronic 28 days.*0\.8 \/ 1\.3 \/ 1\.5/, 'the model and the bands it is shaded with are named')

  await t.test('today\'s card says the zone in words, what it means, what to do, and that ACWR is a guide', async t => {
    const status = await page.textContent('#status')
    t.match(await page.textContent('#status .zone'), /(Low|Optimal|High|Danger|Not enough data yet)/)
    t.equal(await page.locator('#status .bands li').count(), 4, 'the four zones are listed with their ranges')
    t.match(status, /Low: below 0\.80.*Optimal: 0\.80–1\.30.*High: 1\.30–1\.50.*Danger: above 1\.50/s)
    t.equal(await page.locator('#status .bands li[aria-current=true]').count(), 1, 'the athlete\'s own zone is marked, in text as well as colour')
    t.match(await page.textContent('#status .bands li[aria-current=true]'), /you are here/)
    t.match(status, /your local day \(/, 'the day is labelled as the athlete\'s local day')
    t.match(status, /guide, not a prediction/)
    t.match(await page.textContent('#status .divergence'), /ratio/, 'the divergence is explained in a sentence')
  })

  await t.test('the PMC card draws fitness, fatigue and form from /pmc, with the ramp rate and monotony in the tooltip', async t => {
    await page.waitForSelector('#pmc-chart[data-rendered]')
    t.match(await page.getAttribute('#pmc-chart', 'data-rendered'), /^42\/7\/external\/\d+$/, 'the default CTL and ATL windows, on the external load')
    t.ok(await pixelsOfColour(page, CTL_RGB, '#pmc-chart canvas') > 100, 'the fitness line is drawn')
    const pmc = (await app.inject({ url: `/api/athletes/${athleteId}/pmc`, headers: key })).json()
    const today = pmc.days.at(-1).external
    t.match(await page.textContent('#pmc .pmc-today'), new RegExp(`^Today: fitness ${today.ctl.toFixed(1)}, fatigue ${today.atl.toFixed(1)}, form [+−]?${Math.abs(today.tsb).toFixed(1)}`), 'today\'s numbers are the API\'s')
    await page.locator('#pmc-chart').scrollIntoViewIfNeeded()
    const box = (await page.locator('#pmc-chart .u-over').boundingBox())!
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2)
    await page.waitForSelector('#pmc-chart .tooltip:not([hidden])')
    t.match(await page.textContent('#pmc-chart .tooltip'), /Fitness \(CTL\).*Fatigue \(ATL\).*Form \(TSB\).*Ramp rate.*a week.*Monotony.*Strain/s)
    await page.mouse.move(0, 0)
  })

  await t.test('the activity list pages newest first and deletes after a confirmation', async t => {
    const days = () => page.$$eval('#activities .activity', items => items.map(item => item.querySelector('.activity-title')!.textContent!))
    const firstPage = await days()
    t.equal(firstPage.length, 20, 'a page holds twenty activities')
    const ids = await page.$$eval('#activities .activity', items => items.map(item => (item as HTMLElement).dataset.activityId))
    const listed = (await app.inject({ url: `/api/athletes/${athleteId}/activities?limit=20`, headers: key })).json().activities
    t.same(ids, listed.map((activity: { id: number }) => String(activity.id)), 'the list is the API\'s, newest first')
    t.match(await page.textContent('#activities .activity-facts'), /(min|h).*·.*load \d.*TRIMP .*·.*(API|Strava|Import)/, 'duration, loads and source are shown')

    await page.click('#activities .older')
    await page.waitForSelector('#activities[data-page="1"]')
    t.notSame(await days(), firstPage, 'Older shows the next page')
    t.match(await page.textContent('#activities .position'), /Activities 21–/)
    await page.click('#activities .newer')
    await page.waitForSelector('#activities[data-page="0"]')
    t.same(await days(), firstPage, 'Newer goes back')

    const victim = ids[0]!
    await page.click(`#activities [data-activity-id="${victim}"] button`)
    t.ok(await page.isVisible('#confirm'), 'deleting asks first')
    t.match(await page.textContent('#confirm .message'), /cannot be undone/)
    await page.keyboard.press('Escape')
    t.notOk(await page.isVisible('#confirm'), 'Escape cancels')
    t.equal((await app.inject({ url: `/api/athletes/${athleteId}/activities?limit=1`, headers: key })).json().activities[0].id, Number(victim), 'a cancelled delete keeps the activity')

    const redrawn = page.waitForResponse(response => /\/acwr\?/.test(response.url()))
    await page.click(`#activities [data-activity-id="${victim}"] button`)
    await page.click('#confirm button[value=confirm]')
    await page.waitForSelector(`#activities [data-activity-id="${victim}"]`, { state: 'detached' })
    await redrawn
    t.equal((await app.inject({ url: `/api/athletes/${athleteId}/activities?limit=1`, headers: key })).json().activities[0].id === Number(victim), false, 'the activity is deleted')
    t.equal(await page.locator('#activities .activity').count(), 20, 'the page fills up again')
  })

  await t.test('settings show only the chosen model\'s fields; a bad value is explained and the message clears once fixed', async t => {
    t.notOk(await page.isVisible('#settings-form input[name=decayRate]'), 'the rolling model has no decay rate')
    await page.selectOption('#settings-form select[name=acwrModel]', 'decay')
    t.ok(await page.isVisible('#settings-form input[name=decayRate]'), 'the decay model shows its rate')
    await page.selectOption('#settings-form select[name=acwrModel]', 'rolling')
    t.notOk(await page.isVisible('#settings-form input[name=decayRate]'))

    const patches: string[] = []
    page.on('request', request => { if (request.method() === 'PATCH') patches.push(request.url()) })
    await page.fill('#settings-form input[name=chronicDays]', '10')
    t.match(await page.textContent('#settings-form input[name=chronicDays] ~ .field-error'), /between 14 and 90/, 'the bound is stated as the person types')
    await page.fill('#settings-form input[name=chronicDays]', '12')
    await page.fill('#settings-form input[name=acuteDays]', '7')
    await page.click('#settings-form button[type=submit]')
    t.equal(await page.getAttribute('#settings-form input[name=chronicDays]', 'aria-invalid'), 'true')
    t.ok(await page.isVisible('#settings .form-error'), 'the form says what to fix')
    t.same(patches, [], 'nothing is sent while a field is wrong')

    await page.fill('#settings-form input[name=chronicDays]', '42')
    t.notOk(await page.isVisible('#settings-form input[name=chronicDays] ~ .field-error'), 'the field message clears once fixed')
    await page.click('#settings-form button[type=submit]')
    await page.waitForFunction(previous => document.querySelector<HTMLElement>('#chart')!.dataset.rendered !== previous, before)
    await page.waitForFunction(() => /Saved/.test(document.querySelector('#settings .saved')?.textContent ?? ''))
    t.match(await rendered(page), /^rolling\/7\/42\/external\/\d+$/, 'the chart is redrawn from the recomputed series')
    t.notOk(await page.isVisible('#settings .form-error'), 'the form error is gone beside "Saved"')
    t.ok(await pixelsOfColour(page, ACUTE_RGB) > 200, 'the redrawn canvas shows the acute series')
  })

  await t.test('an error banner clears when the next action succeeds', async t => {
    await page.route('**/acwr?*', route => route.fulfill({ status: 503, contentType: 'application/json', body: '{"statusCode":503,"error":"Service Unavailable","message":"busy"}' }), { times: 1 })
    await page.selectOption('#controls select[name=range]', '90')
    await page.waitForSelector('#message:not([hidden])')
    t.match(await page.textContent('#message'), /busy or its database is unavailable/)
    await page.selectOption('#controls select[name=range]', '365')
    await page.waitForSelector('#message', { state: 'hidden' })
    t.pass('the banner is gone after the next load succeeds')
  })

  await t.test('the page works from the keyboard and passes axe-core', async t => {
    await page.focus('#activities .activity button')
    await page.keyboard.press('Enter')
    t.ok(await page.isVisible('#confirm'), 'Enter on a delete button opens the confirmation')
    t.equal(await page.evaluate(() => document.activeElement?.getAttribute('value')), 'cancel', 'focus starts on the safe answer')
    await page.keyboard.press('Enter')
    t.notOk(await page.isVisible('#confirm'))
    t.same(await seriousAccessibilityViolations(page), [], 'no serious or critical axe-core findings on the athlete\'s dashboard')
  })

  const screenshot = join(artifacts, 'dashboard.png')
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.screenshot({ path: screenshot, fullPage: true })
  if (updateScreenshot) await copyFile(screenshot, join(docsDir, 'dashboard.png'))

  await t.test('an athlete with ten days of history is told how many more days the ratio needs', async t => {
    const fresh = await newAthlete(app, 10)
    await page.click('#sign-out')
    await signIn(page, fresh.apiKey, fresh.id)
    await page.waitForSelector('#status .zone')
    t.match(await page.textContent('#status .zone'), /Not enough data yet/)
    t.match(await page.textContent('#status .insufficient'), /18 more days/)
    t.match(await page.textContent('#status'), /guide, not a prediction/)
    t.same(await seriousAccessibilityViolations(page), [], 'no serious axe-core findings on the insufficient-data card')
    await page.screenshot({ path: join(artifacts, 'dashboard-insufficient-data.png'), fullPage: true })
  })

  t.same(pageErrors, [], 'no script error on the page')
  t.same(cspViolations, [], 'nothing on the page was refused by the Content-Security-Policy')
})
