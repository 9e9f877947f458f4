import { html, trustedHtml, type Html } from './html.js';
import { STYLES } from './styles.js';

export interface LayoutOptions {
  title: string;
  description: string;
  body: Html;
  /** Inline script body (must be among the hashes of the page's CSP). */
  script?: string;
}

/** The frame of every HTML page: lang, viewport, one inline style sheet, a skip link, header and footer. */
export function layout(options: LayoutOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title}</title>
<meta name="description" content="${options.description}">
<style>${trustedHtml(STYLES)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header>
<h1>dga-edge</h1>
<nav aria-label="Site">
<a href="/">Try it</a>
<a href="/#model">Model card</a>
<a href="/#usage">Usage</a>
<a href="/docs">API docs</a>
<a href="/openapi.json">OpenAPI 3.1 (JSON)</a>
</nav>
<p>Scores domain names for signs of malware domain-generation algorithms (DGAs) with a character-level LSTM, served at the edge.</p>
</header>
<main id="main">
${options.body}
</main>
<footer>
<p>dga-edge: a Cloudflare Worker running an ONNX model with onnxruntime-web. Everything on this page is served by the Worker itself; nothing is loaded from elsewhere.</p>
</footer>
${options.script === undefined ? '' : html`<script>${trustedHtml(options.script)}</script>`}
</body>
</html>
`;
}

/** A copyable command: label, a copy button (revealed by the script; hidden without it) and the text. */
export function snippet(id: string, label: string, text: string): Html {
  return html`<div class="snippet">
<div class="snippet-head"><span id="${id}-label">${label}</span><button type="button" class="copy" data-copy="${id}" aria-describedby="${id}-label" hidden>Copy</button></div>
<pre><code id="${id}">${text}</code></pre>
</div>`;
}

/** Inline text with `code` spans (the Markdown subset descriptions use), escaped like everything else. */
export function inlineText(text: string | undefined): Html {
  if (!text) return html``;
  const parts = text.split('`');
  return html`${parts.map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part))}`;
}
