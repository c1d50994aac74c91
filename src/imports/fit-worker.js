// Decodes FIT files off the main thread: a long activity's file takes long enough to decode
// that the event loop would stall for every other request. Answers with the first recorded
// position, or else the offset of local time the device recorded, or nothing.
import { parentPort } from 'node:worker_threads'
import { Decoder, Stream } from '@garmin/fitsdk'

const RECORD = 20
const SEMICIRCLES_PER_DEGREE = 2 ** 31 / 180

class Found extends Error {}

function firstPosition (bytes) {
  const stream = Stream.fromByteArray(bytes)
  if (!Decoder.isFIT(stream)) return null
  let position = null
  const { messages } = new Decoder(stream).read({
    convertDateTimesToDates: false,
    mesgListener: (mesgNum, mesg) => {
      if (mesgNum === RECORD && Number.isFinite(mesg.positionLat) && Number.isFinite(mesg.positionLong)) {
        position = { lat: mesg.positionLat / SEMICIRCLES_PER_DEGREE, lon: mesg.positionLong / SEMICIRCLES_PER_DEGREE }
        // The decoder stops at the first error a listener throws: nothing past this point is needed.
        throw new Found()
      }
    }
  })
  if (position) return position
  const activity = messages.activityMesgs?.[0]
  if (Number.isFinite(activity?.timestamp) && Number.isFinite(activity?.localTimestamp)) {
    // Zones are offset from UTC by whole quarter hours; the two timestamps may be rounded apart.
    return { offsetS: Math.round((activity.localTimestamp - activity.timestamp) / 900) * 900 }
  }
  return null
}

parentPort.on('message', ({ id, bytes }) => {
  try {
    parentPort.postMessage({ id, result: firstPosition(bytes) })
  } catch {
    parentPort.postMessage({ id, result: null })
  }
})
