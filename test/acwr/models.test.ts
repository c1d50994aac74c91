import t, { type Test } from 'tap'
import { build } from '../helper.ts'
import { createAthlete, daysAgo, ingest, readAcwr, run, setSettings } from '../fixtures.ts'

/** The reply rounds ratios to 4 decimals and acute/chronic loads to 3: equal to that precision. */
const close = (t: Test, actual: number | null, expected: number, message: string, decimals = 4) =>
  t.ok(actual !== null && Math.abs(actual - expected) <= 0.5 * 10 ** -decimals + 1e-12, `${message}: ${actual} ≈ ${expected}`)

/** 28 days at 50 then 7 at 100, the last of them today. */
const buildUpHistory = () => Array.from({ length: 35 }, (_, i) => run(i + 1, daysAgo(34 - i), i < 28 ? 50 : 100))

t.test('28 days at 50 then 7 at 100: day 35 gives each model its documented value', async t => {
  const app = await build(t)
  const loads = Array.from({ length: 35 }, (_, i) => i < 28 ? 50 : 100)
  const ewma = (lambda: number) => loads.reduce((value, load, i) => i === 0 ? load : lambda * load + (1 - lambda) * value, 0)
  const decayWeights = Array.from({ length: 28 }, (_, k) => Math.exp(-0.05 * k))
  const decayChronic = decayWeights.reduce((sum, w, k) => sum + w * loads[34 - k]!, 0) / decayWeights.reduce((a, b) => a + b)
  const expected = {
    rolling: 1.6,
    'rolling-uncoupled': 2.0,
    ewma: ewma(2 / 8) / ewma(2 / 29),
    decay: 100 / decayChronic
  }
  for (const [model, ratio] of Object.entries(expected)) {
    const athlete = await createAthlete(app)
    await setSettings(app, athlete.id, { acwrModel: model })
    t.equal((await ingest(app, athlete.id, buildUpHistory())).statusCode, 200)
    const days = await readAcwr(app, athlete.id)
    t.equal(days.length, 35, `${model}: one entry per day from the first activity`)
    t.equal(days.at(-1)!.date, daysAgo(0))
    // An EWMA is complete once its seed keeps under 5% of the chronic weight: day 43 at C = 28.
    t.equal(days.at(-1)!.complete, model !== 'ewma', `${model}: complete on day 35`)
    close(t, days.at(-1)!.external.ratio, ratio, `${model} day-35 ratio`)
  }
})

t.test('with A=7 and C=28 the uncoupled ratio is 3·coupled / (4 − coupled) on every complete day', async t => {
  const app = await build(t)
  const history = Array.from({ length: 60 }, (_, i) => run(i + 1, daysAgo(59 - i), (i * 37) % 11 === 0 ? 0 : 10 + (i * 53) % 40))
    .filter((_, i) => i % 5 !== 3)
  const coupled = await createAthlete(app)
  const uncoupled = await createAthlete(app)
  await setSettings(app, uncoupled.id, { acwrModel: 'rolling-uncoupled' })
  await ingest(app, coupled.id, history)
  await ingest(app, uncoupled.id, history)
  // The stored, unrounded ratios: the identity is exact, and rounding both sides would blur it.
  const stored = (athleteId: number) => app.db.selectFrom('acwr_daily').select(['day', 'complete', 'external_ratio'])
    .where('athlete_id', '=', athleteId).orderBy('day').execute()
  const c = await stored(coupled.id)
  const u = await stored(uncoupled.id)
  const complete = c.filter(day => day.complete)
  t.ok(complete.length >= 30)
  for (const day of complete) {
    const other = u.find(candidate => candidate.day === day.day)!
    const ratio = day.external_ratio!
    const expected = 3 * ratio / (4 - ratio)
    t.ok(Math.abs(other.external_ratio! - expected) < 1e-9, `${day.day}: ${other.external_ratio} ≈ ${expected}`)
  }
})

t.test('a coupled ratio never exceeds C/A, and reaches it when all load falls in the acute window', async t => {
  const app = await build(t)
  for (const [acuteDays, chronicDays] of [[7, 28], [5, 20]] as const) {
    const athlete = await createAthlete(app)
    await setSettings(app, athlete.id, { acuteDays, chronicDays })
    const history = [run(1, daysAgo(59), 10), ...Array.from({ length: acuteDays }, (_, i) => run(i + 2, daysAgo(acuteDays - 1 - i), 80 + i))]
    await ingest(app, athlete.id, history)
    const ratios = (await readAcwr(app, athlete.id)).map(day => day.external.ratio).filter(ratio => ratio !== null)
    const bound = chronicDays / acuteDays
    t.ok(ratios.every(ratio => ratio <= bound + 1e-12), `A=${acuteDays} C=${chronicDays}: max ${Math.max(...ratios)} ≤ ${bound}`)
    close(t, ratios.at(-1)!, bound, 'the burst after a long rest')
  }
})

t.test('a single day of 100 after zeros gives an EWMA of λ·100, then λ(1−λ)·100', async t => {
  const app = await build(t)
  const athlete = await createAthlete(app)
  await setSettings(app, athlete.id, { acwrModel: 'ewma' })
  const zeros = Array.from({ length: 10 }, (_, i) => run(i + 1, daysAgo(11 - i), 0))
  await ingest(app, athlete.id, [...zeros, run(100, daysAgo(1), 100)])
  const days = await readAcwr(app, athlete.id)
  const [spike, after] = days.slice(-2)
  const acute = 2 / (7 + 1)
  const chronic = 2 / (28 + 1)
  t.equal(days.at(-3)!.external.acute, 0)
  close(t, spike!.external.acute, acute * 100, 'acute on the spike', 3)
  close(t, after!.external.acute, acute * (1 - acute) * 100, 'acute the day after', 3)
  close(t, spike!.external.chronic, chronic * 100, 'chronic on the spike', 3)
  close(t, after!.external.chronic, chronic * (1 - chronic) * 100, 'chronic the day after', 3)
  t.equal(days.at(-3)!.external.ratio, null, 'chronic 0 gives a null ratio')
})

t.test('changing the model or a window recomputes the whole history', async t => {
  const app = await build(t)
  const athlete = await createAthlete(app)
  await ingest(app, athlete.id, buildUpHistory())
  const before = await readAcwr(app, athlete.id)
  await setSettings(app, athlete.id, { acwrModel: 'rolling-uncoupled' })
  const uncoupled = await readAcwr(app, athlete.id)
  close(t, uncoupled.at(-1)!.external.ratio, 2, 'uncoupled after the change')
  await setSettings(app, athlete.id, { acwrModel: 'rolling', acuteDays: 3, chronicDays: 14 })
  const after = await readAcwr(app, athlete.id)
  t.equal(after.length, before.length)
  close(t, after[2]!.external.acute, 50, 'day 3 acute over 3 days', 3)
  t.equal(after[13]!.complete, true, 'complete from day 14 with C = 14')
  t.equal(before[13]!.complete, false)
  close(t, after.at(-1)!.external.ratio, 100 / ((7 * 100 + 7 * 50) / 14), 'day 35 with A=3, C=14')
})
