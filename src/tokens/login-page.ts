/**
 * The Strava callback as a browser sees it: a small page instead of the JSON an API client
 * reads. The page carries no inline script (the CSP forbids it); /login-complete.js reads the
 * key from a <meta>, keeps it in the tab's session storage as the sign-in form does, and
 * replaces the page with the dashboard, so the key is never in a URL or the history.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, char => ESCAPES[char]!)

/** The quality the Accept header gives `type`, counting `text/*` and `*\/*` where it is not named. */
function quality (accept: string, type: string): number {
  const [major] = type.split('/')
  let best = { specificity: -1, q: 0 }
  for (const entry of accept.split(',')) {
    const [range = '', ...params] = entry.trim().toLowerCase().split(';')
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1
    if (specificity <= best.specificity) continue
    const q = params.map(param => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find(Boolean)
    best = { specificity, q: q === undefined ? 1 : Number(q) }
  }
  return best.q
}

/**
 * True when the request would rather have HTML than JSON, as a browser following Strava's
 * redirect does. No Accept header, `*\/*` and `application/json` keep the JSON reply.
 */
export function prefersHtml (accept: string | undefined): boolean {
  if (!accept) return false
  return quality(accept, 'text/html') > quality(accept, 'application/json')
}

function page (title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · trainload</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/style.css">
${head}</head>
<body>
  <main>
    <section class="card login-page">
${body}
    </section>
  </main>
</body>
</html>
`
}

/** The page that signs the browser in with the key just issued, then opens the dashboard. */
export function loginCompletePage ({ athleteId, apiKey }: { athleteId: number, apiKey: string }): string {
  return page('Signing in', `  <meta name="trainload-athlete-id" content="${athleteId}">
  <meta name="trainload-api-key" content="${escapeHtml(apiKey)}">
  <script type="module" src="/login-complete.js"></script>
`, `      <h1>Strava is connected</h1>
      <p>Opening your dashboard…</p>
      <noscript><p class="error">The dashboard needs JavaScript. Turn it on and connect again.</p></noscript>`)
}

/** Why the login failed, with a way back; the status stays the one the JSON reply has. */
export function loginFailedPage (message: string): string {
  return page('Strava login failed', '', `      <h1>The Strava login did not complete</h1>
      <p class="error" role="alert">${escapeHtml(message)}</p>
      <p><a class="button" href="/auth/strava">Connect with Strava again</a> <a href="/">Back to trainload</a></p>`)
}
