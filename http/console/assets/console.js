'use strict';
const $ = (id) => document.getElementById(id);
const seg = (s) => encodeURIComponent(String(s));
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
                 '#bcbd22', '#17becf', '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94',
                 '#f7b6d2', '#dbdb8d', '#9edae5', '#393b79'];
const OTHER = '#c8ccd4';
const GRADIENT = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];  // viridis

const state = {
  collections: [], models: {}, collection: null,
  points: [], colourOf: [], legend: null, focusLabel: undefined, pendingId: undefined,
  view: null, hover: -1, selected: null, highlight: new Set(), imageUrl: null,
};

// ---- talking to the server ------------------------------------------------------------------
function authHeaders() {
  const key = localStorage.getItem('latentdb.apikey') || '';
  return key ? { 'api-key': key } : {};
}
async function errorOf(method, path, res) {
  const text = await res.text();
  let message = text.slice(0, 300) || res.statusText;
  try { const j = JSON.parse(text); if (j && j.status && j.status.error) message = j.status.error; } catch (_) {}
  if (res.status === 401) message += ' (enter the API key above)';
  return new Error(`${method} ${path} → ${res.status}: ${message}`);
}
// The "result" of the API envelope; throws an Error carrying the server's message.
async function api(method, path, body) {
  const init = { method, headers: authHeaders() };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
  let res;
  try { res = await fetch(path, init); } catch (e) { throw new Error(`${method} ${path}: ${e.message}`); }
  if (!res.ok) throw await errorOf(method, path, res);
  let json;
  try { json = await res.json(); } catch (_) { throw new Error(`${method} ${path}: the answer is not JSON`); }
  return json && typeof json === 'object' && 'result' in json ? json.result : json;
}
// An image route (image/png) as an object URL; `body` (JSON) makes it a POST.
async function imageUrl(path, body) {
  const init = { headers: authHeaders() };
  if (body !== undefined) { init.method = 'POST'; init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
  const res = await fetch(path, init);
  if (!res.ok) throw await errorOf(init.method || 'GET', path, res);
  return URL.createObjectURL(await res.blob());
}
function status(text, isError) {
  const s = $('status');
  s.textContent = text;
  s.className = isError ? 'error grow' : 'grow';
  s.title = text;
}
function fail(e) { status(e && e.message ? e.message : String(e), true); }
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function labelText(v) {
  if (v === undefined || v === null) return '(none)';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
function modelOf(info) {
  const encoder = info && info.config ? info.config.encoder : null;
  return encoder ? (state.models[encoder] || { name: encoder }) : null;
}

// ---- collections and models -----------------------------------------------------------------
async function loadCollections() {
  let cols;
  try { cols = await api('GET', '/collections'); } catch (e) { fail(e); return; }
  const models = await api('GET', '/models').catch(() => []);
  state.models = {};
  for (const m of Array.isArray(models) ? models : []) if (m && m.name) state.models[m.name] = m;
  state.collections = Array.isArray(cols) ? cols : (cols && Array.isArray(cols.collections) ? cols.collections : []);
  const list = $('collections');
  list.replaceChildren();
  for (const c of state.collections) {
    const li = el('li');
    li.dataset.name = c.name;
    li.append(el('span', c.name));
    const model = modelOf(c);
    const note = `${c.points_count ?? '?'} pts` + (model ? ` · ${model.kind || model.name}` : '');
    li.append(el('small', note));
    li.onclick = () => selectCollection(c.name);
    list.append(li);
  }
  if (!state.collections.length) message('No collections yet: create one with PUT /collections/{name}.');
  const select = $('wordmodel');
  select.replaceChildren();
  const wordModels = Object.values(state.models).filter((m) => !m.error && !['cnn', 'vae', 'torchscript'].includes(m.kind));
  for (const m of wordModels) select.append(el('option', m.name));
  if (!wordModels.length) select.append(el('option', '(no word models)'));
  select.disabled = $('word').disabled = $('wordgo').disabled = !wordModels.length;
  status(`${state.collections.length} collections, ${Object.keys(state.models).length} models`);
  // Deep links: #collection or #collection/point-id.
  const hash = location.hash.slice(1), slash = hash.indexOf('/');
  const wanted = decodeURIComponent(slash < 0 ? hash : hash.slice(0, slash));
  state.pendingId = slash < 0 ? undefined : decodeURIComponent(hash.slice(slash + 1));
  const first = state.collections.find((c) => c.name === wanted) || state.collections[0];
  if (first) selectCollection(first.name);
}

async function selectCollection(name) {
  state.collection = name;
  for (const li of $('collections').children) li.classList.toggle('active', li.dataset.name === name);
  history.replaceState(null, '', '#' + seg(name));
  clearDetails();
  // Offer the payload fields of a few points for colouring; prefer a class-like one.
  let keys = [];
  try {
    const page = await api('POST', `/collections/${seg(name)}/points/scroll`, { limit: 20, with_payload: true });
    const seen = new Set();
    for (const p of (page && page.points) || []) {
      for (const [k, v] of Object.entries(p.payload || {})) if (v === null || typeof v !== 'object') seen.add(k);
    }
    keys = [...seen].sort();
  } catch (e) { fail(e); }
  const fields = $('fields');
  fields.replaceChildren(...keys.map((k) => { const o = el('option'); o.value = k; return o; }));
  const preferred = ['label', 'class', 'category', 'cluster', 'color', 'colour', 'type'];
  const field = $('field');
  if (!keys.includes(field.value)) field.value = preferred.find((k) => keys.includes(k)) || keys[0] || '';
  await plot();
}

// ---- the map --------------------------------------------------------------------------------
function message(text, isError) {
  const m = $('mapmessage');
  m.textContent = text || '';
  m.className = isError ? 'error' : '';
  m.style.display = text ? 'flex' : 'none';
}

async function plot() {
  const name = state.collection;
  if (!name) return;
  const n = Math.min(50000, Math.max(1, parseInt($('count').value, 10) || 5000));
  const field = $('field').value.trim();
  let path = `/collections/${seg(name)}/map?n=${n}`;
  if (field) path += `&field=${encodeURIComponent(field)}`;
  message('Projecting…');
  status(`GET ${path}`);
  let answer;
  try {
    answer = await api('GET', path);
  } catch (e) {
    state.points = [];
    draw();
    message(e.message, true);
    fail(e);
    return;
  }
  if (name !== state.collection) return;  // another collection was picked meanwhile
  const raw = Array.isArray(answer) ? answer : (answer && Array.isArray(answer.points) ? answer.points : null);
  if (!raw) { message(`GET ${path}: unexpected answer (no "points" array)`, true); return; }
  state.points = raw.filter((p) => p && Number.isFinite(+p.x) && Number.isFinite(+p.y))
                    .map((p) => ({ id: p.id, x: +p.x, y: +p.y, label: p.label }));
  const ratio = answer && Array.isArray(answer.explained_variance_ratio)
      ? ` · PCA keeps ${(100 * answer.explained_variance_ratio.reduce((a, b) => a + b, 0)).toFixed(1)}% of the variance` : '';
  const total = answer && answer.total !== undefined ? ` of ${answer.total}` : '';
  $('mapinfo').textContent = `${state.points.length}${total} points${ratio}`;
  state.highlight = new Set();
  state.focusLabel = undefined;
  colour(field);
  fitView();
  draw();
  message(state.points.length ? '' : 'This collection has no points.');
  status(`${name}: ${state.points.length} points plotted`);
  if (state.pendingId !== undefined) {
    const p = findPoint(state.pendingId);
    state.pendingId = undefined;
    if (p) selectPoint(p);
  }
}

// Categorical colours for up to 20 labels (the rest grey), a gradient for many numeric labels.
function colour(field) {
  const pts = state.points;
  const legend = $('legend');
  legend.replaceChildren();
  state.colourOf = new Array(pts.length).fill(PALETTE[0]);
  state.legend = null;
  if (!field || pts.every((p) => p.label === undefined || p.label === null)) return;
  const counts = new Map();
  for (const p of pts) { const k = labelText(p.label); counts.set(k, (counts.get(k) || 0) + 1); }
  const numeric = pts.every((p) => p.label === null || p.label === undefined || typeof p.label === 'number');
  if (numeric && counts.size > 12) {
    const values = pts.map((p) => p.label).filter((v) => typeof v === 'number');
    const lo = Math.min(...values), hi = Math.max(...values);
    pts.forEach((p, i) => { state.colourOf[i] = typeof p.label === 'number' ? gradient((p.label - lo) / ((hi - lo) || 1)) : OTHER; });
    const bar = el('div', undefined, 'gradient');
    bar.style.background = `linear-gradient(to right, ${[0, .25, .5, .75, 1].map(gradient).join(', ')})`;
    legend.append(el('b', field), bar, el('div', `${num(lo)} … ${num(hi)}`, 'muted'));
    return;
  }
  const order = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const colourOfLabel = new Map(order.slice(0, PALETTE.length).map(([k], i) => [k, PALETTE[i]]));
  pts.forEach((p, i) => { state.colourOf[i] = colourOfLabel.get(labelText(p.label)) || OTHER; });
  legend.append(el('b', field));
  for (const [k, count] of order.slice(0, PALETTE.length)) {
    const row = el('div');
    const swatch = el('span', undefined, 'swatch');
    swatch.style.background = colourOfLabel.get(k);
    row.append(swatch, el('span', `${k} (${count})`));
    row.title = 'Click to bring this label forward';
    row.onclick = () => { state.focusLabel = state.focusLabel === k ? undefined : k; draw(); };
    legend.append(row);
  }
  if (order.length > PALETTE.length) legend.append(el('div', `+ ${order.length - PALETTE.length} more labels (grey)`, 'muted'));
}
function num(v) { return Number.isInteger(v) ? String(v) : v.toPrecision(4); }
function gradient(t) {
  t = Math.min(1, Math.max(0, t)) * (GRADIENT.length - 1);
  const i = Math.min(GRADIENT.length - 2, Math.floor(t)), f = t - i;
  const c = GRADIENT[i].map((v, k) => Math.round(v + f * (GRADIENT[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const canvas = $('map');
const ctx2d = canvas.getContext('2d');
function size() {
  const r = canvas.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
  return { w: r.width, h: r.height, dpr };
}
function fitView() {
  const pts = state.points;
  if (!pts.length) { state.view = { cx: 0, cy: 0, scale: 1 }; return; }
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of pts) { x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y); }
  const { w, h } = size();
  const scale = 0.9 * Math.min(w / ((x1 - x0) || 1), h / ((y1 - y0) || 1));
  state.view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, scale };
}
function toScreen(p) {
  const { w, h } = size(), v = state.view;
  return [w / 2 + (p.x - v.cx) * v.scale, h / 2 - (p.y - v.cy) * v.scale];
}
function draw() {
  const { w, h, dpr } = size();
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  ctx2d.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx2d.clearRect(0, 0, w, h);
  const pts = state.points;
  if (!pts.length || !state.view) return;
  const r = Math.max(1.2, Math.min(4, 4 / Math.sqrt(pts.length / 1000)));
  const dim = state.highlight.size > 0 || state.focusLabel !== undefined;
  ctx2d.globalAlpha = dim ? 0.25 : 0.8;
  for (let i = 0; i < pts.length; ++i) {
    const [x, y] = toScreen(pts[i]);
    if (x < -r || y < -r || x > w + r || y > h + r) continue;
    ctx2d.fillStyle = state.colourOf[i];
    ctx2d.fillRect(x - r, y - r, 2 * r, 2 * r);
  }
  ctx2d.globalAlpha = 1;
  if (state.focusLabel !== undefined) {
    pts.forEach((p, i) => {
      if (labelText(p.label) !== state.focusLabel) return;
      const [x, y] = toScreen(p);
      ctx2d.fillStyle = state.colourOf[i];
      ctx2d.fillRect(x - r, y - r, 2 * r, 2 * r);
    });
  }
  pts.forEach((p, i) => {
    if (!state.highlight.has(labelText(p.id))) return;
    ring(p, r + 3, '#1d2330', state.colourOf[i]);
  });
  if (state.hover >= 0 && state.hover < pts.length) ring(pts[state.hover], r + 3, '#1d2330');
  if (state.selected) ring(state.selected, r + 5, '#d62728');
}
function ring(p, radius, stroke, fill) {
  const [x, y] = toScreen(p);
  ctx2d.beginPath();
  ctx2d.arc(x, y, radius, 0, 2 * Math.PI);
  if (fill) { ctx2d.fillStyle = fill; ctx2d.fill(); }
  ctx2d.lineWidth = 2;
  ctx2d.strokeStyle = stroke;
  ctx2d.stroke();
}
function nearest(mx, my) {
  let best = -1, bestD = 64;  // within 8 px
  state.points.forEach((p, i) => {
    const [x, y] = toScreen(p);
    const d = (x - mx) ** 2 + (y - my) ** 2;
    if (d < bestD) { bestD = d; best = i; }
  });
  return best;
}

let drag = null;
canvas.addEventListener('mousedown', (e) => { drag = { x: e.offsetX, y: e.offsetY, moved: false }; });
window.addEventListener('mouseup', () => { setTimeout(() => { drag = null; }, 0); });
canvas.addEventListener('mousemove', (e) => {
  if (!state.view) return;
  if (drag && (e.buttons & 1)) {
    const dx = e.offsetX - drag.x, dy = e.offsetY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
    state.view.cx -= dx / state.view.scale;
    state.view.cy += dy / state.view.scale;
    drag.x = e.offsetX;
    drag.y = e.offsetY;
    draw();
    return;
  }
  const i = nearest(e.offsetX, e.offsetY);
  const tip = $('tooltip');
  if (i !== state.hover) { state.hover = i; draw(); }
  if (i < 0) { tip.style.display = 'none'; return; }
  const p = state.points[i];
  tip.textContent = `id ${labelText(p.id)}` + (p.label !== undefined ? ` · ${labelText(p.label)}` : '');
  tip.style.left = `${e.offsetX + 12}px`;
  tip.style.top = `${e.offsetY + 12}px`;
  tip.style.display = 'block';
});
canvas.addEventListener('mouseleave', () => { state.hover = -1; $('tooltip').style.display = 'none'; draw(); });
canvas.addEventListener('click', (e) => {
  if (drag && drag.moved) return;
  const i = nearest(e.offsetX, e.offsetY);
  if (i >= 0) selectPoint(state.points[i]);
});
canvas.addEventListener('wheel', (e) => {
  if (!state.view) return;
  e.preventDefault();
  const { w, h } = size(), v = state.view;
  const factor = Math.exp(-e.deltaY * 0.0015);
  // Keep the data point under the cursor in place.
  const dx = (e.offsetX - w / 2) / v.scale, dy = (h / 2 - e.offsetY) / v.scale;
  v.cx += dx - dx / factor;
  v.cy += dy - dy / factor;
  v.scale *= factor;
  draw();
}, { passive: false });
new ResizeObserver(() => draw()).observe(canvas);

// ---- one point ------------------------------------------------------------------------------
function clearDetails() {
  state.selected = null;
  $('point').replaceChildren(el('span', 'Click a point on the map. Drag to pan, scroll to zoom.', 'muted'));
  $('neighbours').replaceChildren();
  showImage(null);
}
function showImage(url) {
  if (state.imageUrl) URL.revokeObjectURL(state.imageUrl);
  state.imageUrl = url;
  const img = $('decoded');
  img.style.display = url ? 'block' : 'none';
  if (url) img.src = url; else img.removeAttribute('src');
}
function findPoint(id) {
  const key = labelText(id);
  return state.points.find((p) => labelText(p.id) === key);
}

async function selectPoint(p) {
  const name = state.collection;
  state.selected = p;
  history.replaceState(null, '', `#${seg(name)}/${seg(p.id)}`);
  draw();
  const box = $('point');
  box.replaceChildren(el('div', `id ${labelText(p.id)}`), el('div', `map (${p.x.toFixed(3)}, ${p.y.toFixed(3)})`, 'muted'));
  // Body forms, not /points/{id}: in a path an id of digits is an integer, so a string id such
  // as "1990" can only be named in JSON.
  const base = `/collections/${seg(name)}/points`;
  try {
    const found = await api('POST', base, { ids: [p.id], with_payload: true, with_vector: false });
    const rec = Array.isArray(found) && found.length ? found[0] : null;
    box.append(el('pre', JSON.stringify(rec && rec.payload !== undefined ? rec.payload : rec, null, 2)));
  } catch (e) { box.append(el('div', e.message, 'muted')); }
  const info = state.collections.find((c) => c.name === name);
  const model = modelOf(info);
  showImage(null);
  if (model && (model.kind === 'vae' || model.kind === undefined)) {
    try { showImage(await imageUrl(`${base}/decode`, { id: p.id })); }
    catch (e) { if (model.kind === 'vae') box.append(el('div', e.message, 'muted')); }
  }
  const list = $('neighbours');
  list.replaceChildren(el('li', 'searching…', 'muted'));
  try {
    const r = await api('POST', `/collections/${seg(name)}/search`, { id: p.id, k: 10, with_payload: false });
    const hits = Array.isArray(r) ? r : (r && Array.isArray(r.points) ? r.points : (r && Array.isArray(r.result) ? r.result : []));
    list.replaceChildren();
    state.highlight = new Set(hits.map((h) => labelText(h.id)));
    for (const h of hits) {
      const onMap = findPoint(h.id);
      const label = onMap && onMap.label !== undefined ? ` · ${labelText(onMap.label)}` : '';
      const score = typeof h.score === 'number' ? ` — ${h.score.toFixed(4)}` : '';
      const li = el('li', `${labelText(h.id)}${label}${score}` + (onMap ? '' : ' (not on the map)'));
      if (onMap) li.onclick = () => selectPoint(onMap);
      list.append(li);
    }
    draw();
  } catch (e) { list.replaceChildren(el('li', e.message, 'muted')); }
}

// ---- words ----------------------------------------------------------------------------------
async function wordNeighbours() {
  const model = $('wordmodel').value, word = $('word').value.trim();
  const list = $('wordhits');
  if (!model || !word) return;
  list.replaceChildren(el('li', 'searching…', 'muted'));
  try {
    const hits = await api('GET', `/words/${seg(model)}/${seg(word)}/neighbors?k=10`);
    list.replaceChildren();
    for (const h of Array.isArray(hits) ? hits : []) {
      const li = el('li', `${h.word}  ${typeof h.score === 'number' ? h.score.toFixed(4) : ''}`);
      li.onclick = () => { $('word').value = h.word; wordNeighbours(); };
      list.append(li);
    }
    // On the map of the model's own collection, ring the word and its neighbours.
    if (state.collection === model) {
      state.highlight = new Set([word, ...(Array.isArray(hits) ? hits.map((h) => h.word) : [])]);
      const p = findPoint(word);
      if (p) { state.selected = p; state.view.cx = p.x; state.view.cy = p.y; }
      draw();
    }
  } catch (e) { list.replaceChildren(el('li', e.message, 'muted')); }
}

// ---- wiring ---------------------------------------------------------------------------------
$('plot').onclick = plot;
$('fit').onclick = () => { fitView(); draw(); };
$('field').addEventListener('change', plot);
$('count').addEventListener('keydown', (e) => { if (e.key === 'Enter') plot(); });
$('wordgo').onclick = wordNeighbours;
$('word').addEventListener('keydown', (e) => { if (e.key === 'Enter') wordNeighbours(); });
$('apikey').value = localStorage.getItem('latentdb.apikey') || '';
$('apikey').addEventListener('change', () => { localStorage.setItem('latentdb.apikey', $('apikey').value); loadCollections(); });
loadCollections();
