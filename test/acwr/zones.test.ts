import t from 'tap'
import { bandsFor, GABBETT_BANDS, MIN_CHRONIC_LOAD, zoneOf, type BandSettings } from '../../src/acwr/zones.ts'
import { referenceSeries } from './reference.ts'

const rolling = GABBETT_BANDS
const zone = (ratio: number | null, extra: { chronic?: number, complete?: boolean } = {}) =>
  zoneOf({ ratio, chronic: extra.chronic ?? 10, complete: extra.complete ?? true }, rolling)

t.test('rolling zones are Gabbett\'s: under 0.8 low, to 1.3 optimal, to 1.5 high, above danger', async t => {
  t.equal(zone(0), 'low')
  t.equal(zone(0.79), 'low')
  t.equal(zone(0.8), 'optimal')
  t.equal(zone(1.3), 'optimal')
  t.equal(zone(1.31), 'high')
  t.equal(zone(1.5), 'high')
  t.equal(zone(1.51), 'danger')
})

t.test('a null ratio, an incomplete chronic window or a chronic load below the floor is insufficient-data, never danger', async t => {
  t.equal(zone(null), 'insufficient-data')
  t.equal(zone(null, { chronic: 0 }), 'insufficient-data')
  t.equal(zone(1.6, { complete: false }), 'insufficient-data', 'a spike before the chronic window is full')
  t.equal(zone(1, { complete: false }), 'insufficient-data', 'the coupled ratio of 1 over the first days says nothing')
  // 0.01 after 30 rest days: acute 0.01/7, chronic 0.01/28, coupled ratio exactly C/A = 4.
  t.equal(zone(4, { chronic: 0.01 / 28 }), 'insufficient-data', 'a trivial load after a long break')
  t.equal(zone(4, { chronic: MIN_CHRONIC_LOAD }), 'danger', 'a real load after a long break is a spike')
})

const settings = (model: BandSettings['model'], acuteDays = 7, chronicDays = 28, decayRate = 0.05): BandSettings =>
  ({ model, acuteDays, chronicDays, decayRate })

t.test('uncoupled bands are the coupled ones converted with RAU = RAC·(C−A)/(C−A·RAC)', async t => {
  const at728 = bandsFor(settings('rolling-uncoupled'))
  t.ok(Math.abs(at728.low - 0.75) < 1e-12, `low ${at728.low} = 3·0.8/(4−0.8) = 0.75`)
  t.ok(Math.abs(at728.high - 3 * 1.3 / (4 - 1.3)) < 1e-12, `high ${at728.high} = 1.444…`)
  t.ok(Math.abs(at728.danger - 1.8) < 1e-12, `danger ${at728.danger} = 1.8`)
  const at521 = bandsFor(settings('rolling-uncoupled', 5, 21))
  t.ok(Math.abs(at521.danger - 1.5 * 16 / (21 - 7.5)) < 1e-12, 'the athlete\'s own windows are used')
  t.same(bandsFor(settings('rolling', 5, 21)), rolling, 'coupled bands do not depend on the windows')
})

// The bands of every model are what that model's own arithmetic (the plain reference, not
// the formula in zones.ts) reads for a long steady base followed by A days at k times it,
// k being the base multiple that reads exactly Gabbett's threshold on the coupled scale.
for (const model of ['rolling', 'rolling-uncoupled', 'ewma', 'decay'] as const) {
  t.test(`${model} bands read what the model shows for the step that reads 0.8 / 1.3 / 1.5 coupled`, async t => {
    for (const [A, C, r] of [[7, 28, 0.05], [5, 30, 0.1], [10, 42, 0.02]] as const) {
      const bands = bandsFor(settings(model, A, C, r))
      for (const [name, coupled] of Object.entries(GABBETT_BANDS) as Array<[keyof typeof GABBETT_BANDS, number]>) {
        const k = coupled * (C - A) / (C - A * coupled)
        const loads = [...Array<number>(800).fill(1), ...Array<number>(A).fill(k)]
        const step = (name: string) => referenceSeries(loads, settings(name as BandSettings['model'], A, C, r)).at(-1)!.ratio!
        t.ok(Math.abs(step('rolling') - coupled) < 1e-9, `A=${A} C=${C}: k=${k} reads ${coupled} coupled`)
        t.ok(Math.abs(bands[name] - step(model)) < 1e-9, `A=${A} C=${C} ${name}: band ${bands[name]} = the model's ${step(model)}`)
      }
      t.ok(bands.low < 1 && bands.high > 1 && bands.high < bands.danger, `A=${A} C=${C}: ordered around 1`)
    }
  })
}
