/**
 * ROC curves as one standalone SVG file: log-scale false-positive-rate axis from 1e-5 to 1 (where a DNS
 * filter operates), linear true-positive-rate axis, decade grid with labelled ticks, a legend, optional
 * operating-point markers. Generic font families only, no external assets, so the file renders the same
 * from a model card on any viewer.
 */

export interface RocSeries {
  label: string;
  fpr: ArrayLike<number>;
  tpr: ArrayLike<number>;
  /** Stroke colour; a palette colour by position when omitted. */
  color?: string;
  dashed?: boolean;
}

export interface RocMarker {
  label: string;
  fpr: number;
  tpr: number;
  color?: string;
}

export interface RocSvgOptions {
  title?: string;
  /** Left end of the FPR axis, a power of ten (default 1e-5). */
  minFpr?: number;
  width?: number;
  height?: number;
  markers?: readonly RocMarker[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** Escapes text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const num = (x: number) => (Math.round(x * 10) / 10).toString();

/** Renders ROC curves as an SVG document (a string starting with the XML declaration). */
export function renderRocSvg(series: readonly RocSeries[], options: RocSvgOptions = {}): string {
  const minFpr = options.minFpr ?? 1e-5;
  const minExp = Math.round(Math.log10(minFpr));
  if (!(minExp < 0) || Math.abs(Math.log10(minFpr) - minExp) > 1e-9) {
    throw new RangeError(`renderRocSvg: minFpr must be a negative power of ten, got ${minFpr}`);
  }
  const width = options.width ?? 720;
  const height = options.height ?? 480;
  const margin = { left: 70, right: 24, top: options.title ? 44 : 20, bottom: 58 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const x = (fpr: number) => margin.left + ((Math.log10(Math.max(fpr, minFpr)) - minExp) / -minExp) * plotW;
  const y = (tpr: number) => margin.top + (1 - tpr) * plotH;

  // The legend goes under the plot, where it can never hide a curve; the image grows to fit it.
  const markers = options.markers ?? [];
  const entries = [
    ...series.map((s, i) => ({ label: s.label, color: s.color ?? PALETTE[i % PALETTE.length]!, dashed: !!s.dashed, marker: false })),
    ...markers.map((m) => ({ label: m.label, color: m.color ?? '#000000', dashed: false, marker: true })),
  ];
  const lineH = 18;
  const legendH = entries.length ? 12 + lineH * entries.length : 0;
  const totalH = height + legendH;

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${totalH}" viewBox="0 0 ${width} ${totalH}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${totalH}" fill="#ffffff"/>`);
  if (options.title) {
    out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`);
  }

  // Grid and ticks: decades on x (minor ticks at 2..9 x 10^e), tenths on y.
  out.push('<g class="grid" stroke="#e3e3e3" stroke-width="1">');
  for (let e = minExp; e <= 0; e++) {
    const gx = num(x(10 ** e));
    out.push(`<line x1="${gx}" y1="${margin.top}" x2="${gx}" y2="${margin.top + plotH}"/>`);
  }
  for (let t = 0; t <= 10; t += 2) {
    const gy = num(y(t / 10));
    out.push(`<line x1="${margin.left}" y1="${gy}" x2="${margin.left + plotW}" y2="${gy}"/>`);
  }
  out.push('</g>');
  out.push('<g class="x-axis" stroke="#333333">');
  for (let e = minExp; e <= 0; e++) {
    const tx = num(x(10 ** e));
    out.push(`<line x1="${tx}" y1="${margin.top + plotH}" x2="${tx}" y2="${margin.top + plotH + 6}"/>`);
    if (e < 0) {
      for (let m = 2; m <= 9; m++) {
        const mx = num(x(m * 10 ** e));
        out.push(`<line x1="${mx}" y1="${margin.top + plotH}" x2="${mx}" y2="${margin.top + plotH + 3}"/>`);
      }
    }
  }
  out.push('</g>');
  out.push('<g class="x-ticks" text-anchor="middle" fill="#333333">');
  for (let e = minExp; e <= 0; e++) {
    const label = e === 0 ? '1' : `1e${e}`;
    out.push(`<text x="${num(x(10 ** e))}" y="${margin.top + plotH + 20}" data-fpr="${10 ** e}">${label}</text>`);
  }
  out.push('</g>');
  out.push('<g class="y-ticks" text-anchor="end" fill="#333333">');
  for (let t = 0; t <= 10; t += 2) {
    out.push(`<text x="${margin.left - 8}" y="${num(y(t / 10) + 4)}">${(t / 10).toFixed(1)}</text>`);
  }
  out.push('</g>');
  out.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333" stroke-width="1"/>`,
  );
  out.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 14}" text-anchor="middle">False-positive rate (benign names flagged, log scale)</text>`,
  );
  out.push(
    `<text x="18" y="${margin.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${margin.top + plotH / 2})">True-positive rate (DGA names detected)</text>`,
  );

  // Curves, clipped to the plot; points closer than half a pixel are merged to keep the file small.
  out.push(`<defs><clipPath id="plot"><rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}"/></clipPath></defs>`);
  out.push('<g class="curves" clip-path="url(#plot)" fill="none" stroke-width="2">');
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const points: string[] = [];
    let lastX = NaN;
    let lastY = NaN;
    const n = Math.min(s.fpr.length, s.tpr.length);
    for (let k = 0; k < n; k++) {
      const px = x(s.fpr[k]!);
      const py = y(s.tpr[k]!);
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      const last = k === n - 1;
      if (!last && Math.abs(px - lastX) < 0.5 && Math.abs(py - lastY) < 0.5) continue;
      points.push(`${num(px)},${num(py)}`);
      lastX = px;
      lastY = py;
    }
    out.push(
      `<polyline class="roc" points="${points.join(' ')}" stroke="${color}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
  });
  out.push('</g>');

  if (markers.length) {
    out.push('<g class="markers">');
    for (const m of markers) {
      if (!Number.isFinite(m.fpr) || !Number.isFinite(m.tpr)) continue;
      out.push(
        `<circle cx="${num(x(m.fpr))}" cy="${num(y(m.tpr))}" r="4" fill="${m.color ?? '#000000'}"><title>${escapeXml(m.label)}</title></circle>`,
      );
    }
    out.push('</g>');
  }

  if (entries.length) {
    const bx = margin.left;
    const by = height - 4;
    const boxW = plotW;
    out.push('<g class="legend">');
    out.push(`<rect x="${num(bx)}" y="${num(by)}" width="${num(boxW)}" height="${legendH - 6}" fill="#ffffff" stroke="#999999"/>`);
    entries.forEach((e, i) => {
      const ly = by + 14 + i * lineH;
      if (e.marker) out.push(`<circle cx="${num(bx + 22)}" cy="${num(ly)}" r="4" fill="${e.color}"/>`);
      else {
        out.push(
          `<line x1="${num(bx + 8)}" y1="${num(ly)}" x2="${num(bx + 36)}" y2="${num(ly)}" stroke="${e.color}" stroke-width="2"${e.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
        );
      }
      out.push(`<text x="${num(bx + 44)}" y="${num(ly + 4)}">${escapeXml(e.label)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
