import { dayToSeconds, fixed, signed } from './format.js'
import { createPlot, dayAxis, isNarrow, redrawOnResize, tooltipPlugin, valueAxis } from './plot.js'

/** The performance management chart: fitness (CTL) and fatigue (ATL) as lines, form (TSB) on an axis of its own. */

const colors = {
  ctl: '#1c7ed6',
  atl: '#c2255c',
  tsb: '#2f9e44',
  fresh: 'rgba(47, 158, 68, 0.12)',
  tired: 'rgba(201, 42, 42, 0.08)'
}
const units = { external: 'miles-eq / day', internal: 'TRIMP / day' }

export function toPmcSeries (days, kind) {
  return [
    days.map(day => dayToSeconds(day.date)),
    days.map(day => day[kind].ctl),
    days.map(day => day[kind].atl),
    days.map(day => day[kind].tsb)
  ]
}

/** Form above zero is shaded as fresh and below as tired, so its sign reads without the axis. */
function drawFormSides (plot) {
  const { ctx, bbox } = plot
  const zero = plot.valToPos(0, 'form', true)
  if (!Number.isFinite(zero)) return
  const top = Math.max(bbox.top, Math.min(zero, bbox.top + bbox.height))
  ctx.save()
  ctx.fillStyle = colors.fresh
  ctx.fillRect(bbox.left, bbox.top, bbox.width, top - bbox.top)
  ctx.fillStyle = colors.tired
  ctx.fillRect(bbox.left, top, bbox.width, bbox.top + bbox.height - top)
  ctx.restore()
}

function pmcOptions (width, pmc, kind) {
  const narrow = isNarrow(width)
  const days = pmc.days
  return {
    width,
    height: narrow ? 240 : 280,
    cursor: { drag: { x: false, y: false } },
    legend: { show: true, live: false },
    scales: {
      x: { time: true },
      load: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.1)] },
      // Symmetric about zero, so that fresh and tired take equal room.
      form: { range: (_u, min, max) => { const m = Math.max(1, Math.abs(min ?? 0), Math.abs(max ?? 0)) * 1.1; return [-m, m] } }
    },
    series: [
      {},
      { label: `Fitness, CTL ${pmc.ctlDays} d`, scale: 'load', stroke: colors.ctl, width: 2, points: { show: false } },
      { label: `Fatigue, ATL ${pmc.atlDays} d`, scale: 'load', stroke: colors.atl, width: 1.5, points: { show: false } },
      { label: 'Form, TSB', scale: 'form', stroke: colors.tsb, width: 2, dash: [6, 3], points: { show: false } }
    ],
    axes: [
      dayAxis(width),
      valueAxis('load', units[kind]),
      valueAxis('form', narrow ? '' : 'form', { side: 1, grid: { show: false } })
    ],
    hooks: { drawClear: [drawFormSides] },
    plugins: [tooltipPlugin(i => {
      const values = days[i][kind]
      return [
        ['Fitness (CTL)', fixed(values.ctl, 1)],
        ['Fatigue (ATL)', fixed(values.atl, 1)],
        ['Form (TSB)', signed(values.tsb, 1)],
        ['Ramp rate', values.rampRate == null ? 'not yet (7 days needed)' : `${signed(values.rampRate, 1)} a week`],
        ['Monotony', values.monotony == null ? 'n/a' : fixed(values.monotony, 2)],
        ['Strain', values.strain == null ? 'n/a' : fixed(values.strain, 0)]
      ]
    })]
  }
}

/** What today's numbers say, in one sentence. */
export function describeForm (pmc, kind) {
  const today = pmc.days.at(-1)?.[kind]
  if (!today) return 'No activities yet: fitness and fatigue start from zero with the first one.'
  const ramp = today.rampRate == null ? '' : `, fitness ${signed(today.rampRate, 1)} over the last 7 days`
  const form = today.tsb < -10
    ? 'you are carrying fatigue from recent training'
    : today.tsb > 10 ? 'you are fresh: recent load is below your fitness' : 'fatigue and fitness are close to balanced'
  return `Today: fitness ${fixed(today.ctl, 1)}, fatigue ${fixed(today.atl, 1)}, form ${signed(today.tsb, 1)}${ramp}; ${form}.`
}

/** The chart in `container`; `data-rendered` names what is drawn, so a page test can wait for it. */
export function createPmcChart (container) {
  let plot = null
  let last = null
  const draw = () => {
    plot?.destroy()
    plot = null
    if (!last) return
    plot = createPlot(pmcOptions(container.clientWidth, last.pmc, last.kind), toPmcSeries(last.pmc.days, last.kind), container)
  }
  redrawOnResize(container, draw)
  return {
    render (pmc, kind) {
      last = { pmc, kind }
      draw()
      container.dataset.rendered = [pmc.ctlDays, pmc.atlDays, kind, pmc.days.length].join('/')
    },
    clear () {
      last = null
      draw()
      delete container.dataset.rendered
    }
  }
}
