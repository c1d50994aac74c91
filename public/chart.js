import UPlot from '/vendor/uplot/uPlot.esm.js'

/** The ratio band where injury risk is lowest (Gabbett 2016). */
const OPTIMAL_BAND = [0.8, 1.3]
const HEIGHT = 320
const colors = { acute: '#d9480f', chronic: '#1c7ed6', ratio: '#2b8a3e', band: 'rgba(64, 192, 87, 0.15)' }
const units = { external: 'miles-eq / day', internal: 'TRIMP / day' }

const round = digits => (_u, value) => value == null ? '–' : value.toFixed(digits)

/** Days are calendar days: plot them at local midnight so the time axis labels the same day. */
function dayToSeconds (day) {
  const [year, month, date] = day.split('-').map(Number)
  return new Date(year, month - 1, date).getTime() / 1000
}

export function toSeries (days, kind) {
  return [
    days.map(day => dayToSeconds(day.date)),
    days.map(day => day[kind].acute),
    days.map(day => day[kind].chronic),
    days.map(day => day[kind].ratio)
  ]
}

function shadeOptimalBand (plot) {
  const { ctx, bbox } = plot
  const top = plot.valToPos(OPTIMAL_BAND[1], 'ratio', true)
  const bottom = plot.valToPos(OPTIMAL_BAND[0], 'ratio', true)
  ctx.save()
  ctx.fillStyle = colors.band
  ctx.fillRect(bbox.left, top, bbox.width, bottom - top)
  ctx.restore()
}

function chartOptions (width, kind) {
  return {
    width,
    height: HEIGHT,
    scales: {
      x: { time: true },
      load: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      ratio: { range: (_u, _min, max) => [0, Math.max(2, Math.ceil((max ?? 0) * 2) / 2)] }
    },
    series: [
      {},
      { label: 'Acute', scale: 'load', stroke: colors.acute, width: 2, value: round(1) },
      { label: 'Chronic', scale: 'load', stroke: colors.chronic, width: 2, value: round(1) },
      { label: 'Ratio', scale: 'ratio', stroke: colors.ratio, width: 1.5, dash: [5, 3], value: round(2) }
    ],
    axes: [
      {},
      { scale: 'load', label: units[kind] },
      { scale: 'ratio', side: 1, label: 'ratio (band 0.8–1.3)', grid: { show: false } }
    ],
    hooks: { drawAxes: [shadeOptimalBand] }
  }
}

/**
 * The ACWR chart in `container`. `data-rendered` on the container names what is drawn
 * (model, windows, load kind, days), so a page test can wait for a redraw.
 */
export function createAcwrChart (container) {
  let plot
  const resize = new window.ResizeObserver(() => plot?.setSize({ width: container.clientWidth, height: HEIGHT }))
  resize.observe(container)
  return {
    render (acwr, kind) {
      plot?.destroy()
      plot = new UPlot(chartOptions(container.clientWidth, kind), toSeries(acwr.days, kind), container)
      container.dataset.rendered = [acwr.model, acwr.acuteDays, acwr.chronicDays, kind, acwr.days.length].join('/')
    },
    clear () {
      plot?.destroy()
      plot = undefined
      delete container.dataset.rendered
    }
  }
}
