import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { build, TEST_ADMIN_TOKEN } from '../helper.ts'
import { activitiesCsv, fitFile, gbDate, gzip, utcDaysAgo, zipArchive } from '../imports/export-fixtures.ts'
import { artifacts, launch, openPage, seriousAccessibilityViolations, signIn, skipWithoutChromium } from './browser.ts'

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }

/** An athlete with no activities yet, and a key of their own. */
async function emptyAthlete (app: Awaited<ReturnType<typeof build>>) {
  const upsert = await app.inject({ method: 'PUT', url: '/admin/athletes', headers: admin, payload: { athletes: [{ stravaAthleteId: 990_101, name: 'Archive Owner', timezone: 'Europe/Paris' }] } })
  const { id } = upsert.json().athletes[0]
  const { apiKey } = (await app.inject({ method: 'POST', url: `/admin/athletes/${id}/api-keys`, headers: admin })).json()
  return { id: id as number, apiKey: apiKey as string }
}

/**
 * Forty days of 40-minute runs, one a day, the first with its FIT file in the archive;
 * one more row whose heart rate no strap can read, which the import skips with its reason.
 */
async function exportArchive (): Promise<Buffer> {
  const runs = Array.from({ length: 40 }, (_, i) => ({
    id: 5_000 + i,
    date: gbDate(utcDaysAgo(i + 1, 6)),
    type: 'Run',
    movingTimeS: 2400,
    distanceM: 8000,
    averageHeartrate: 150,
    filename: i === 0 ? 'activities/5000.fit.gz' : undefined
  }))
  const broken = { id: 6_000, date: gbDate(utcDaysAgo(41, 6)), type: 'Run', movingTimeS: 2400, distanceM: 8000, averageHeartrate: 900 }
  return zipArchive({
    'activities.csv': activitiesCsv([...runs, broken]),
    'activities/5000.fit.gz': gzip(fitFile(utcDaysAgo(1, 6), { lat: 48.8566, lon: 2.3522 }))
  })
}

t.test('an athlete signs in with a key alone, uploads their Strava export from the dashboard and sees the summary, the list and the chart fill in', {
  skip: skipWithoutChromium
}, async t => {
  const app = await build(t)
  const athlete = await emptyAthlete(app)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser = await launch(t)
  const { page, pageErrors, cspViolations } = await openPage(browser, url)
  const archive = join(artifacts, 'strava-export.zip')
  await writeFile(archive, await exportArchive())
  const notAnExport = join(artifacts, 'notes.txt')
  await writeFile(notAnExport, 'not an export')

  // A key alone: the page asks /api/me whose it is.
  await signIn(page, athlete.apiKey)
  await page.waitForSelector('#activities li.note')
  t.equal(await page.textContent('#identity'), 'Archive Owner', 'signed in with the key alone, as the athlete it belongs to')
  t.match(await page.textContent('#activities'), /No activities yet/)

  await t.test('a file that is neither a zip nor a csv is refused in the page, before any upload', async t => {
    const uploads: string[] = []
    page.on('request', request => { if (request.url().endsWith('/imports')) uploads.push(request.url()) })
    await page.click('#import button[type=submit]')
    t.match(await page.textContent('#import .error'), /Choose your Strava export/, 'submitting with no file says what to choose')
    await page.setInputFiles('#import input[name=archive]', notAnExport)
    t.notOk(await page.isVisible('#import .error'), 'choosing a file clears the message')
    await page.click('#import button[type=submit]')
    t.match(await page.textContent('#import .error'), /notes\.txt is neither a \.zip archive nor a \.csv file/)
    t.same(uploads, [], 'nothing was sent')
  })

  await t.test('the archive uploads with progress and the summary counts what happened, naming the skipped row', async t => {
    const reply = page.waitForResponse(response => response.url().endsWith('/imports'))
    const listed = page.waitForResponse(response => /\/activities\?/.test(response.url()))
    await page.setInputFiles('#import input[name=archive]', archive)
    await page.click('#import button[type=submit]')
    t.equal((await reply).status(), 200)
    await page.waitForSelector('#import[data-state=done]')
    t.match(await page.textContent('#import .import-counts'), /^40 activities new, 0 updated, 0 unchanged, 1 skipped\.$/)
    t.match(await page.textContent('#import .skipped'), /Row 42 \(activity 6000\): Average Heart Rate must be <= 250/, 'the skipped row is named with its reason')
    t.equal(await page.textContent('#import .import-status'), 'Done.')
    t.notOk(await page.isVisible('#import progress'), 'the progress bar is gone once the import has finished')
    await listed
    await page.waitForSelector('#activities .activity')
    t.equal(await page.locator('#activities .activity').count(), 20, 'the activity list shows the imported history')
    t.match(await page.textContent('#activities .activity-facts'), /Import$/, 'the imported activities say where they came from')
    await page.waitForFunction(() => /\/external\/\d+$/.test(document.querySelector<HTMLElement>('#chart')!.dataset.rendered ?? ''))
    const stored = (await app.inject({ url: `/api/athletes/${athlete.id}/acwr/latest`, headers: { authorization: `Bearer ${athlete.apiKey}` } })).json()
    t.equal(stored.complete, true, 'forty days fill the chronic window: the ratio is no longer insufficient data')
    t.notMatch(await page.textContent('#status .zone'), /Not enough data yet/, 'today\'s card follows the import')
  })

  await t.test('importing the same archive again changes nothing, and the summary says so', async t => {
    await page.setInputFiles('#import input[name=archive]', archive)
    await page.click('#import button[type=submit]')
    await page.waitForFunction(() => /0 activities new, 0 updated, 40 unchanged/.test(document.querySelector('#import .import-counts')?.textContent ?? ''))
    t.pass('a re-import counts every activity unchanged')
  })

  await t.test('a refused upload is explained on the card', async t => {
    await page.route('**/imports', route => route.fulfill({
      status: 413,
      contentType: 'application/json',
      body: JSON.stringify({ statusCode: 413, error: 'Payload Too Large', message: 'the upload is larger than IMPORT_MAX_BYTES (1073741824 bytes)' })
    }), { times: 1 })
    await page.setInputFiles('#import input[name=archive]', archive)
    await page.click('#import button[type=submit]')
    await page.waitForSelector('#import[data-state=failed]')
    t.match(await page.textContent('#import .error'), /too large: the upload is larger than IMPORT_MAX_BYTES/)
    t.equal(await page.textContent('#import .import-summary'), '', 'no stale summary stays beside the error')
  })

  t.same(await seriousAccessibilityViolations(page), [], 'no serious or critical axe-core findings with the import card')
  await page.screenshot({ path: join(artifacts, 'dashboard-import.png'), fullPage: true })
  t.same(pageErrors, [], 'no script error on the page')
  t.same(cspViolations, [], 'nothing on the page was refused by the Content-Security-Policy')
})
