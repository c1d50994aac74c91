import { hashApiKey, type ApiKeyOwner } from './api-keys.ts'

/**
 * Valid API keys checked in the last `ttlMs`, so that most requests need no key lookup of
 * their own (a read is then one statement). Only valid keys are kept: an unknown key is
 * looked up every time, and counted by the failed-credential limit. A key revoked through
 * this instance is forgotten at once; one revoked on another instance, or by the CLI, stops
 * working here within `ttlMs`. Keys are held by their digest, never in plaintext, and at most
 * `maxEntries` of them, the oldest dropped first.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { owner: ApiKeyOwner, expiresAt: number }>()

  constructor (
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now
  ) {}

  async find (apiKey: string, lookup: (apiKey: string) => Promise<ApiKeyOwner | undefined>): Promise<ApiKeyOwner | undefined> {
    if (this.ttlMs === 0) return lookup(apiKey)
    const digest = hashApiKey(apiKey).toString('base64')
    const cached = this.entries.get(digest)
    if (cached && cached.expiresAt > this.now()) return cached.owner
    this.entries.delete(digest)
    const owner = await lookup(apiKey)
    if (owner) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!)
      this.entries.set(digest, { owner, expiresAt: this.now() + this.ttlMs })
    }
    return owner
  }

  /** Forgets a revoked key, so that this instance refuses it on the next request. */
  forgetKey (keyId: number): void {
    for (const [digest, { owner }] of this.entries) {
      if (owner.keyId === keyId) this.entries.delete(digest)
    }
  }
}
