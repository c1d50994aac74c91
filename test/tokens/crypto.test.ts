import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createTokenCipher, keyIdOf, TokenKeyError } from '../../src/tokens/crypto.ts'

const newKey = () => randomBytes(32).toString('base64')
/** The CHECK on strava_tokens, so a sealed value is always storable. */
const storedFormat = /^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

t.test('a sealed token opens to the original and matches the stored format', async t => {
  const key = newKey()
  const cipher = createTokenCipher(key)
  const sealed = cipher.seal('a-strava-token-1234567890')
  t.match(sealed, storedFormat)
  t.equal(sealed.split('.')[1], keyIdOf(Buffer.from(key, 'base64')), 'the key id is derived from the key')
  t.equal(cipher.open(sealed), 'a-strava-token-1234567890')
  t.not(cipher.seal('a-strava-token-1234567890'), sealed, 'a fresh IV each time')
  t.notOk(sealed.includes('strava-token'))
})

t.test('a tampered ciphertext is refused', async t => {
  const cipher = createTokenCipher(newKey())
  const parts = cipher.seal('a-strava-token').split('.')
  const flipped = Buffer.from(parts[4]!, 'base64url')
  flipped[0] = flipped[0]! ^ 1
  parts[4] = flipped.toString('base64url')
  t.throws(() => cipher.open(parts.join('.')), TokenKeyError)
  t.throws(() => cipher.open('plaintext-token'), TokenKeyError)
})

t.test('after rotation, previous keys still open old tokens and mark them stale', async t => {
  const oldKey = newKey()
  const old = createTokenCipher(oldKey)
  const sealedOld = old.seal('token-under-old-key')
  const rotated = createTokenCipher(newKey(), [oldKey])
  t.equal(rotated.open(sealedOld), 'token-under-old-key')
  t.ok(rotated.isStale(sealedOld))
  t.notOk(rotated.isStale(rotated.seal('x')))

  const err = t.throws(() => createTokenCipher(newKey()).open(sealedOld)) as Error
  t.match(err.message, `unknown key ${old.currentKeyId}`, 'the error names the missing key id')
  t.notMatch(err.message, 'token-under-old-key')
})

t.test('a key that is not 32 bytes is refused, naming the variable', async t => {
  t.throws(() => createTokenCipher(Buffer.alloc(16).toString('base64')), /TOKEN_ENCRYPTION_KEY must be 32 bytes/)
  t.throws(() => createTokenCipher(newKey(), ['c2hvcnQ=']), /TOKEN_ENCRYPTION_PREVIOUS_KEYS must be 32 bytes/)
})
