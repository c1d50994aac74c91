/**
 * The end of the Strava login in a browser: the callback page holds the new key in a <meta>.
 * It is kept as the sign-in form keeps a key, and the page is replaced (not pushed) with the
 * dashboard, so neither the key nor the callback's one-time code stays in the history.
 */
import { session } from './session.js'

const meta = name => document.querySelector(`meta[name="${name}"]`)
const key = meta('trainload-api-key')
const athleteId = Number(meta('trainload-athlete-id')?.content)
if (key?.content && Number.isInteger(athleteId)) session.save({ credential: key.content, athleteId })
key?.remove()
window.location.replace('/')
