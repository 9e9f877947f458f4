/**
 * HTML built from tagged templates: `html\`<p>${value}</p>\`` escapes every interpolated value unless it
 * is itself an Html fragment (made by `html` or, for trusted constants only, `trustedHtml`). Arrays are
 * joined. This is the one escaping path of every server-rendered page: nothing from a request reaches
 * markup without going through escapeHtml.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: literal parts as written, every `${...}` escaped (or inserted as-is if an Html fragment). */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Wraps markup that the code itself wrote (style sheets, scripts, the ROC SVG); never request data. */
export function trustedHtml(markup: string): Html {
  return new Html(markup);
}
