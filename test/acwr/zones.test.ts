import t from 'tap'
import { zoneOf } from '../../src/acwr/service.ts'

t.test('zones are under 0.8 low, to 1.3 optimal, to 1.5 high, above danger', async t => {
  const zone = (ratio: number) => zoneOf({ ratio, acute: ratio })
  t.equal(zone(0), 'low')
  t.equal(zone(0.79), 'low')
  t.equal(zone(0.8), 'optimal')
  t.equal(zone(1.3), 'optimal')
  t.equal(zone(1.31), 'high')
  t.equal(zone(1.5), 'high')
  t.equal(zone(1.51), 'danger')
})

t.test('an undefined ratio is rest when there is no acute load, and danger when load comes from nothing', async t => {
  t.equal(zoneOf({ ratio: null, acute: 0 }), 'low')
  t.equal(zoneOf({ ratio: null, acute: 12.5 }), 'danger')
})
