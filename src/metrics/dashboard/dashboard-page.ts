/**
 * The dashboard as one static HTML document with its style and script inline, and the headers it is
 * served with. Built once at load: the page holds nothing per request or per app (it finds the summary
 * from its own URL), so its CSP can name the script and style by hash instead of needing a nonce.
 */
import { createHash } from 'node:crypto';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';
import { DASHBOARD_STYLE } from './dashboard-style.js';

const hash = (text: string) =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const BODY = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Metrics dashboard</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style>
</head>
<body>
<header>
<h1><span id="app-name">Metrics</span><small id="app-version"></small></h1>
<div class="meta">
<span id="status" class="status" data-state="connecting">Connecting</span>
<span>Uptime <b id="uptime">&ndash;</b></span>
<span>Last refresh <b id="refreshed">&ndash;</b></span>
<label>Refresh every <select id="interval"></select></label>
</div>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<main>
<section class="tiles" id="tiles"></section>
<section class="grid" id="cards"></section>
</main>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;

/**
 * Nothing loads but the document's own script and style; data comes only from its origin; no plugin,
 * frame, form or base URL; and Trusted Types turn any HTML sink (`innerHTML` and the like) into an
 * error, so app-provided labels can never become markup.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${hash(DASHBOARD_SCRIPT)}`,
  `style-src ${hash(DASHBOARD_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** The page and the headers every answer with it carries. */
export const DASHBOARD_PAGE: {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
} = {
  body: BODY,
  headers: {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  },
};
