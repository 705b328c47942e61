/**
 * The HTML view's inline stylesheet and script (see htmlReport.ts). The script is plain ES2017 run by the
 * browser, not by Node: it is tested in a real headless Chromium (test/integration/htmlView.test.ts). It
 * reads the embedded JSON, writes every label value with textContent (never as markup), and fetches nothing.
 */

export const CLIENT_CSS = String.raw`
:root { --accent: #1f4e79; --muted: #5f6b7a; --rule: #d9dee5; --tile: #f3f6f9; --bar: #2e75b6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Apple SD Gothic Neo", sans-serif; color: #1d2733; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 22px; margin: 0; color: var(--accent); }
h2 { font-size: 16px; margin: 24px 0 8px; }
.sub { color: var(--muted); margin: 2px 0 16px; }
.demo { display: inline-block; background: #c55a11; color: #fff; font-size: 11px; font-weight: 700; padding: 1px 6px; border-radius: 3px; margin-left: 8px; vertical-align: middle; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 8px; }
.tile { background: var(--tile); border-left: 3px solid var(--accent); padding: 8px 10px; }
.tile .label { color: var(--muted); font-size: 12px; }
.tile .value { font-size: 20px; font-weight: 700; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
.filters select, .filters input { font: inherit; padding: 3px 4px; min-width: 130px; max-width: 220px; }
button { font: inherit; padding: 3px 10px; cursor: pointer; }
table { border-collapse: collapse; width: 100%; margin-top: 10px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 360px; }
th { cursor: pointer; user-select: none; background: #eef2f6; position: sticky; top: 0; }
th[aria-sort="ascending"]::after { content: " \25B2"; }
th[aria-sort="descending"]::after { content: " \25BC"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.group { cursor: pointer; }
tr.group:hover { background: #f7f9fb; }
tr.open { background: #eef4fb; }
tr.total td { font-weight: 700; border-top: 2px solid #9aa5b1; }
tr.pods > td { padding: 0 0 8px 24px; background: #fafcfe; }
.note { color: var(--muted); font-size: 12px; }
svg text { font-size: 10px; fill: var(--muted); }
`;

export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var page = JSON.parse(document.getElementById('data').textContent);
  var w = page.words;
  var dims = ['team', 'project', 'namespace', 'cluster', 'gpuModel', 'pricing'];
  var state = { filters: {}, search: '', group: 'team', sort: 'cost', desc: true, open: null };
  dims.forEach(function (d) { state.filters[d] = -1; });
  var scale = Math.pow(10, page.digits);
  var money = new Intl.NumberFormat(page.locale, { style: 'currency', currency: page.currency, minimumFractionDigits: page.digits, maximumFractionDigits: page.digits });
  var number = new Intl.NumberFormat(page.locale, { maximumFractionDigits: 0 });
  var pct = new Intl.NumberFormat(page.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  function fmtUnits(units) { return money.format(units / scale); }
  function fmtPct(v) { return v === null || !isFinite(v) ? '—' : pct.format(v) + '%'; }
  function fill(t, values) { return t.replace(/\{(\w+)\}/g, function (m, k) { return Object.prototype.hasOwnProperty.call(values, k) ? String(values[k]) : m; }); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { if (k === 'text') node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function label(d, index) {
    var value = page.values[d][index];
    if (d === 'pricing') return w.pricing[value] || value;
    return value === '' ? w.none : value;
  }
  function podLabel(r) { return r[6] === '' ? w.idlePod : r[6]; }

  function visible() {
    var q = state.search.toLowerCase();
    return page.records.filter(function (r) {
      for (var k = 0; k < dims.length; k++) if (state.filters[dims[k]] !== -1 && r[k] !== state.filters[dims[k]]) return false;
      return q === '' || String(r[6]).toLowerCase().indexOf(q) !== -1;
    });
  }
  function groups(records) {
    var g = dims.indexOf(state.group);
    var byKey = new Map();
    records.forEach(function (r) {
      var e = byKey.get(r[g]);
      if (!e) { e = { index: r[g], name: label(state.group, r[g]), cost: 0, gpuHours: 0, utilHours: 0, utilWeighted: 0, pods: new Set(), records: [] }; byKey.set(r[g], e); }
      e.cost += r[7]; e.gpuHours += r[8]; e.utilHours += r[9]; e.utilWeighted += r[10];
      if (r[6] !== '') e.pods.add(r[2] + '/' + r[6]);
      e.records.push(r);
    });
    var list = Array.from(byKey.values());
    list.forEach(function (e) { e.utilization = e.utilHours > 0 ? e.utilWeighted / e.utilHours : null; e.podCount = e.pods.size; });
    var key = state.sort, sign = state.desc ? -1 : 1;
    list.sort(function (a, b) {
      var x = a[key], y = b[key];
      if (x === null) x = -Infinity; if (y === null) y = -Infinity;
      var c = typeof x === 'string' ? x.localeCompare(y) : x - y;
      return c !== 0 ? sign * c : a.name.localeCompare(b.name);
    });
    return list;
  }

  function header() {
    var title = el('h1', { text: page.title + ' · ' + page.month });
    if (page.demo) title.appendChild(el('span', { class: 'demo', text: page.demo }));
    var t = page.totals;
    var tiles = [[w.total, fmtUnits(units(t.cost))], [w.idle, fmtUnits(units(t.idleCost))], [w.spotShare, fmtPct(t.spotSpendSharePct)]];
    if (t.budgetVariance !== null) tiles.push([w.budgetVariance, (units(t.budgetVariance) > 0 ? '+' : '') + fmtUnits(units(t.budgetVariance))], [w.unbudgeted, fmtUnits(units(t.unbudgetedCost))]);
    return el('header', null, [title, el('p', { class: 'sub', text: fill(w.subtitle, { month: page.month, zone: page.zone, currency: page.currency }) }),
      el('div', { class: 'tiles' }, tiles.map(function (p) { return el('div', { class: 'tile' }, [el('div', { class: 'label', text: p[0] }), el('div', { class: 'value', text: p[1] })]); }))]);
  }
  function units(decimal) { var n = String(decimal).split('.'); var f = (n[1] || '') + '0'.repeat(page.digits); return Number(n[0].replace('-', '') + f.slice(0, page.digits)) * (String(decimal).charAt(0) === '-' ? -1 : 1); }

  function trend() {
    var team = state.filters.team === -1 ? null : page.values.team[state.filters.team];
    var values = page.days.map(function (d) { return team === null ? units(d.cost) : (Object.prototype.hasOwnProperty.call(d.byTeam, team) ? units(d.byTeam[team]) : 0); });
    var max = Math.max.apply(null, values.concat([1]));
    var width = 1100, height = 140, slot = width / Math.max(1, values.length);
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + (height + 16)); svg.setAttribute('width', '100%'); svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', team === null ? w.trend : fill(w.trendOf, { team: team }));
    values.forEach(function (v, i) {
      var h = (v / max) * height;
      var rect = document.createElementNS(ns, 'rect');
      rect.setAttribute('x', String(i * slot + slot * 0.14)); rect.setAttribute('y', String(height - h));
      rect.setAttribute('width', String(slot * 0.72)); rect.setAttribute('height', String(h)); rect.setAttribute('fill', '#2e75b6');
      rect.setAttribute('data-date', page.days[i].date); rect.setAttribute('data-units', String(v));
      var tip = document.createElementNS(ns, 'title'); tip.textContent = page.days[i].date + ': ' + fmtUnits(v); rect.appendChild(tip);
      svg.appendChild(rect);
      var text = document.createElementNS(ns, 'text');
      text.setAttribute('x', String(i * slot + slot / 2)); text.setAttribute('y', String(height + 12)); text.setAttribute('text-anchor', 'middle');
      text.textContent = String(Number(page.days[i].date.slice(8, 10))); svg.appendChild(text);
    });
    return el('section', { id: 'trend' }, [el('h2', { text: team === null ? w.trend : fill(w.trendOf, { team: team }) }), svg]);
  }

  function filters() {
    var selects = dims.map(function (d) {
      var select = el('select', { 'data-dim': d, 'aria-label': w.dimensions[d] }, [el('option', { value: '-1', text: w.all })]);
      page.values[d].map(function (v, i) { return i; }).sort(function (a, b) { return label(d, a).localeCompare(label(d, b)); })
        .forEach(function (i) { select.appendChild(el('option', { value: String(i), text: label(d, i) })); });
      select.value = String(state.filters[d]);
      select.addEventListener('change', function () { state.filters[d] = Number(select.value); state.open = null; render(); });
      return el('label', null, [document.createTextNode(w.dimensions[d]), select]);
    });
    var group = el('select', { id: 'group-by', 'aria-label': w.groupBy }, dims.map(function (d) { return el('option', { value: d, text: w.dimensions[d] }); }));
    group.value = state.group;
    group.addEventListener('change', function () { state.group = group.value; state.open = null; render(); });
    var search = el('input', { id: 'search', type: 'search', 'aria-label': w.search });
    search.value = state.search;
    search.addEventListener('input', function () { state.search = search.value; state.open = null; render(true); });
    var reset = el('button', { id: 'reset', type: 'button', text: w.reset });
    reset.addEventListener('click', function () { dims.forEach(function (d) { state.filters[d] = -1; }); state.search = ''; state.open = null; render(); });
    return el('section', { id: 'filters' }, [el('h2', { text: w.filters }), el('div', { class: 'filters' }, selects.concat([
      el('label', null, [document.createTextNode(w.groupBy), group]), el('label', null, [document.createTextNode(w.search), search]), reset]))]);
  }

  function table(records) {
    var list = groups(records);
    var total = records.reduce(function (s, r) { return s + r[7]; }, 0);
    var c = w.columns;
    var cols = [['name', c.name, false], ['cost', c.cost, true], ['share', c.share, true], ['gpuHours', c.gpuHours, true], ['utilization', c.utilization, true], ['podCount', c.pods, true]];
    var head = el('tr', null, cols.map(function (col) {
      var th = el('th', { class: col[2] ? 'num' : '', 'data-sort': col[0], text: col[1] });
      var key = col[0] === 'share' ? 'cost' : col[0];
      if (state.sort === col[0]) th.setAttribute('aria-sort', state.desc ? 'descending' : 'ascending');
      th.addEventListener('click', function () { if (state.sort === key) state.desc = !state.desc; else { state.sort = key; state.desc = key !== 'name'; } render(); });
      return th;
    }));
    var body = el('tbody');
    if (list.length === 0) body.appendChild(el('tr', null, [el('td', { colspan: '6', text: w.noRows })]));
    list.forEach(function (g) {
      var open = state.open === g.index;
      var row = el('tr', { class: 'group' + (open ? ' open' : ''), 'data-key': g.name }, [
        el('td', { text: g.name, title: g.name }), el('td', { class: 'num', text: fmtUnits(g.cost) }),
        el('td', { class: 'num', text: fmtPct(total === 0 ? null : (g.cost / total) * 100) }), el('td', { class: 'num', text: number.format(g.gpuHours) }),
        el('td', { class: 'num', text: fmtPct(g.utilization) }), el('td', { class: 'num', text: number.format(g.podCount) })]);
      row.addEventListener('click', function () { state.open = open ? null : g.index; render(); });
      body.appendChild(row);
      if (open) body.appendChild(el('tr', { class: 'pods' }, [el('td', { colspan: '6' }, [pods(g)])]));
    });
    body.appendChild(el('tr', { class: 'total' }, [el('td', { text: fill(w.totalRow, { count: list.length }) }), el('td', { class: 'num', id: 'total-cost', text: fmtUnits(total) }),
      el('td', { class: 'num', text: fmtPct(total === 0 ? null : 100) }), el('td', { class: 'num', text: number.format(records.reduce(function (s, r) { return s + r[8]; }, 0)) }), el('td'), el('td')]));
    return el('section', { id: 'allocation' }, [el('p', { class: 'note', text: w.drill }), el('table', { id: 'allocation-table' }, [el('thead', null, [head]), body])]);
  }

  function pods(g) {
    var p = w.podColumns;
    var list = g.records.slice().sort(function (a, b) { return b[7] - a[7] || podLabel(a).localeCompare(podLabel(b)); });
    var shown = list.slice(0, 200);
    var rows = shown.map(function (r) {
      return el('tr', { class: 'pod' }, [el('td', { text: podLabel(r), title: podLabel(r) }), el('td', { text: label('namespace', r[2]) }), el('td', { text: label('project', r[1]) }),
        el('td', { text: label('team', r[0]) }), el('td', { class: 'num', text: fmtUnits(r[7]) }), el('td', { class: 'num', text: number.format(r[8]) }),
        el('td', { class: 'num', text: fmtPct(r[9] > 0 ? r[10] / r[9] : null) })]);
    });
    var head = el('tr', null, [p.pod, p.namespace, p.project, p.team, p.cost, p.gpuHours, p.utilization].map(function (t, i) { return el('th', { class: i >= 4 ? 'num' : '', text: t }); }));
    var nodes = [el('strong', { text: fill(w.podsOf, { name: g.name }) }), el('table', { class: 'pod-table' }, [el('thead', null, [head]), el('tbody', null, rows)])];
    if (list.length > shown.length) nodes.push(el('p', { class: 'note', text: fill(w.morePods, { count: list.length - shown.length }) }));
    return el('div', null, nodes);
  }

  var app = document.getElementById('app');
  function render(keepFocus) {
    var focused = keepFocus ? document.activeElement && document.activeElement.id : null;
    var records = visible();
    app.replaceChildren(header(), trend(), filters(), table(records), el('p', { class: 'note', text: w.footer }));
    if (focused) { var f = document.getElementById(focused); if (f) { f.focus(); if (f.setSelectionRange) f.setSelectionRange(f.value.length, f.value.length); } }
    document.body.setAttribute('data-ready', 'true');
  }
  render();
})();
`;
