import { html, type Html } from './html.js';
import { inlineText, layout } from './layout.js';

/** The parts of an OpenAPI 3.1 document this renderer reads (structural, so any generator's output fits). */
export interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  anyOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  example?: unknown;
  additionalProperties?: boolean | SchemaObject;
}
interface ParameterObject {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: SchemaObject;
}
interface MediaObject {
  schema?: SchemaObject;
}
interface SecuritySchemeObject {
  type: string;
  scheme?: string;
  description?: string;
}
interface OperationObject {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; description?: string; content?: Record<string, MediaObject> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaObject> }>;
  security?: Record<string, string[]>[];
}
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths?: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, SchemaObject>; securitySchemes?: Record<string, SecuritySchemeObject> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** A one-line type: `string`, `integer 0..10`, `array of Classification`, `Classification | ItemError`. */
function typeOf(schema: SchemaObject | undefined): Html {
  if (!schema) return html`any`;
  if (schema.$ref) return html`<a href="#schema-${refName(schema.$ref)}">${refName(schema.$ref)}</a>`;
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return html`${union.map((s, i) => html`${i > 0 ? ' | ' : ''}${typeOf(s)}`)}`;
  if (schema.const !== undefined) return html`${JSON.stringify(schema.const)}`;
  if (schema.enum) return html`one of ${schema.enum.map((v, i) => html`${i > 0 ? ', ' : ''}<code>${String(v)}</code>`)}`;
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (type === 'array') return html`array of ${typeOf(schema.items)}`;
  const range =
    schema.minimum !== undefined || schema.maximum !== undefined ? ` ${schema.minimum ?? ''}..${schema.maximum ?? ''}` : '';
  return html`${type ?? 'any'}${range}`;
}

/** Nested list of an object's properties (type, required, description); other schemas as one line. */
function schemaTree(schema: SchemaObject | undefined, depth = 0): Html {
  if (!schema) return html``;
  if (!schema.properties || depth > 3) return html`<p><span class="type">${typeOf(schema)}</span> ${inlineText(schema.description)}</p>`;
  const required = new Set(schema.required ?? []);
  return html`<ul class="schema">${Object.entries(schema.properties).map(
    ([name, prop]) => html`<li><code>${name}</code> <span class="type">${typeOf(prop)}</span>${required.has(name) ? html` <span class="req">required</span>` : ''}${
      prop.description ? html` — ${inlineText(prop.description)}` : ''
    }${prop.properties ? schemaTree(prop, depth + 1) : ''}</li>`,
  )}</ul>`;
}

function operationId(method: string, path: string): string {
  return `op-${method}-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}`;
}

/** A body's schema per media type, one line each: `application/json` Classification; `text/csv` string. */
function mediaTypes(content: Record<string, MediaObject> | undefined): Html {
  const entries = Object.entries(content ?? {});
  if (entries.length === 1 && entries[0]![0] === 'application/json') return typeOf(entries[0]![1].schema);
  return html`${entries.map(([type, media], i) => html`${i > 0 ? html`<br>` : ''}<code>${type}</code> ${typeOf(media.schema)}`)}`;
}

/** "API key (bearer), optional" / "admin token (bearer)": what an operation's security list asks for. */
function securityLine(security: Record<string, string[]>[] | undefined): Html {
  if (!security?.length) return html``;
  const names = security.flatMap((requirement) => Object.keys(requirement));
  const optional = security.some((requirement) => Object.keys(requirement).length === 0);
  return html`<p><strong>Authorization:</strong> ${names.map((n, i) => html`${i > 0 ? ' or ' : ''}<a href="#security-${n}">${n}</a>`)}${
    optional ? ' (only where the deployment requires it)' : ''
  }</p>`;
}

function operation(method: string, path: string, op: OperationObject): Html {
  const params = op.parameters ?? [];
  const content = op.requestBody?.content ?? {};
  const bodyType = 'application/json' in content ? 'application/json' : Object.keys(content)[0];
  const body = bodyType ? content[bodyType] : undefined;
  return html`<section class="op" id="${operationId(method, path)}" aria-labelledby="${operationId(method, path)}-h">
<h3 id="${operationId(method, path)}-h"><span class="method ${method}">${method.toUpperCase()}</span>${path}</h3>
${op.summary ? html`<p><strong>${op.summary}.</strong> ${inlineText(op.description)}</p>` : html`<p>${inlineText(op.description)}</p>`}
${securityLine(op.security)}
${
  params.length
    ? html`<h4>Parameters</h4><table><thead><tr><th scope="col">name</th><th scope="col">in</th><th scope="col">type</th><th scope="col">description</th></tr></thead><tbody>
${params.map(
  (p) => html`<tr><td><code>${p.name}</code>${p.required ? html` <span class="req">required</span>` : ''}</td><td>${p.in}</td><td class="type">${typeOf(p.schema)}</td><td>${inlineText(p.description ?? p.schema?.description)}</td></tr>`,
)}</tbody></table>`
    : ''
}
${body ? html`<h4>Request body <span class="type">${bodyType}</span>${op.requestBody?.required ? html` <span class="req">required</span>` : ''}</h4>${schemaTree(body.schema)}` : ''}
<h4>Responses</h4>
<table><thead><tr><th scope="col">status</th><th scope="col">meaning</th><th scope="col">body</th></tr></thead><tbody>
${Object.entries(op.responses ?? {}).map(
  ([status, r]) => html`<tr><td>${status}</td><td>${inlineText(r.description)}</td><td class="type">${mediaTypes(r.content)}</td></tr>`,
)}</tbody></table>
</section>`;
}

/** Readable HTML rendering of an OpenAPI 3.1 document: operations, then the named schemas. */
export function docsPage(doc: OpenApiDocument): Html {
  const ops = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ method: m, path, op: item[m]! })),
  );
  const schemas = Object.entries(doc.components?.schemas ?? {});
  const securitySchemes = Object.entries(doc.components?.securitySchemes ?? {});
  const body = html`<h2>${doc.info.title} HTTP API, version ${doc.info.version}</h2>
<p>${inlineText(doc.info.description)}</p>
<p>Server: ${(doc.servers ?? []).map((s, i) => html`${i > 0 ? ', ' : ''}<code>${s.url}</code>`)}. This page is generated from the
OpenAPI ${doc.openapi} document at <a href="/openapi.json">/openapi.json</a>, which is generated from the schemas that validate requests.</p>
<nav aria-label="Operations"><h2>Operations</h2><ul>
${ops.map(({ method, path, op }) => html`<li><a href="#${operationId(method, path)}">${method.toUpperCase()} ${path}</a> — ${op.summary ?? ''}</li>`)}
</ul></nav>
${ops.map(({ method, path, op }) => operation(method, path, op))}
${
  securitySchemes.length
    ? html`<section aria-labelledby="security-h"><h2 id="security-h">Authorization</h2><dl>
${securitySchemes.map(
  ([name, scheme]) => html`<dt id="security-${name}"><code>${name}</code>: <span class="type">${scheme.type}${scheme.scheme ? ` ${scheme.scheme}` : ''}</span></dt><dd>${inlineText(scheme.description)}</dd>`,
)}</dl></section>`
    : ''
}
<section aria-labelledby="schemas-h"><h2 id="schemas-h">Schemas</h2>
${schemas.map(
  ([name, schema]) => html`<section class="op" id="schema-${name}" aria-labelledby="schema-${name}-h"><h3 id="schema-${name}-h">${name}</h3>
${schema.description ? html`<p>${inlineText(schema.description)}</p>` : ''}${schemaTree(schema)}
${schema.example !== undefined ? html`<p>Example:</p><pre><code>${JSON.stringify(schema.example, null, 2)}</code></pre>` : ''}</section>`,
)}
</section>`;
  return layout({ title: `API docs: ${doc.info.title}`, description: `Every route of the ${doc.info.title} HTTP API.`, body });
}
