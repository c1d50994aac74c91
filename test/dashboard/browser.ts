import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'

/** What the dashboard's browser tests share: Debian's chromium, the artifacts folder, axe-core. */

export const CHROMIUM = '/usr/bin/chromium'
export const skipWithoutChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian's chromium package to run the browser test`
export const artifacts = new URL('../artifacts/', import.meta.url).pathname
export const docsDir = new URL('../../docs/', import.meta.url).pathname
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export async function launch (t: Test, viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'trainload-chromium-'))
  t.teardown(() => rm(userDataDir, { recursive: true, force: true }))
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
    viewport
  })
  t.teardown(() => browser.close())
  await mkdir(artifacts, { recursive: true })
  return browser
}

/**
 * A page that records script errors and Content-Security-Policy violations, so a test can
 * assert there were none: each load, script or style the policy refuses fires a
 * securitypolicyviolation event in the page, and may log "Refused to ..." on its console.
 */
export async function openPage (browser: BrowserContext, url: string): Promise<{ page: Page, pageErrors: string[], cspViolations: string[] }> {
  const page = await browser.newPage()
  const pageErrors: string[] = []
  const cspViolations: string[] = []
  page.on('pageerror', err => pageErrors.push(err.message))
  page.on('console', message => { if (message.text().includes('Refused to')) cspViolations.push(message.text()) })
  await page.exposeFunction('reportCspViolation', (text: string) => { cspViolations.push(text) })
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', event => {
      (window as unknown as { reportCspViolation: (text: string) => void }).reportCspViolation(`${event.violatedDirective} refused ${event.blockedURI}: ${event.sample}`)
    })
  })
  await page.goto(url)
  return { page, pageErrors, cspViolations }
}

/** Signs in through the form; `athleteId` only where the service cannot tell it from the key. */
export async function signIn (page: Page, credential: string, athleteId?: number): Promise<void> {
  await page.fill('input[name=credential]', credential)
  if (athleteId !== undefined) await page.fill('input[name=athleteId]', String(athleteId))
  await page.click('#sign-in-form button[type=submit]')
}

/** Pixels on the chart's first canvas close to `rgb`: a drawn series, not an empty frame. */
export function pixelsOfColour (page: Page, rgb: [number, number, number], selector = '#chart .panel-load canvas'): Promise<number> {
  return page.$eval(selector, (canvas, [r, g, b]) => {
    const c = canvas as HTMLCanvasElement
    const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height)
    let count = 0
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i]! - r!) < 24 && Math.abs(data[i + 1]! - g!) < 24 && Math.abs(data[i + 2]! - b!) < 24) count++
    }
    return count
  }, rgb)
}

export const ACUTE_RGB: [number, number, number] = [0xd9, 0x48, 0x0f]
export const CTL_RGB: [number, number, number] = [0x1c, 0x7e, 0xd6]

export const rendered = (page: Page) => page.$eval('#chart', chart => (chart as HTMLElement).dataset.rendered ?? '')

/** `targets` are the offending elements' selectors, so a failure names what to fix. */
export interface AxeViolation { id: string, impact: string | null, help: string, targets: string[] }

/** axe-core's serious and critical findings on the page as it is now. */
export async function seriousAccessibilityViolations (page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol rather than added as a <script>, which the page's
  // CSP (scripts from its own origin only) rightly refuses.
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document) => Promise<{ violations: Array<{ id: string, impact: string | null, help: string, nodes: Array<{ target: unknown[] }> }> }> } }).axe
    const { violations } = await axe.run(document)
    return violations
      .filter(violation => violation.impact === 'serious' || violation.impact === 'critical')
      .map(violation => ({ id: violation.id, impact: violation.impact, help: violation.help, targets: violation.nodes.map(node => node.target.join(' ')) }))
  })
}

/** How far the page is wider than its viewport; 0 when nothing overflows sideways. */
/**
 * How far the page overflows sideways, measured two frames on: the charts redraw for a new
 * width from a ResizeObserver, which runs in the frame after a viewport change.
 */
export const horizontalOverflow = (page: Page) => page.evaluate(async () => {
  for (let frame = 0; frame < 2; frame++) await new Promise(resolve => requestAnimationFrame(resolve))
  return document.documentElement.scrollWidth - window.innerWidth
})
