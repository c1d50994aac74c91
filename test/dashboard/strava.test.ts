import { join } from 'node:path'
import type { Page, Route } from 'playwright-core'
import t from 'tap'
import { makeActivities } from '../fake-strava-api.ts'
import { adminHeaders, daysAgo, freePort, ingest, run } from '../fixtures.ts'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import { startFake, stravaEnv } from '../tokens/fixtures.ts'
import {
  artifacts, horizontalOverflow, launch, openPage, seriousAccessibilityViolations, signIn, skipWithoutChromium
} from './browser.ts'

// The fake hands out Strava athlete ids from 90,000 up: the first login through it is this athlete.
const STRAVA_ATHLETE = 90_000
const STRAVA_ACTIVITIES = 45
const PUSHED = [run(1, daysAgo(2), 6), run(2, daysAgo(5), 8), run(3, daysAgo(9), 10)]

/**
 * A sync state the page reads, on every GET, instead of the service's until the test changes
 * it; `undefined` hands the reads back to the service. The test moves to the next state only
 * once the page shows the one before, so no read the card makes in between can skip a state.
 */
function cannedSyncState (page: Page) {
  let canned: Record<string, unknown> | undefined
  page.route('**/strava/sync', async (route: Route) => {
    if (route.request().method() !== 'GET' || !canned) return route.continue()
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(canned) })
  })
  return (state: Record<string, unknown> | undefined) => { canned = state }
}

const syncState = (fields: Record<string, unknown>) => ({
  state: 'idle', backfillComplete: false, activitiesSynced: 0, lastSyncedAt: null, nextAttemptAt: null, lastError: null, ...fields
})

t.test('an athlete connects with Strava in the browser, watches the sync, syncs again and disconnects; an admin reads the fleet', {
  skip: skipWithoutChromium
}, async t => {
  const fake = await startFake(t)
  fake.activities.add(STRAVA_ATHLETE, makeActivities(STRAVA_ACTIVITIES, { firstId: 7_000_000_000 }))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const logs: string[] = []
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL: url, STRAVA_SYNC_WORKER: 'true' }, onLog: line => logs.push(line) })
  await app.listen({ host: '127.0.0.1', port })

  // The athlete already pushed a few runs through the API; the login finds them by Strava id.
  const created = await app.inject({ method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes: [{ stravaAthleteId: STRAVA_ATHLETE, name: 'Strava Runner', timezone: 'UTC' }] } })
  const athleteId = created.json().athletes[0].id as number
  t.equal((await ingest(app, athleteId, PUSHED)).statusCode, 200)
  const sources = async () => {
    const listed = (await app.inject({ url: `/api/athletes/${athleteId}/activities?limit=100`, headers: adminHeaders })).json().activities as Array<{ source: string }>
    return listed.reduce<Record<string, number>>((counts, { source }) => ({ ...counts, [source]: (counts[source] ?? 0) + 1 }), {})
  }

  const browser = await launch(t)
  const { page, pageErrors, cspViolations } = await openPage(browser, url)
  const visited: string[] = []
  page.on('framenavigated', frame => { if (frame === page.mainFrame()) visited.push(frame.url()) })
  const serveSyncState = cannedSyncState(page)
  let apiKey = ''

  await t.test('Connect with Strava on the sign-in card ends signed in on the dashboard, the key in no URL, history or log', async t => {
    await page.waitForSelector('#sign-in[data-strava-login="on"] #strava-login:not([hidden])')
    // The sync state reads say running until the card has shown it; it must then keep asking until the real one.
    serveSyncState(syncState({ state: 'running', activitiesSynced: 0 }))
    const callback = page.waitForResponse(response => response.url().startsWith(`${url}/auth/strava/callback`))
    await page.click('#strava-login a')
    const reply = await callback
    t.equal(reply.status(), 200)
    t.match(reply.headers()['content-type'], /^text\/html/, 'the browser gets a page, not JSON')
    t.equal(reply.headers()['cache-control'], 'no-store')
    await page.waitForSelector('#dashboard:not([hidden])')
    t.equal(page.url(), `${url}/`, 'the dashboard replaced the callback page')
    // The name is filled in once the athlete is read, which can come just after the dashboard shows.
    await page.waitForSelector('#identity:has-text("Strava Runner")')
    t.pass('signed in as the athlete the login found')

    apiKey = await page.evaluate(() => JSON.parse(sessionStorage.getItem('trainload.session')!).credential as string)
    t.match(apiKey, /^tl_/, 'the new key is kept in the tab\'s session storage')
    const cdp = await page.context().newCDPSession(page)
    const { entries } = await cdp.send('Page.getNavigationHistory')
    const history = entries.map(entry => entry.url)
    t.notOk(history.some(entry => entry.includes('/auth/strava/callback')), `the callback, with its one-time code, left the history (${history.join(', ')})`)
    t.notOk([...history, ...visited].some(entry => entry.includes(apiKey)), 'no URL visited or kept carries the key')
    t.notOk(logs.some(line => line.includes(apiKey)), 'no log line carries the key')
  })

  await t.test('the sync is shown in progress until idle, then the synced activities are listed and charted', async t => {
    await page.waitForSelector('#strava[data-state="running"][data-polling="true"]')
    t.match(await page.textContent('#strava .body'), /Syncing now.*still being fetched/s, 'a running sync is said in words, with the backfill not yet complete')
    serveSyncState(undefined)
    await page.waitForSelector('#strava[data-state="idle"][data-polling="false"]', { timeout: 120_000 })
    const card = await page.textContent('#strava')
    t.match(card, /Connected to Strava/)
    t.match(card, new RegExp(`Up to date.*From Strava\\s*${STRAVA_ACTIVITIES} activities.*History\\s*complete.*Last synced\\s*\\d+ \\w{3} \\d{4}, \\d{2}:\\d{2}`, 's'))
    await page.waitForSelector('#activities .activity-facts:has-text("Strava")')
    t.equal(await page.locator('#activities .activity').count(), 20, 'the list fills with the synced activities')
    t.same(await sources(), { api: PUSHED.length, strava: STRAVA_ACTIVITIES })
    t.ok(await page.isVisible('#strava .sync-now'), 'Sync now is offered')
    t.ok(await page.isVisible('#strava .disconnect'), 'Disconnect is offered')
    t.notOk(await page.isVisible('#strava .connect'), 'a connected athlete is not asked to connect')
  })

  await t.test('Sync now queues a sync (202); a deferred sync says until when, a failed one its error', async t => {
    const resumes = new Date(Date.now() + 3000).toISOString()
    serveSyncState(syncState({ state: 'deferred', activitiesSynced: STRAVA_ACTIVITIES, nextAttemptAt: resumes }))
    const posted = page.waitForResponse(response => response.url().endsWith('/strava/sync') && response.request().method() === 'POST')
    await page.click('#strava .sync-now')
    t.equal((await posted).status(), 202)
    await page.waitForSelector('#strava[data-state="deferred"][data-polling="true"]')
    const at = new Date(resumes)
    const clock = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`
    t.match(await page.textContent('#strava .body'), new RegExp(`Paused for Strava's rate limit.*Resumes\\s*\\d+ \\w{3} \\d{4}, ${clock}`, 's'), 'a deferred sync says when it resumes')
    serveSyncState(syncState({ state: 'failed', activitiesSynced: STRAVA_ACTIVITIES, lastError: 'Strava did not answer' }))
    await page.waitForSelector('#strava[data-state="failed"][data-polling="false"]')
    t.match(await page.textContent('#strava .body'), /Failed.*Last error\s*Strava did not answer/s, 'a failed sync shows its last error, and the card stops asking')
    serveSyncState(undefined)

    await page.click('#strava .sync-now')
    await page.waitForSelector('#strava[data-state="idle"][data-polling="false"]', { timeout: 120_000 })
    t.pass('a second Sync now runs to idle from the service\'s own state')
  })

  await t.test('the Strava card passes axe-core and fits a 390 × 844 phone', async t => {
    t.same(await seriousAccessibilityViolations(page), [], 'no serious axe-core findings with the Strava card')
    await page.screenshot({ path: join(artifacts, 'dashboard-strava.png'), fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    t.equal(await horizontalOverflow(page), 0, 'nothing overflows sideways')
    await page.$eval('#strava', card => card.scrollIntoView())
    await page.screenshot({ path: join(artifacts, 'dashboard-strava-phone.png') })
    t.same(await seriousAccessibilityViolations(page), [], 'no serious axe-core findings on the phone')
    await page.setViewportSize({ width: 1280, height: 900 })
  })

  await t.test('an admin reads athletes by sync state and the read budget, and syncs them all, without long wraps', async t => {
    await page.click('#sign-out')
    await signIn(page, TEST_ADMIN_TOKEN)
    await page.waitForSelector('#fleet dl')
    const fleet = (await app.inject({ url: '/admin/strava/sync-status', headers: adminHeaders })).json()
    const text = await page.textContent('#fleet')
    t.match(text, new RegExp(`Idle\\s*${fleet.athletes.idle}.*Waiting for budget\\s*${fleet.athletes.deferred}.*Disconnected\\s*${fleet.athletes.disconnected}`, 's'))
    const { read15min, readDaily } = fleet.budget
    t.match(text, new RegExp(`15 minutes\\s*\\d+ / ${read15min.limit} reads\\s*Resets\\s*\\d{2}:\\d{2}`), 'the 15-minute window: used / limit and when it resets')
    t.match(text, new RegExp(`Today \\(UTC\\)\\s*\\d+ / ${readDaily.limit} reads\\s*Resets`), 'the daily window')
    t.ok(await page.isHidden('#strava .connect'), 'an admin is not offered to log in as the athlete')

    const posted = page.waitForResponse(response => response.url().endsWith('/admin/strava/sync'))
    await page.click('#fleet .sync-all')
    t.equal((await posted).status(), 202)
    await page.waitForFunction(() => /Queued 1 athlete /.test(document.querySelector('#fleet .queued')!.textContent!))
    t.pass('Sync all says how many athletes it queued')

    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 844 })
      const lines = await page.$$eval('#fleet dd', nodes => nodes.map(node => {
        const lineHeight = parseFloat(getComputedStyle(node).lineHeight) || 18
        return Math.round(node.getBoundingClientRect().height / lineHeight)
      }))
      t.ok(Math.max(...lines) <= 2, `no fleet value wraps over more than two lines at ${width} px (${Math.max(...lines)})`)
      const wide = await page.$$eval('body *', nodes => nodes.filter(n => n.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(n => `${n.tagName}#${n.id}.${n.className} ${Math.round(n.getBoundingClientRect().right)}`))
      t.equal(await horizontalOverflow(page), 0, `nothing overflows sideways at ${width} px ${wide.join(' | ')}`)
    }
    await page.$eval('#fleet', card => card.scrollIntoView())
    await page.screenshot({ path: join(artifacts, 'dashboard-fleet-phone.png') })
    await page.setViewportSize({ width: 1280, height: 900 })
    t.same(await seriousAccessibilityViolations(page), [], 'no serious axe-core findings on the admin view')
    await page.screenshot({ path: join(artifacts, 'dashboard-fleet.png'), fullPage: true })
  })

  await t.test('Disconnect says what goes and what stays; once confirmed the Strava activities are gone and the pushed ones stay', async t => {
    await page.click('#sign-out')
    await signIn(page, apiKey)
    await page.waitForSelector('#strava[data-state="idle"][data-polling="false"]', { timeout: 120_000 })
    await page.click('#strava .disconnect')
    const message = await page.textContent('#confirm .message')
    t.match(message, /Strava tokens and every activity that came from Strava \(45 activities\)/, 'it names what is deleted')
    t.match(message, /recomputes your ratios and charts/, 'and that the charts are recomputed')
    t.match(message, /pushed through the API or imported from your Strava export stay/, 'and what stays')
    await page.keyboard.press('Escape')
    t.same(await sources(), { api: PUSHED.length, strava: STRAVA_ACTIVITIES }, 'a cancelled disconnect deletes nothing')

    const removed = page.waitForResponse(response => response.url().endsWith(`/api/athletes/${athleteId}/strava`) && response.request().method() === 'DELETE')
    const redrawn = page.waitForResponse(response => /\/acwr\?/.test(response.url()))
    await page.click('#strava .disconnect')
    await page.click('#confirm button[value=confirm]')
    t.equal((await removed).status(), 204)
    await redrawn
    await page.waitForSelector('#strava[data-connection="none"]')
    await page.waitForFunction(count => document.querySelectorAll('#activities .activity').length === count, PUSHED.length)
    t.same(await sources(), { api: PUSHED.length }, 'only the pushed activities are left')
    t.match(await page.textContent('#activities'), /API/)
    t.notMatch(await page.textContent('#activities'), /Strava/, 'the list shows no Strava activity')
    t.equal(fake.calls.deauthorize, 1, 'Strava was told')
    t.match(await page.textContent('#strava'), /Not connected to Strava/)
    t.ok(await page.isVisible('#strava .connect'), 'the athlete may connect again')
    t.notOk(await page.isVisible('#strava .sync-now'), 'and has nothing to sync')
  })

  t.same(pageErrors, [], 'no script error on the page')
  t.same(cspViolations, [], 'nothing on the dashboard or the callback page was refused by the Content-Security-Policy')
})

t.test('a browser whose login fails reads why on a page, with the same 400 and a way back', {
  skip: skipWithoutChromium
}, async t => {
  const fake = await startFake(t, { grantedScope: 'read' })
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const app = await build(t, { env: { ...stravaEnv(fake), PUBLIC_URL: url } })
  await app.listen({ host: '127.0.0.1', port })
  const browser = await launch(t)
  const { page, pageErrors, cspViolations } = await openPage(browser, url)

  await page.waitForSelector('#strava-login:not([hidden])')
  const callback = page.waitForResponse(response => response.url().startsWith(`${url}/auth/strava/callback`))
  await page.click('#strava-login a')
  t.equal((await callback).status(), 400, 'a grant without the activity scope is still a 400')
  t.match(await page.textContent('.login-page .error'), /permission to read your activities/, 'the page says which permission to grant')
  t.equal(await page.getAttribute('.login-page a[href="/"]', 'href'), '/', 'and links back to the dashboard')
  t.equal(await page.evaluate(() => sessionStorage.getItem('trainload.session')), null, 'nothing signs the browser in')
  t.same(await seriousAccessibilityViolations(page), [], 'no serious axe-core findings on the error page')
  await page.screenshot({ path: join(artifacts, 'login-failed.png') })
  t.same(pageErrors, [])
  t.same(cspViolations, [])
})

t.test('a service with no Strava application says so instead of offering the login', {
  skip: skipWithoutChromium
}, async t => {
  const app = await build(t, { env: { STRAVA_CLIENT_ID: '', STRAVA_CLIENT_SECRET: '' } })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const upsert = await app.inject({ method: 'PUT', url: '/admin/athletes', headers: adminHeaders, payload: { athletes: [{ stravaAthleteId: 123, name: 'Local Runner' }] } })
  const athleteId = upsert.json().athletes[0].id as number
  await ingest(app, athleteId, PUSHED)
  const { apiKey } = (await app.inject({ method: 'POST', url: `/admin/athletes/${athleteId}/api-keys`, headers: adminHeaders })).json()
  const browser = await launch(t)
  const { page, pageErrors, cspViolations } = await openPage(browser, url)

  await page.waitForSelector('#sign-in[data-strava-login="off"]')
  t.ok(await page.isHidden('#strava-login'), 'the sign-in card offers no Strava login')
  await signIn(page, apiKey)
  await page.waitForSelector('#strava[data-connection="none"]')
  t.ok(await page.isVisible('#strava .unavailable'), 'the Strava card says the service has no Strava application')
  t.match(await page.textContent('#strava .unavailable'), /no Strava application configured/)
  for (const button of ['.connect', '.sync-now', '.disconnect']) t.ok(await page.isHidden(`#strava ${button}`), `no ${button} button`)
  t.same(pageErrors, [])
  t.same(cspViolations, [])
})
