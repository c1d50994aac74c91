import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

const VERSION = 'v1'
const ALGORITHM = 'aes-256-gcm'
/** 96-bit IVs are what GCM is specified for; a random one per seal never repeats in practice. */
const IV_BYTES = 12

export class TokenKeyError extends Error {
  override name = 'TokenKeyError'
}

export interface TokenCipher {
  /** Id of the key new ciphertexts are sealed under. */
  currentKeyId: string
  seal: (plaintext: string) => string
  open: (sealed: string) => string
  /** Whether a stored value is sealed under an older key and should be re-encrypted. */
  isStale: (sealed: string) => boolean
}

/**
 * The id is derived from the key itself, so that a ciphertext names the key that opens it
 * without anyone having to assign ids, and a key list can be given in any order.
 */
export function keyIdOf (key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8)
}

function decodeKey (base64: string, name: string): Buffer {
  const key = Buffer.from(base64, 'base64')
  if (key.length !== 32) throw new TokenKeyError(`${name} must be 32 bytes in base64`)
  return key
}

/**
 * AES-256-GCM sealing to `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url), the shape the
 * strava_tokens CHECK accepts. New values use the current key; previous keys only open.
 */
export function createTokenCipher (currentKey: string, previousKeys: string[] = []): TokenCipher {
  const current = decodeKey(currentKey, 'TOKEN_ENCRYPTION_KEY')
  const currentKeyId = keyIdOf(current)
  const keys = new Map<string, Buffer>()
  for (const previous of previousKeys) {
    const key = decodeKey(previous, 'TOKEN_ENCRYPTION_PREVIOUS_KEYS')
    keys.set(keyIdOf(key), key)
  }
  keys.set(currentKeyId, current)

  return {
    currentKeyId,
    seal (plaintext) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv(ALGORITHM, current, iv)
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return [VERSION, currentKeyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.')
    },
    open (sealed) {
      const [version, keyId, iv, tag, ciphertext, ...rest] = sealed.split('.')
      if (version !== VERSION || !keyId || !iv || !tag || !ciphertext || rest.length > 0) {
        throw new TokenKeyError('stored token is not in the v1 sealed format')
      }
      const key = keys.get(keyId)
      if (!key) throw new TokenKeyError(`stored token is sealed under unknown key ${keyId}; add that key to TOKEN_ENCRYPTION_PREVIOUS_KEYS`)
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      try {
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
      } catch {
        throw new TokenKeyError(`stored token under key ${keyId} failed authentication`)
      }
    },
    isStale: sealed => !sealed.startsWith(`${VERSION}.${currentKeyId}.`)
  }
}

export function splitKeyList (list: string): string[] {
  return list.split(',').map(s => s.trim()).filter(Boolean)
}

export function tokenCipherFromConfig (config: { TOKEN_ENCRYPTION_KEY?: string, TOKEN_ENCRYPTION_PREVIOUS_KEYS: string }): TokenCipher {
  if (!config.TOKEN_ENCRYPTION_KEY) throw new TokenKeyError('TOKEN_ENCRYPTION_KEY is not set')
  return createTokenCipher(config.TOKEN_ENCRYPTION_KEY, splitKeyList(config.TOKEN_ENCRYPTION_PREVIOUS_KEYS))
}
