import { html, type Html } from './html.js';
import { layout, snippet } from './layout.js';
import type { CardSummary } from './model-card.js';
import { TRY_IT_SCRIPT } from './try-it-script.js';

export interface HomePageOptions {
  /** The request's own origin, e.g. "https://dga.example.net": every usage line is built from it. */
  origin: string;
  card: CardSummary;
  /** The threshold in force (DGA_THRESHOLD or the model's). */
  threshold: number;
  /** MAX_BATCH: most names per request. */
  maxBatch: number;
  /** Whether GET /roc.svg serves the ROC plot. */
  hasRoc: boolean;
}

const count = (n: number) => n.toLocaleString('en-US');
const pct = (p: number, digits = 1) => `${(p * 100).toFixed(digits)}%`;
const FPR_WORDS: Record<string, string> = { '0.01': '1 in 100', '1e-3': '1 in 1,000', '1e-4': '1 in 10,000' };

/** Lines for dig's DNS-over-HTTPS modes against this origin (HTTP/2; the edge provides it in production). */
function digLines(origin: URL): string {
  const https = origin.protocol === 'https:';
  const port = origin.port || (https ? '443' : '80');
  const host = origin.hostname.replace(/^\[|\]$/g, '');
  const [post, get] = https ? ['+https', '+https-get'] : ['+http-plain', '+http-plain-get'];
  return [`dig ${post} @${host} -p ${port} example.com`, `dig ${get} @${host} -p ${port} xjwqkzpvbn.net`].join('\n');
}

function modelCard(card: CardSummary, threshold: number, hasRoc: boolean): Html {
  const { test } = card;
  return html`<section id="model" aria-labelledby="model-h">
<h2 id="model-h">Model card summary</h2>
<div class="grid">
<div>
<dl class="facts">
<dt>Model</dt><dd>${card.id} ${card.version}</dd>
<dt>Trained</dt><dd>${card.createdAt.slice(0, 10)}</dd>
<dt>Architecture</dt><dd>${card.architecture} (${count(card.parameters)} parameters)</dd>
<dt>Threshold in force</dt><dd>${threshold.toFixed(5)}${threshold === card.threshold ? ' (the model’s)' : ` (the model’s is ${card.threshold.toFixed(5)})`}</dd>
<dt>Test split</dt><dd>${count(test.benign)} benign and ${count(test.dga)} DGA names never seen in training</dd>
<dt>ROC AUC</dt><dd>${test.auc}${test.aucInterval ? ` (95% interval ${test.aucInterval.low.toFixed(5)}–${test.aucInterval.high.toFixed(5)})` : ''}</dd>
${test.operatingPoints.map(
  (p) => html`<dt>Detection at FPR ${FPR_WORDS[p.target] ?? p.target}</dt><dd>${pct(p.tpr)} of DGA names${p.tprInterval ? ` (95% interval ${pct(p.tprInterval.low)}–${pct(p.tprInterval.high)})` : ''}</dd>`,
)}
<dt>At the model’s threshold</dt><dd>${pct(test.atThreshold.tpr)} detected, ${pct(test.atThreshold.fpr, 2)} false positives</dd>
${card.familyHead ? html`<dt>Family head</dt><dd>${card.familyHead.classes} classes; micro-F1 ${card.familyHead.microF1.toFixed(2)}, macro-F1 ${card.familyHead.macroF1.toFixed(2)}</dd>` : ''}
</dl>
<p>Weak spots: ${card.weakestFamilies.map((f, i) => html`${i > 0 ? ', ' : ''}${f.name} (${pct(f.tpr)} detected)`)}: short random
names and word-list DGAs. The threshold is set for few false positives, so many DGA names score high but stay below it.
The full card (data, training, per-family figures) is <code>model/CARD.md</code> in the repository.</p>
</div>
${
  hasRoc
    ? html`<figure>
<img src="/roc.svg" width="720" height="582" alt="ROC curve of ${card.id} ${card.version} on its test split: detection rate against false-positive rate on a log scale; AUC ${test.auc}.">
<figcaption>ROC curve on the test split (false-positive rate on a log scale).</figcaption>
</figure>`
    : ''
}
</div>
</section>`;
}

function usage(origin: URL, maxBatch: number): Html {
  const base = origin.origin;
  const batch = JSON.stringify({ domains: ['google.com', 'xjwqkzpvbn.net', 'bad_name.com'], families: 3 });
  return html`<section id="usage" aria-labelledby="usage-h">
<h2 id="usage-h">Usage</h2>
<p>The same model answers over HTTP. Every error has one shape, <code>{"error": {"code", "message"}}</code>; the
<a href="/docs">API docs</a> list every route, parameter and code (machine-readable: <a href="/openapi.json">/openapi.json</a>).</p>
<h3>HTTP API</h3>
${snippet('curl-get', 'One name, with its top 3 families', `curl '${base}/v1/classify?domain=xjwqkzpvbn.net&families=3'`)}
${snippet('curl-post', `A batch (up to ${count(maxBatch)} names), answered in order`, `curl -X POST '${base}/v1/classify' \\\n  -H 'content-type: application/json' \\\n  -d '${batch}'`)}
${snippet('curl-model', 'The model in service and its threshold', `curl '${base}/v1/model'`)}
<h3>DNS over HTTPS</h3>
<p>As a DNS filter: DNS over HTTPS (RFC 8484) at <code>/dns-query</code>, POST and GET, with the model screening the
queried names. dig speaks DoH over HTTP/2, which Cloudflare’s edge provides in production.</p>
${snippet('dig', 'DoH with dig (POST, then GET)', digLines(origin))}
</section>`;
}

/** The public page: try-it box, model card summary with the ROC plot, and copyable usage lines. */
export function homePage(options: HomePageOptions): Html {
  const origin = new URL(options.origin);
  const hasFamilies = options.card.familyHead !== undefined;
  const body = html`<section id="try-it" aria-labelledby="try-h">
<h2 id="try-h">Try it</h2>
<form id="try" data-families="${hasFamilies ? 3 : 0}" data-threshold="${options.threshold}" data-max-batch="${options.maxBatch}">
<label for="domains">Domain names</label>
<p class="hint" id="domains-hint">One or many, separated by new lines, commas or spaces (at most ${count(options.maxBatch)}). Each name is scored on its registrable label, the part left of the public suffix, which is highlighted in the results.</p>
<textarea id="domains" name="domains" rows="6" spellcheck="false" autocapitalize="off" autocomplete="off" aria-describedby="domains-hint" placeholder="google.com&#10;xjwqkzpvbn.net"></textarea>
<p><button type="submit" id="classify" class="primary">Classify</button></p>
</form>
<noscript><p>The try-it box needs JavaScript. Without it, use the <a href="#usage">curl lines below</a> or the <a href="/docs">API docs</a>.</p></noscript>
<p id="status" class="status" role="status" aria-live="polite"></p>
<table id="results" hidden>
<caption>Results, in input order</caption>
<thead><tr><th scope="col">Name (scored part highlighted)</th><th scope="col">DGA score</th><th scope="col">Verdict</th><th scope="col">Top families (probability if DGA)</th></tr></thead>
<tbody></tbody>
</table>
</section>
${modelCard(options.card, options.threshold, options.hasRoc)}
${usage(origin, options.maxBatch)}`;
  return layout({
    title: 'dga-edge: DGA domain detector',
    description: 'Paste domain names and see whether a character-level LSTM thinks a domain-generation algorithm made them.',
    body,
    script: TRY_IT_SCRIPT,
  });
}
