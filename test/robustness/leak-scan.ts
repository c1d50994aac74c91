import type { LightMyRequestResponse } from 'fastify'

/**
 * Collects every log line and response body a test file produces, and the secrets that must
 * never appear in them: the admin token, API keys, Strava tokens. The response that issues an
 * API key is the one place its key may appear; callers pass `issuesKey` for it.
 */
export class LeakScan {
  private readonly secrets = new Map<string, string>()
  private readonly texts: Array<{ source: string, text: string }> = []
  responses = 0
  logLines = 0

  addSecret (label: string, value: string): void {
    this.secrets.set(value, label)
  }

  readonly onLog = (line: string): void => {
    this.logLines++
    this.texts.push({ source: 'log', text: line })
  }

  record (source: string, res: LightMyRequestResponse, { issuesKey = false } = {}): void {
    this.responses++
    if (issuesKey) {
      const { apiKey } = res.json() as { apiKey?: string }
      if (apiKey) this.addSecret(`API key issued by ${source}`, apiKey)
      return
    }
    this.texts.push({ source, text: `${JSON.stringify(res.headers)}\n${res.body}` })
  }

  /** Every place a secret appears, as "secret label in source". */
  findLeaks (): string[] {
    const leaks: string[] = []
    for (const { source, text } of this.texts) {
      for (const [value, label] of this.secrets) {
        if (text.includes(value)) leaks.push(`${label} in ${source}`)
      }
    }
    return leaks
  }

  get secretCount (): number {
    return this.secrets.size
  }
}
