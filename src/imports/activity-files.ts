import { Worker } from 'node:worker_threads'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { find as findTimeZones } from 'geo-tz'
import sax from 'sax'
import { knownTimeZone } from '../time-zones.ts'

/** Where an activity file says it was recorded: a position, or only the device's offset from UTC. */
export type RecordedPlace = { lat: number, lon: number } | { offsetS: number }

/** The zone an activity's local time follows: an IANA zone, or a fixed offset when the file has no position. */
export type FileZone = { timeZone: string } | { offsetS: number }

/** FIT files beyond this are not decoded; the row falls back to the athlete's timezone. */
const MAX_FIT_BYTES = 64 * 1024 * 1024

export type ActivityFileKind = 'fit' | 'gpx' | 'tcx'

export function activityFileKind (filename: string): ActivityFileKind | null {
  const match = /\.(fit|gpx|tcx)(\.gz)?$/i.exec(filename)
  return match ? match[1]!.toLowerCase() as ActivityFileKind : null
}

const isGzipped = (filename: string) => /\.gz$/i.test(filename)

async function readAll (input: Readable, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of input as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      input.destroy()
      return null
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/**
 * The first position of a GPX (`trkpt`/`rtept` attributes) or TCX (`Trackpoint/Position`)
 * file, read as a stream: parsing stops at the first point, so a long track is never read
 * whole.
 */
function firstXmlPosition (input: Readable, kind: 'gpx' | 'tcx'): Promise<RecordedPlace | null> {
  return new Promise(resolve => {
    const parser = sax.createStream(false, { lowercase: true, trim: true })
    let settled = false
    let element = ''
    let lat: number | undefined
    const finish = (place: RecordedPlace | null) => {
      if (settled) return
      settled = true
      input.unpipe(parser)
      input.destroy()
      resolve(place)
    }
    parser.on('opentag', tag => {
      element = tag.name
      if (kind === 'gpx' && (tag.name === 'trkpt' || tag.name === 'rtept')) {
        const place = { lat: Number(tag.attributes.lat), lon: Number(tag.attributes.lon) }
        if (Number.isFinite(place.lat) && Number.isFinite(place.lon)) finish(place)
      }
    })
    parser.on('text', text => {
      if (kind !== 'tcx') return
      if (element === 'latitudedegrees') lat = Number(text)
      else if (element === 'longitudedegrees' && lat !== undefined && Number.isFinite(lat) && Number.isFinite(Number(text))) finish({ lat, lon: Number(text) })
    })
    parser.on('error', () => finish(null))
    parser.on('end', () => finish(null))
    input.on('error', () => finish(null))
    input.pipe(parser)
  })
}

/**
 * The worker thread that decodes FIT files, started on first use and shared by every import
 * of the process: starting one costs more than decoding a typical file. It keeps the process
 * alive only while it has work.
 */
class FitDecoder {
  private worker: Worker | undefined
  private nextId = 0
  private readonly pending = new Map<number, (place: RecordedPlace | null) => void>()

  private start (): Worker {
    const worker = new Worker(new URL('./fit-worker.js', import.meta.url))
    worker.on('message', ({ id, result }: { id: number, result: RecordedPlace | null }) => this.settle(id, result))
    worker.on('error', () => this.failAll())
    worker.on('exit', () => this.failAll())
    return worker
  }

  private settle (id: number, result: RecordedPlace | null): void {
    this.pending.get(id)?.(result)
    this.pending.delete(id)
    if (this.pending.size === 0) this.worker?.unref()
  }

  private failAll (): void {
    for (const resolve of this.pending.values()) resolve(null)
    this.pending.clear()
    this.worker = undefined
  }

  firstPlace (bytes: Buffer): Promise<RecordedPlace | null> {
    const worker = this.worker ??= this.start()
    worker.ref()
    const id = this.nextId++
    return new Promise(resolve => {
      this.pending.set(id, resolve)
      worker.postMessage({ id, bytes })
    })
  }
}

const fitDecoder = new FitDecoder()

/** The IANA zone at a position; the first of several at a border. */
export function timeZoneAt (lat: number, lon: number): string | null {
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null
  const zone = findTimeZones(lat, lon)[0]
  // geo-tz may know zones newer than the runtime's time zone data, which could not show their times.
  return zone !== undefined && knownTimeZone(zone) !== null ? zone : null
}

/**
 * The zone an activity file places its activity in, or null when the file has neither a
 * position nor a recorded offset, or cannot be read: the caller then uses the athlete's
 * timezone setting.
 */
export async function zoneOfActivityFile (filename: string, input: Readable): Promise<FileZone | null> {
  const kind = activityFileKind(filename)
  if (!kind) {
    input.resume()
    return null
  }
  let source = input
  if (isGzipped(filename)) {
    const gunzip = createGunzip()
    input.on('error', err => gunzip.destroy(err))
    source = input.pipe(gunzip)
  }
  let place: RecordedPlace | null = null
  try {
    if (kind === 'fit') {
      const bytes = await readAll(source, MAX_FIT_BYTES)
      place = bytes && await fitDecoder.firstPlace(bytes)
    } else {
      place = await firstXmlPosition(source, kind)
    }
  } catch {
    return null
  }
  if (!place) return null
  if ('offsetS' in place) return Math.abs(place.offsetS) <= 14 * 3600 ? { offsetS: place.offsetS } : null
  const timeZone = timeZoneAt(place.lat, place.lon)
  return timeZone ? { timeZone } : null
}
