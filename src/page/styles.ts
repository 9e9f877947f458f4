/**
 * The one style sheet of the page and the docs, inlined (allowed by its hash in the CSP). System fonts
 * only, nothing fetched. Colours meet WCAG AA contrast on white; verdicts carry text as well as colour.
 */
export const STYLES = `
:root { --fg: #1a1a1a; --muted: #555; --bg: #fff; --panel: #f5f6f8; --line: #d6d9de; --accent: #0b57d0;
  --dga: #a50e0e; --dga-bg: #fce8e6; --ok: #0d652d; --ok-bg: #e6f4ea; --mark: #fff2a8; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); line-height: 1.5; }
body { margin: 0; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; z-index: 1; }
header, main, footer { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem 1.5rem; padding-top: 1rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
header nav a { margin-right: 1rem; }
header p { margin: 0 0 .5rem; color: var(--muted); flex-basis: 100%; }
footer { border-top: 1px solid var(--line); margin-top: 2rem; padding-top: .75rem; padding-bottom: 2rem; color: var(--muted); font-size: .9rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; }
section { margin-bottom: 1.5rem; }
label { font-weight: 600; display: block; margin-bottom: .25rem; }
textarea { width: 100%; min-height: 8rem; font: 1rem ui-monospace, "DejaVu Sans Mono", monospace; padding: .5rem; border: 1px solid #767676; border-radius: 4px; }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 .75rem; }
button { font: inherit; cursor: pointer; border-radius: 4px; border: 1px solid var(--accent); }
button.primary { background: var(--accent); color: #fff; padding: .45rem 1.2rem; font-weight: 600; }
button.copy { background: var(--bg); color: var(--accent); padding: .1rem .6rem; font-size: .85rem; }
.status { min-height: 1.5rem; margin: .75rem 0; }
.status.error { color: var(--dga); font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
th { background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.name { font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
mark { background: var(--mark); color: inherit; padding: 0 1px; border-radius: 2px; }
.input { display: block; color: var(--muted); font-size: .8rem; }
.score { display: flex; align-items: center; gap: .5rem; white-space: nowrap; }
meter { width: 8rem; height: 1rem; }
.verdict { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-weight: 700; font-size: .85rem; }
.verdict.dga { background: var(--dga-bg); color: var(--dga); }
.verdict.benign { background: var(--ok-bg); color: var(--ok); }
.verdict.error { background: var(--panel); color: var(--fg); border: 1px solid var(--dga); }
td.item-error { color: var(--dga); }
ul.families { list-style: none; margin: 0; padding: 0; }
ul.families.if-dga { color: var(--muted); }
p.family-other { margin: 0; font-weight: 600; }
.grid { display: grid; gap: 1.5rem; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); align-items: start; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
figure { margin: 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .9rem; }
.snippet { margin: .5rem 0 1rem; }
.snippet-head { display: flex; justify-content: space-between; align-items: center; gap: 1rem; }
.snippet-head span { font-size: .9rem; color: var(--muted); }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: .6rem .75rem; overflow-x: auto; margin: .25rem 0 0; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9rem; }
.op { margin: 1rem 0 2rem; padding: 1rem; border: 1px solid var(--line); border-radius: 6px; }
.op h3 { margin-top: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.method { display: inline-block; min-width: 3.5rem; text-align: center; border-radius: 4px; color: #fff; background: #0b57d0; padding: 0 .4rem; margin-right: .5rem; }
.method.post { background: #0d652d; }
.schema { margin: .25rem 0; padding-left: 1.25rem; }
.schema li { margin: .1rem 0; }
.type { color: var(--muted); font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85rem; }
.req { color: var(--dga); font-size: .8rem; }
`;
