import type { PricedRows, Summary } from '../../core/types.ts';
import { fill, wordingFor } from '../pdf/templates.ts';
import { CLIENT_CSS, CLIENT_JS } from './client.ts';

/** The dimensions the view filters and groups by, in the order of a record's first six cells. */
export const HTML_DIMENSIONS = ['team', 'project', 'namespace', 'cluster', 'gpuModel', 'pricing'] as const;

/** Options of the HTML view (from config `report`). */
export interface HtmlOptions {
  language: 'en' | 'ko';
  /** The report title; the language's default (or demo) title when absent. */
  title?: string;
}

/**
 * The data the page embeds: value tables per dimension and one record per pod and pricing (the rows of
 * chargeback.csv summed per pod), money in integer minor units so the page adds exactly.
 */
export interface HtmlData {
  values: Record<(typeof HTML_DIMENSIONS)[number], string[]>;
  /** [team, project, namespace, cluster, gpuModel, pricing (indices into values), pod, cost units, GPU-hours, utilization GPU-hours, utilization-weighted GPU-hours] */
  records: (number | string)[][];
}

/**
 * report.html: a static, self-contained page (inline CSS and JavaScript, no network, no server) with the
 * month's allocation table — filters by team, project, namespace, cluster, GPU model and pricing, sorting,
 * grouping, drill-down to pods — and the daily trend, from the summary and the priced rows (the data of
 * summary.json and the CSVs). Label values are data, never markup: the page writes them as text nodes, and
 * the embedded JSON cannot close its script element. The page as one string: {@link htmlReportChunks}
 * joined.
 */
export function renderHtmlReport(summary: Summary, rows: PricedRows, options: HtmlOptions): string {
  return [...htmlReportChunks(summary, rows, options)].join('');
}

/** Records per chunk of the embedded data: a few hundred KB of text. */
const RECORDS_PER_CHUNK = 4096;

/**
 * report.html in pieces, for writing it to a file as it is made: the page's records (one per pod and
 * pricing: 500,000 at 10,000 GPUs) are encoded a few thousand at a time, so the page never exists as one
 * string — nor do the JSON of its data and that JSON made script-safe, copies of the same size (they set
 * the month step's peak memory at that size). The pieces joined are byte for byte the page a single
 * JSON.stringify of the data made: JSON puts an array's elements one after the other separated by commas,
 * and the script-safe escapes replace single characters.
 */
export function* htmlReportChunks(
  summary: Summary,
  rows: PricedRows,
  options: HtmlOptions,
): Generator<string, void, undefined> {
  const wording = wordingFor(options.language);
  const title =
    options.title?.trim() || (summary.source.kind === 'demo' ? wording.demoTitle : wording.defaultTitle);
  const provisional = summary.provisional
    ? {
        title: fill(wording.provisional.htmlTitle, { throughDay: summary.provisional.throughDay }),
        notice: [
          fill(wording.provisional.notice, {
            throughDay: summary.provisional.throughDay,
            days: String(summary.provisional.daysMetered),
            daysInMonth: String(summary.provisional.daysInMonth),
            month: summary.period.month,
          }),
          ...(summary.budgets ? [wording.provisional.budget] : []),
          ...(summary.invoice ? [wording.provisional.invoice] : []),
        ].join(' '),
      }
    : undefined;
  const { values, records } = htmlData(rows);
  // The embedded data: these keys, then `records` (last, as the page reads it).
  const page = {
    lang: options.language,
    locale: wording.locale,
    title,
    demo: summary.source.kind === 'demo' ? wording.header.demo : null,
    month: summary.period.month,
    zone: summary.period.zone,
    currency: summary.currency.code,
    digits: summary.currency.minorDigits,
    words: wording.html,
    totals: {
      cost: summary.totals.cost,
      idleCost: summary.totals.idleCost,
      spotSpendSharePct: summary.totals.spotSpendSharePct,
      budgetVariance: summary.budgets?.variance ?? null,
      unbudgetedCost: summary.budgets?.unbudgetedCost ?? null,
    },
    days: summary.byDay.map((d) => ({ date: d.date, cost: d.cost, byTeam: d.byTeam })),
    values,
  };
  yield [
    '<!DOCTYPE html>',
    `<html lang="${options.language}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No network: nothing but inline styles, scripts and data: images.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(`${title} · ${summary.period.month}${provisional ? ` (${provisional.title})` : ''}`)}</title>`,
    `<style>${CLIENT_CSS}</style>`,
    '</head>',
    '<body>',
    // A month to date says so above everything else (static markup: only a provisional page has it).
    ...(provisional
      ? [
          `<p id="provisional" role="note" style="margin:0;padding:10px 16px;background:#b45309;color:#fff;font:600 14px/1.4 system-ui,sans-serif">${escapeHtml(provisional.notice)}</p>`,
        ]
      : []),
    '<main id="app"></main>',
    // The object without its closing brace: the records follow.
    `<script type="application/json" id="data">${scriptSafeJson(page).slice(0, -1)},"records":[`,
  ].join('\n');
  for (let from = 0; from < records.length; from += RECORDS_PER_CHUNK) {
    // A chunk's records as one JSON array without its brackets: the elements separated by commas.
    const json = scriptSafeJson(records.slice(from, from + RECORDS_PER_CHUNK));
    yield (from > 0 ? ',' : '') + json.slice(1, -1);
  }
  yield [']}</script>', `<script>${CLIENT_JS}</script>`, '</body>', '</html>', ''].join('\n');
}

/** The rows summed per pod and pricing, with the value table of each dimension. */
export function htmlData(rows: PricedRows): HtmlData {
  const tables = HTML_DIMENSIONS.map(() => new Map<string, number>());
  // Rows come in runs of one team, namespace and pod: a value equal to the dimension's last one is not
  // looked up again.
  const lastValue: (string | undefined)[] = HTML_DIMENSIONS.map(() => undefined);
  const lastIndex = new Int32Array(HTML_DIMENSIONS.length);
  const indexOf = (d: number, value: string) => {
    if (value === lastValue[d]) return lastIndex[d]!;
    const table = tables[d]!;
    let index = table.get(value);
    if (index === undefined) {
      index = table.size;
      table.set(value, index);
    }
    lastValue[d] = value;
    lastIndex[d] = index;
    return index;
  };
  // Records in the order of their first row; found by pod uid, then by dimensions and pod name among the
  // few records of one uid (a JSON key per row was most of this function's CPU at 2 million rows).
  const records: (number | string)[][] = [];
  const byUid = new Map<string, (number | string)[][]>();
  const columns = {
    team: rows.column('team'),
    project: rows.column('project'),
    namespace: rows.column('namespace'),
    cluster: rows.column('cluster'),
    gpuModel: rows.column('gpuModel'),
    pricing: rows.column('pricingCategory'),
    pod: rows.column('pod'),
    uid: rows.column('podUid'),
    cost: rows.minorUnits('effectiveCost'),
    held: rows.hours('consumedGpuHours'),
    utilization: rows.column('utilizationPct'),
    component: rows.column('component'),
  };
  const dims = new Array<number>(HTML_DIMENSIONS.length);
  // One call site per dimension (HTML_DIMENSIONS' order): a loop over the six readers made one call
  // site that saw all of them (megamorphic, not inlined), two million rows × six at 10,000 GPUs.
  const { team, project, namespace, cluster, gpuModel, pricing } = columns;
  let lastUid: string | undefined;
  let lastSameUid: (number | string)[][] | undefined;
  for (let i = 0; i < rows.length; i++) {
    dims[0] = indexOf(0, team(i));
    dims[1] = indexOf(1, project(i));
    dims[2] = indexOf(2, namespace(i));
    dims[3] = indexOf(3, cluster(i));
    dims[4] = indexOf(4, gpuModel(i));
    dims[5] = indexOf(5, pricing(i));
    const pod = columns.pod(i);
    const uid = columns.uid(i);
    let sameUid = uid === lastUid ? lastSameUid : byUid.get(uid);
    let record = sameUid && recordOf(sameUid, dims, pod);
    if (!record) {
      record = [...dims, pod, 0, 0, 0, 0];
      records.push(record);
      if (sameUid) sameUid.push(record);
      else byUid.set(uid, (sameUid = [record]));
    }
    lastUid = uid;
    lastSameUid = sameUid;
    const hours = columns.held(i);
    const utilization = columns.utilization(i);
    record[7] = (record[7] as number) + columns.cost(i);
    record[8] = (record[8] as number) + hours;
    if (utilization !== null && columns.component(i) === 'Direct') {
      record[9] = (record[9] as number) + hours;
      record[10] = (record[10] as number) + hours * utilization;
    }
  }
  const values = Object.fromEntries(
    HTML_DIMENSIONS.map((d, k) => [d, [...tables[k]!.keys()]]),
  ) as HtmlData['values'];
  return { values, records };
}

/** The record among `candidates` (records of one pod uid) with these dimension indices and pod name. */
function recordOf(
  candidates: readonly (number | string)[][],
  dims: readonly number[],
  pod: string,
): (number | string)[] | undefined {
  search: for (const record of candidates) {
    if (record[6] !== pod) continue;
    for (let k = 0; k < dims.length; k++) if (record[k] !== dims[k]) continue search;
    return record;
  }
  return undefined;
}

/** JSON that is safe inside a <script> element: no "</script", no "<!--", no line separators. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
