import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createClassifier } from '../../src/core/classifier.js';
import { escapeHtml, html, trustedHtml } from '../../src/page/html.js';
import { TRY_IT_SCRIPT } from '../../src/page/try-it-script.js';
import { testMetadata } from '../fixtures/metadata.js';

const classifier = createClassifier({
  metadata: testMetadata(),
  scorer: { score: async (_c, n) => ({ scores: new Float32Array(n).fill(0.2), logits: new Float32Array(n) }) },
});

describe('the html template helper', () => {
  it('escapes every interpolated value, in text and attributes', () => {
    const value = `<script>alert("x")</script>&'`;
    expect(html`<p title="${value}">${value}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
    expect(escapeHtml('a&b')).toBe('a&amp;b');
  });

  it('nests fragments without escaping them twice, joins arrays and drops empty values', () => {
    const items = ['<a>', 'b'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${undefined}${null}${false}${0}`.value).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>0');
    expect(html`${trustedHtml('<b>ok</b>')}`.value).toBe('<b>ok</b>');
  });
});

describe('the page script', () => {
  it('parses, and never turns data into markup', () => {
    expect(() => new Function(TRY_IT_SCRIPT)).not.toThrow();
    expect(TRY_IT_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });
});

describe('GET / and GET /docs', () => {
  const app = createApp({ classifier: async () => classifier, rocSvg: '<svg xmlns="http://www.w3.org/2000/svg"/>' });

  it('escape what comes from the request: a hostile host name reaches the page only escaped', async () => {
    const host = `x"y'z&w.example`;
    for (const path of ['/', '/docs']) {
      const res = await app.request(`http://${host}${path}?q=<script>alert(1)</script>`);
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain('x&quot;y&#39;z&amp;w.example');
      expect(page).not.toContain(host);
      expect(page).not.toContain('<script>alert');
    }
  });

  it('need no model: the page answers while the model cannot load', async () => {
    const broken = createApp({
      classifier: async () => {
        throw new Error('no model');
      },
    });
    const res = await broken.request('http://dga.test/');
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('src="/roc.svg"'); // no plot given: no broken image either
    expect((await broken.request('http://dga.test/roc.svg')).status).toBe(404);
  });

  it('answer other methods with 405', async () => {
    const res = await app.request('http://dga.test/', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});
