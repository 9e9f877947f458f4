/**
 * The page's only script, inlined and allowed by its hash in the CSP. Plain browser JavaScript (no build
 * step, no framework): it posts the pasted names to POST /v1/classify and renders the answer with DOM
 * methods and textContent only (never innerHTML), so nothing from the input or the API can become markup.
 * It also reveals and wires the copy buttons. The browser test (test/browser/page.test.ts) runs it in
 * Chromium; test/unit/page.test.ts checks that it parses.
 */
export const TRY_IT_SCRIPT = String.raw`
(function () {
  'use strict';
  var form = document.getElementById('try');
  var input = document.getElementById('domains');
  var button = document.getElementById('classify');
  var status = document.getElementById('status');
  var table = document.getElementById('results');
  var tbody = table && table.querySelector('tbody');
  if (!form || !input || !button || !status || !table || !tbody) return;
  var families = Number(form.getAttribute('data-families')) || 0;
  var threshold = Number(form.getAttribute('data-threshold'));
  var maxBatch = Number(form.getAttribute('data-max-batch')) || 1000;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? 'status error' : 'status';
  }
  function formatScore(score) {
    // Scores crowd near 1 and the threshold is steep: show a fifth decimal up there.
    return score >= 0.95 ? score.toFixed(5) : score.toFixed(4);
  }
  function percent(p) {
    return (p * 100).toFixed(1) + '%';
  }
  // The scored label is the one left of the public suffix: mark the last whole-label match that still
  // leaves at least one label after it (or the whole name when it has one label).
  function nameWithScoredPart(name, scored) {
    var span = el('span', 'name');
    var labels = name.split('.');
    var at = -1;
    for (var i = labels.length - 1; i >= 0; i--) {
      if (labels[i] === scored && (i < labels.length - 1 || labels.length === 1)) { at = i; break; }
    }
    if (at < 0) { span.textContent = name; return span; }
    var before = labels.slice(0, at).join('.');
    var after = labels.slice(at + 1).join('.');
    if (before) span.appendChild(document.createTextNode(before + '.'));
    span.appendChild(el('mark', '', scored));
    if (after) span.appendChild(document.createTextNode('.' + after));
    return span;
  }
  function describeInput(value) {
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
  function resultRow(item) {
    var row = el('tr');
    var nameCell = el('td');
    if (item.error) {
      nameCell.appendChild(el('span', 'name', describeInput(item.domain)));
      row.appendChild(nameCell);
      var errorCell = el('td', 'item-error');
      errorCell.colSpan = 3;
      errorCell.appendChild(el('span', 'verdict error', 'not scored'));
      errorCell.appendChild(document.createTextNode(' ' + item.error.code + ': ' + item.error.message));
      row.appendChild(errorCell);
      row.setAttribute('data-state', 'error');
      return row;
    }
    nameCell.appendChild(nameWithScoredPart(item.name, item.scored));
    if (item.domain !== item.name) nameCell.appendChild(el('span', 'input', 'input: ' + item.domain));
    // An internationalised label is read in Latin letters (xn--mnchen-3ya as munchen): say what was read.
    if (item.scored && item.name.split('.').indexOf(item.scored) < 0) nameCell.appendChild(el('span', 'input', 'read as: ' + item.scored));
    row.appendChild(nameCell);

    var scoreCell = el('td');
    var wrap = el('div', 'score');
    var meter = el('meter');
    meter.min = 0;
    meter.max = 1;
    meter.low = Math.min(0.5, threshold);
    meter.high = threshold;
    meter.optimum = 0;
    meter.value = item.score;
    meter.setAttribute('aria-label', 'DGA score of ' + item.name);
    wrap.appendChild(meter);
    wrap.appendChild(el('span', 'num', formatScore(item.score)));
    scoreCell.appendChild(wrap);
    row.appendChild(scoreCell);

    var verdictCell = el('td');
    if (item.unscored) {
      verdictCell.appendChild(el('span', 'verdict benign', 'not scored'));
      verdictCell.appendChild(document.createTextNode(' no Latin letter to read'));
    } else {
      verdictCell.appendChild(el('span', item.dga ? 'verdict dga' : 'verdict benign', item.dga ? 'DGA' : 'benign'));
    }
    row.appendChild(verdictCell);

    var familyCell = el('td');
    // "other": no known family reached the model's open-set cut-off; the list below is the head's ranking.
    if (item.family && item.family.nearest) {
      familyCell.appendChild(el('p', 'family-other', 'other (unknown family?) ' + percent(item.family.probability)));
    }
    var list = item.families || (item.family && !item.family.nearest ? [item.family] : item.family ? [item.family.nearest] : []);
    if (list.length) {
      var ul = el('ul', item.dga ? 'families' : 'families if-dga');
      list.forEach(function (f) { ul.appendChild(el('li', '', f.name + ' ' + percent(f.probability))); });
      familyCell.appendChild(ul);
    } else {
      familyCell.textContent = '–';
    }
    row.appendChild(familyCell);
    row.setAttribute('data-state', item.dga ? 'dga' : 'benign');
    return row;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var domains = input.value.split(/[\s,;]+/).filter(function (d) { return d.length > 0; });
    if (domains.length === 0) { say('Enter at least one domain name.', true); input.focus(); return; }
    if (domains.length > maxBatch) { say('At most ' + maxBatch + ' names at once; you entered ' + domains.length + '.', true); return; }
    var body = { domains: domains };
    if (families > 0) body.families = families;
    button.disabled = true;
    table.setAttribute('aria-busy', 'true');
    say('Classifying ' + domains.length + (domains.length === 1 ? ' name…' : ' names…'), false);
    var started = performance.now();
    fetch('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      })
      .then(function (answer) {
        if (!answer.ok || !answer.json.results) {
          var error = (answer.json && answer.json.error) || { code: 'error', message: 'unexpected answer' };
          say(error.code + ': ' + error.message, true);
          return;
        }
        tbody.replaceChildren();
        var flagged = 0, failed = 0;
        answer.json.results.forEach(function (item) {
          if (item.error) failed++; else if (item.dga) flagged++;
          tbody.appendChild(resultRow(item));
        });
        table.hidden = false;
        var n = answer.json.results.length;
        say(n + (n === 1 ? ' name' : ' names') + ' classified by ' + answer.json.model.id + ' ' + answer.json.model.version +
          ' in ' + Math.round(performance.now() - started) + ' ms: ' + flagged + ' DGA, ' + (n - flagged - failed) + ' benign, ' +
          failed + ' not scored.', false);
      })
      .catch(function (error) { say('The request failed: ' + error.message, true); })
      .finally(function () { button.disabled = false; table.removeAttribute('aria-busy'); });
  });

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'skip';
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) resolve(); else reject(new Error('copy is not available'));
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('button.copy'), function (copy) {
    copy.hidden = false;
    copy.addEventListener('click', function () {
      var source = document.getElementById(copy.getAttribute('data-copy'));
      if (!source) return;
      copyText(source.textContent).then(
        function () { copy.textContent = 'Copied'; },
        function () { copy.textContent = 'Select and copy'; }
      );
      setTimeout(function () { copy.textContent = 'Copy'; }, 2000);
    });
  });
})();
`;
