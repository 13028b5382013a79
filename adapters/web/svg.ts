/**
 * The report page's two figures as SVG, drawn on the server with the same escaping templates as the
 * page: the PRISMA flow (records identified → de-duplicated → screened → included, with what was
 * removed at each step) and the evidence map (claims × papers, each mark coloured by stance and also
 * shaped and lettered, so it reads without colour). Both carry a title and a description, and the
 * page gives their content as text too.
 */
import type { Report } from '../../src/model.js';
import { h, type Html } from './html.js';
import { referenceNumbers, VERDICT } from './pieces.js';

/** Splits text into lines of at most `max` characters, at spaces where it can. */
export function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const pieces = word.length > max ? (word.match(new RegExp(`.{1,${max}}`, 'g')) ?? [word]) : [word];
    for (const piece of pieces) {
      if (line && line.length + 1 + piece.length > max) {
        lines.push(line);
        line = piece;
      } else line = line ? `${line} ${piece}` : piece;
    }
  }
  if (line) lines.push(line);
  return lines;
}

const LINE = 18;
const PAD = 10;

interface Box {
  x: number;
  y: number;
  w: number;
  lines: { text: string; strong?: boolean }[];
  cls: string;
}

const boxHeight = (box: Pick<Box, 'lines'>) => box.lines.length * LINE + 2 * PAD;

function drawBox(box: Box): Html {
  const height = boxHeight(box);
  return h`<g class="${box.cls}"><rect x="${box.x}" y="${box.y}" width="${box.w}" height="${height}" rx="6"></rect>${box.lines.map(
    (line, i) => h`<text x="${box.x + PAD}" y="${box.y + PAD + (i + 1) * LINE - 5}"${line.strong ? h` class="strong"` : ''}>${line.text}</text>`,
  )}</g>`;
}

const boxLines = (head: string, details: string[], width: number) => {
  const max = Math.floor((width - 2 * PAD) / 7.4);
  return [...wrap(head, max).map((text) => ({ text, strong: true })), ...details.flatMap((d) => wrap(d, max).map((text) => ({ text })))];
};

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** The PRISMA counts, in words: for the figure's description and the page. */
export function prismaSteps(report: Report): { main: string; mainDetails: string[]; side?: string; sideDetails?: string[] }[] {
  const m = report.methodology;
  const excluded = (m as { excluded?: Record<string, number> }).excluded ?? {};
  const sourceLines = m.sources.map((s) =>
    s.status === 'ok' ? `${s.name}: ${s.found.toLocaleString('en')}` : `${s.name}: ${s.status}${s.error ? ` (${s.error.slice(0, 80)})` : ''}`,
  );
  return [
    { main: `Records identified: ${m.identified.toLocaleString('en')}`, mainDetails: sourceLines.length > 0 ? sourceLines : ['No source answered.'] },
    {
      main: `After de-duplication: ${m.deduplicated.toLocaleString('en')}`,
      mainDetails: [],
      side: `Duplicates merged: ${Math.max(0, m.identified - m.deduplicated).toLocaleString('en')}`,
      sideDetails: ['by DOI, arXiv id, PMID, then title and year'],
    },
    {
      main: `Screened in: ${m.screened.toLocaleString('en')}`,
      mainDetails: ['abstract present, in the year range, about the question'],
      side: `Excluded at screening: ${Math.max(0, m.deduplicated - m.screened).toLocaleString('en')}`,
      sideDetails: Object.entries(excluded).map(([reason, n]) => `${reason}: ${n.toLocaleString('en')}`),
    },
    {
      main: `Included in the synthesis: ${m.included.toLocaleString('en')}`,
      mainDetails: [`${plural(report.claims.length, 'claim')} extracted and verified`],
      side: `Ranked below the cut: ${Math.max(0, m.screened - m.included).toLocaleString('en')}`,
      sideDetails: ['relevant, but beyond the papers included'],
    },
  ];
}

/** The PRISMA flow diagram. */
export function prismaSvg(report: Report): Html {
  const width = 720;
  const mainW = 380;
  const sideX = 440;
  const sideW = width - sideX - 10;
  let y = 10;
  const parts: Html[] = [];
  const steps = prismaSteps(report);
  steps.forEach((step, i) => {
    const main: Box = { x: 10, y, w: mainW, lines: boxLines(step.main, step.mainDetails, mainW), cls: 'box main' };
    const side: Box | undefined = step.side ? { x: sideX, y, w: sideW, lines: boxLines(step.side, step.sideDetails ?? [], sideW), cls: 'box side' } : undefined;
    const height = Math.max(boxHeight(main), side ? boxHeight(side) : 0);
    parts.push(drawBox(main));
    if (side) {
      const mid = y + boxHeight(main) / 2;
      parts.push(h`<line class="arrow" x1="${10 + mainW}" y1="${mid}" x2="${sideX - 4}" y2="${mid}" marker-end="url(#prisma-arrow)"></line>`);
      parts.push(drawBox(side));
    }
    const next = y + height + 34;
    if (i < steps.length - 1) {
      const x = 10 + mainW / 2;
      parts.push(h`<line class="arrow" x1="${x}" y1="${y + boxHeight(main)}" x2="${x}" y2="${next - 4}" marker-end="url(#prisma-arrow)"></line>`);
    }
    y = next;
  });
  const height = y - 24;
  const desc = steps.map((s) => [s.main, ...(s.side ? [s.side] : [])].join('; ')).join('. ');
  return h`<svg class="prisma" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="prisma-title prisma-desc" xmlns="http://www.w3.org/2000/svg">
<title id="prisma-title">PRISMA flow of the papers</title><desc id="prisma-desc">${desc}.</desc>
<defs><marker id="prisma-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"></path></marker></defs>
${parts}
</svg>`;
}

/** A paper's role in one claim, as the map draws it. */
export type MapMark = 'source' | 'supports' | 'contradicts';

/** The marks of the evidence map: for each claim, each paper's role (its own source, or evidence for or against). */
export function evidenceMarks(report: Report): { columns: number[]; rows: { claim: number; marks: Map<number, MapMark> }[] } {
  const refs = referenceNumbers(report);
  const used = new Set<number>();
  const rows = report.claims.map((claim, i) => {
    const marks = new Map<number, MapMark>();
    const own = refs.get(claim.paperId);
    if (own) marks.set(own, 'source');
    for (const e of claim.verification.evidence) {
      const n = refs.get(e.paperId);
      if (!n || marks.get(n) === 'source') continue;
      // A paper with quotes both ways counts as against: the disagreement is what a reader must see.
      if (marks.get(n) !== 'contradicts') marks.set(n, e.stance);
    }
    for (const n of marks.keys()) used.add(n);
    return { claim: i + 1, marks };
  });
  return { columns: [...used].sort((a, b) => a - b), rows };
}

const CELL = 20;
const LABEL_W = 118;
const HEAD_H = 40;

function mark(kind: MapMark, cx: number, cy: number, label: string): Html {
  switch (kind) {
    case 'supports':
      return h`<g class="mark supports"><title>${label}</title><circle cx="${cx}" cy="${cy}" r="7"></circle><text x="${cx}" y="${cy + 4}">+</text></g>`;
    case 'contradicts':
      return h`<g class="mark contradicts"><title>${label}</title><rect x="${cx - 7}" y="${cy - 7}" width="14" height="14"></rect><text x="${cx}" y="${cy + 4}">−</text></g>`;
    case 'source':
      return h`<g class="mark source"><title>${label}</title><path d="M${cx},${cy - 8} L${cx + 8},${cy} L${cx},${cy + 8} L${cx - 8},${cy} z"></path><text x="${cx}" y="${cy + 4}">Q</text></g>`;
  }
}

const WORD: Record<MapMark, string> = { source: 'is the source of (its quote)', supports: 'supports', contradicts: 'contradicts' };

/** The evidence map: claims down, papers across ([n] as in the references). */
export function evidenceMapSvg(report: Report): Html {
  const { columns, rows } = evidenceMarks(report);
  const width = LABEL_W + columns.length * CELL + 10;
  const height = HEAD_H + rows.length * CELL + 8;
  const x = (col: number) => LABEL_W + col * CELL + CELL / 2;
  const y = (row: number) => HEAD_H + row * CELL + CELL / 2;
  const stripes = rows.map((_, r) => (r % 2 === 0 ? h`<rect class="stripe" x="0" y="${HEAD_H + r * CELL}" width="${width}" height="${CELL}"></rect>` : h``));
  const colLines = columns.map((_, c) => h`<line class="grid" x1="${LABEL_W + c * CELL}" y1="${HEAD_H - 4}" x2="${LABEL_W + c * CELL}" y2="${height - 8}"></line>`);
  const heads = columns.map((n, c) => h`<text class="col" x="${x(c)}" y="${HEAD_H - 10}" transform="rotate(-60 ${x(c)} ${HEAD_H - 10})">[${n}]</text>`);
  const labels = rows.map((row, r) => {
    const claim = report.claims[row.claim - 1]!;
    return h`<text class="row" x="6" y="${y(r) + 4}">Claim ${row.claim} ${VERDICT[claim.verification.verdict].symbol}</text>`;
  });
  const index = new Map(columns.map((n, c) => [n, c]));
  const marks = rows.flatMap((row, r) => [...row.marks].map(([n, kind]) => mark(kind, x(index.get(n)!), y(r), `Paper [${n}] ${WORD[kind]} claim ${row.claim}`)));
  const counts = { supports: 0, contradicts: 0 };
  for (const row of rows) for (const kind of row.marks.values()) if (kind !== 'source') counts[kind]++;
  return h`<svg class="evidence-map" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="map-title map-desc" xmlns="http://www.w3.org/2000/svg">
<title id="map-title">Evidence map: ${rows.length} claims by ${columns.length} papers</title>
<desc id="map-desc">Each row is a claim and each column a paper. A diamond marked Q is the claim's own paper, a circle marked + a paper whose quote supports it, a square marked − a paper whose quote contradicts it. ${counts.supports} supporting and ${counts.contradicts} contradicting quotes in all; the table below lists them.</desc>
${stripes}${colLines}${heads}${labels}${marks}
</svg>`;
}

/** The legend of the evidence map (HTML, so it can be read as text). */
export function evidenceLegend(): Html {
  const sample = (kind: MapMark) => h`<svg class="legend-mark" viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">${mark(kind, 10, 10, '')}</svg>`;
  return h`<ul class="legend"><li>${sample('source')} Q: the claim's own paper (its verbatim quote)</li><li>${sample('supports')} +: a paper whose quote supports the claim</li><li>${sample('contradicts')} −: a paper whose quote contradicts the claim</li></ul>`;
}
