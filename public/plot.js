import UPlot from '/vendor/uplot/uPlot.esm.js'
import { formatAxisDate, formatDay, secondsToDay } from './format.js'

/** What the uPlot charts share: the day axis, sizes that follow the width, a tooltip, hatching. */

export const bars = UPlot.paths.bars({ size: [0.7, 24], align: 0 })

export const isNarrow = width => width < 600

/** Day labels: "2 Dec", with the year on the first label and where it changes. */
export function dayAxis (width) {
  return {
    // On a phone, closer and smaller labels keep a six-month range labelled month by month.
    space: isNarrow(width) ? 34 : 64,
    font: isNarrow(width) ? '11px system-ui, sans-serif' : '12px system-ui, sans-serif',
    size: 46,
    values: (plot, splits) => {
      // The count of day labels drawn, for a page test to check that a narrow chart has enough.
      plot.root.dataset.dayLabels = String(splits.length)
      let lastYear = null
      return splits.map(seconds => {
        const date = new Date(seconds * 1000)
        const withYear = date.getFullYear() !== lastYear
        lastYear = date.getFullYear()
        return formatAxisDate(date, withYear)
      })
    }
  }
}

export function valueAxis (scale, label, options = {}) {
  return { scale, label, size: 52, space: 28, labelSize: 20, ...options }
}

/** A diagonal hatch, the mark of days whose value is provisional or unknown. */
export function hatch (ctx, color) {
  const tile = document.createElement('canvas')
  tile.width = tile.height = 8
  const g = tile.getContext('2d')
  g.strokeStyle = color
  g.lineWidth = 1.5
  g.beginPath()
  g.moveTo(0, 8)
  g.lineTo(8, 0)
  g.stroke()
  return ctx.createPattern(tile, 'repeat')
}

/** Fills the x-ranges of the days where `marked[i]` is true, across the plotting area. */
export function shadeDays (plot, marked, fill) {
  const { ctx, bbox } = plot
  const xs = plot.data[0]
  const halfDay = xs.length > 1 ? (plot.valToPos(xs[1], 'x', true) - plot.valToPos(xs[0], 'x', true)) / 2 : 4
  ctx.save()
  ctx.fillStyle = fill
  ctx.beginPath()
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height)
  ctx.clip()
  for (let i = 0; i < xs.length; i++) {
    if (!marked[i]) continue
    let j = i
    while (j + 1 < xs.length && marked[j + 1]) j++
    const left = plot.valToPos(xs[i], 'x', true) - halfDay
    const right = plot.valToPos(xs[j], 'x', true) + halfDay
    ctx.fillRect(left, bbox.top, right - left, bbox.height)
    i = j
  }
  ctx.restore()
}

/**
 * A tooltip that follows the cursor: `rows(index)` gives [label, value] pairs for the day
 * under it. It is a plain element over the plot, so its text can be read and tested.
 */
export function tooltipPlugin (rows) {
  let tip
  return {
    hooks: {
      init: plot => {
        tip = document.createElement('div')
        tip.className = 'tooltip'
        tip.hidden = true
        tip.setAttribute('role', 'status')
        plot.over.append(tip)
      },
      setCursor: plot => {
        const index = plot.cursor.idx
        if (index == null || plot.cursor.left < 0) {
          tip.hidden = true
          return
        }
        const heading = document.createElement('strong')
        heading.textContent = formatDay(secondsToDay(plot.data[0][index]))
        const lines = rows(index).map(([label, value]) => {
          const line = document.createElement('div')
          line.textContent = `${label}: ${value}`
          return line
        })
        tip.replaceChildren(heading, ...lines)
        tip.hidden = false
        const overWidth = plot.over.clientWidth
        const left = plot.cursor.left + 12
        tip.style.left = `${Math.min(left, Math.max(0, overWidth - tip.offsetWidth))}px`
        tip.style.top = `${Math.max(0, plot.cursor.top - tip.offsetHeight - 8)}px`
      }
    }
  }
}

/** Calls `draw` when the container's width changes: uPlot sizes its canvas once, in pixels. */
export function redrawOnResize (container, draw) {
  let lastWidth = container.clientWidth
  new window.ResizeObserver(() => {
    if (container.clientWidth === lastWidth) return
    lastWidth = container.clientWidth
    draw()
  }).observe(container)
}

export function createPlot (options, data, target) {
  return new UPlot(options, data, target)
}
