import { dayToSeconds, fixed } from './format.js'
import { bars, createPlot, dayAxis, hatch, isNarrow, redrawOnResize, shadeDays, tooltipPlugin, valueAxis } from './plot.js'
import { ZONE_TITLES, ZONES, zoneRanges } from './zones.js'

const colors = {
  load: '#91a7ff',
  unknown: '#868e96',
  acute: '#d9480f',
  chronic: '#1c7ed6',
  ratio: '#212529',
  provisional: '#868e96',
  provisionalHatch: 'rgba(134, 142, 150, 0.35)',
  unknownHatch: 'rgba(201, 42, 42, 0.35)',
  zone: {
    low: 'rgba(28, 126, 214, 0.13)',
    optimal: 'rgba(64, 192, 87, 0.2)',
    high: 'rgba(250, 176, 5, 0.22)',
    danger: 'rgba(240, 62, 62, 0.2)'
  }
}
const units = { external: 'miles-eq / day', internal: 'TRIMP / day' }
const SYNC_KEY = 'acwr'

/** A day's internal load is unknown when the reply says so (null), as when an activity had no heart rate. */
const unknownLoad = (day, kind) => kind === 'internal' && day.internal.load == null

export function toSeries (days, kind) {
  const x = days.map(day => dayToSeconds(day.date))
  const ratio = days.map(day => day.complete ? day[kind].ratio : null)
  // The provisional line also takes the first complete day, so the two lines join.
  const provisional = days.map((day, i) => !day.complete || (i > 0 && !days[i - 1].complete) ? day[kind].ratio : null)
  return {
    load: [x, days.map(day => day[kind].load), days.map(day => day[kind].acute), days.map(day => day[kind].chronic)],
    ratio: [x, ratio, provisional]
  }
}

function drawZones (bands) {
  const ranges = zoneRanges(bands)
  return plot => {
    const { ctx, bbox } = plot
    const max = plot.scales.ratio.max
    ctx.save()
    ctx.font = `${Math.round(11 * window.devicePixelRatio)}px system-ui, sans-serif`
    ctx.textBaseline = 'middle'
    for (const zone of ZONES) {
      const [from, to] = ranges[zone]
      const top = plot.valToPos(Math.min(to ?? max, max), 'ratio', true)
      const bottom = plot.valToPos(from, 'ratio', true)
      if (bottom <= top) continue
      ctx.fillStyle = colors.zone[zone]
      ctx.fillRect(bbox.left, top, bbox.width, bottom - top)
      // Each band is named on the chart itself, not by its colour alone.
      if (bottom - top > 12 * window.devicePixelRatio) {
        ctx.fillStyle = '#495057'
        ctx.fillText(ZONE_TITLES[zone].toLowerCase(), bbox.left + 6 * window.devicePixelRatio, (top + bottom) / 2)
      }
    }
    ctx.restore()
  }
}

function loadOptions (width, kind, days) {
  const narrow = isNarrow(width)
  return {
    width,
    height: narrow ? 220 : 270,
    cursor: { sync: { key: SYNC_KEY }, drag: { x: false, y: false } },
    legend: { show: true, live: false },
    scales: { x: { time: true }, load: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.1)] } },
    series: [
      {},
      { label: `Daily load (${units[kind]})`, scale: 'load', fill: colors.load, stroke: colors.load, paths: bars, points: { show: false } },
      { label: 'Acute', scale: 'load', stroke: colors.acute, width: 2, points: { show: false } },
      { label: 'Chronic', scale: 'load', stroke: colors.chronic, width: 2, points: { show: false } }
    ],
    axes: [dayAxis(width), valueAxis('load', units[kind])],
    hooks: {
      drawClear: [plot => {
        shadeDays(plot, days.map(day => !day.complete), hatch(plot.ctx, colors.provisionalHatch))
        shadeDays(plot, days.map(day => unknownLoad(day, kind)), hatch(plot.ctx, colors.unknownHatch))
      }]
    },
    plugins: [tooltipPlugin(i => {
      const values = days[i][kind]
      return [
        ['Load', unknownLoad(days[i], kind) ? 'unknown (no heart rate)' : fixed(values.load, 1)],
        ['Acute', fixed(values.acute, 1)],
        ['Chronic', fixed(values.chronic, 1)],
        ...(days[i].complete ? [] : [['Chronic window', 'not yet full']])
      ]
    })]
  }
}

function ratioOptions (width, days, kind, bands) {
  const narrow = isNarrow(width)
  return {
    width,
    height: narrow ? 170 : 200,
    cursor: { sync: { key: SYNC_KEY }, drag: { x: false, y: false } },
    legend: { show: true, live: false },
    scales: {
      x: { time: true },
      ratio: { range: (_u, _min, max) => [0, Math.max(bands.danger + 0.5, Math.ceil((max ?? 0) * 4) / 4)] }
    },
    series: [
      {},
      { label: 'Ratio', scale: 'ratio', stroke: colors.ratio, width: 2, points: { show: false } },
      { label: 'Ratio, chronic window not yet full', scale: 'ratio', stroke: colors.provisional, width: 1.5, dash: [4, 4], points: { show: false } }
    ],
    axes: [dayAxis(width), valueAxis('ratio', 'ratio', { space: 22, incrs: [0.25, 0.5, 1], values: (_u, splits) => splits.map(v => v.toFixed(1)) })],
    hooks: {
      drawClear: [
        plot => shadeDays(plot, days.map(day => !day.complete), hatch(plot.ctx, colors.provisionalHatch)),
        drawZones(bands)
      ]
    },
    plugins: [tooltipPlugin(i => [
      ['Ratio', fixed(days[i][kind].ratio, 2)],
      ...(days[i].complete ? [] : [['Chronic window', 'not yet full']])
    ])]
  }
}

/**
 * The ACWR chart in `container`: daily load bars with the acute and chronic lines, and below
 * it the ratio over the four shaded zones. `data-rendered` on the container names what is
 * drawn (model, windows, load kind, days), so a page test can wait for a redraw.
 */
export function createAcwrChart (container) {
  const loadPanel = container.querySelector('.panel-load')
  const ratioPanel = container.querySelector('.panel-ratio')
  let plots = []
  let last = null
  const draw = () => {
    for (const plot of plots) plot.destroy()
    plots = []
    if (!last) return
    const { acwr, kind, bands } = last
    const width = container.clientWidth
    const series = toSeries(acwr.days, kind)
    plots = [
      createPlot(loadOptions(width, kind, acwr.days), series.load, loadPanel),
      createPlot(ratioOptions(width, acwr.days, kind, bands), series.ratio, ratioPanel)
    ]
  }
  redrawOnResize(container, draw)
  return {
    render (acwr, kind, bands) {
      last = { acwr, kind, bands }
      draw()
      container.dataset.rendered = [acwr.model, acwr.acuteDays, acwr.chronicDays, kind, acwr.days.length].join('/')
    },
    clear () {
      last = null
      draw()
      delete container.dataset.rendered
    }
  }
}
