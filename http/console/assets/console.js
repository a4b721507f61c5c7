// The console's core: talking to the server, the shared state, the collection list, the word box
// and start(). map.js draws the map, point.js shows one point, generate.js holds the panels of
// generative collections (samples, interpolation, direction sliders). The files are inlined into
// one <script> in this order (http/console/embed_console.cmake), so they share one scope.
'use strict';
const $ = (id) => document.getElementById(id);
const seg = (s) => encodeURIComponent(String(s));

const state = {
  collections: [], models: {}, collection: null, model: null,
  // The map: sampled points {id, x, y, label, outside?}, their colours (colourKey: label → colour
  // map, or the {lo, hi} of a numeric gradient), its PCA basis, the field plotted.
  points: [], colourOf: [], colourKey: null, basis: null, field: '', focusLabel: undefined,
  view: null, hover: -1, selected: null, highlight: new Set(),
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
// A base64 PNG of a JSON answer as an object URL (the page's CSP allows blob: images, not data:).
function pngUrl(base64) {
  const bin = atob(base64), bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; ++i) bytes[i] = bin.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));
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
// Class names: an image model's manifest lists its training classes ("classes"); a payload field
// that holds class indices (label, class, …) is shown by name. Any other value as it is.
const CLASS_FIELDS = ['label', 'class', 'class_id', 'target'];
function classNames() {
  const classes = state.model && Array.isArray(state.model.classes) ? state.model.classes : null;
  return classes && classes.length && CLASS_FIELDS.includes(state.field) ? classes : null;
}
function labelName(v) {
  const classes = classNames();
  if (classes && Number.isInteger(v) && v >= 0 && v < classes.length) return String(classes[v]);
  return labelText(v);
}
function modelOf(info) {
  const encoder = info && info.config ? info.config.encoder : null;
  return encoder ? (state.models[encoder] || { name: encoder }) : null;
}
// VAE and GAN collections decode latents into images.
function generative() { return !!state.model && (state.model.kind === 'vae' || state.model.kind === 'gan'); }

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
  const wordModels = Object.values(state.models).filter((m) => !m.error && !['cnn', 'vae', 'gan', 'torchscript'].includes(m.kind));
  for (const m of wordModels) select.append(el('option', m.name));
  if (!wordModels.length) select.append(el('option', '(no word models)'));
  select.disabled = $('word').disabled = $('wordgo').disabled = !wordModels.length;
  status(`${state.collections.length} collections, ${Object.keys(state.models).length} models`);
  const link = deepLink();
  const first = state.collections.find((c) => c.name === link.collection) || state.collections[0];
  if (first) selectCollection(first.name, link.id);
}

// Deep links: #collection or #collection/point-id (the id as the map shows it: digits are an
// integer id, anything else a string).
function deepLink() {
  const hash = location.hash.slice(1), slash = hash.indexOf('/');
  const collection = decodeURIComponent(slash < 0 ? hash : hash.slice(0, slash));
  let id = slash < 0 ? undefined : decodeURIComponent(hash.slice(slash + 1));
  if (id !== undefined && /^[0-9]+$/.test(id) && Number.isSafeInteger(+id)) id = +id;
  return { collection, id };
}
async function followHash() {
  const link = deepLink();
  if (link.collection !== state.collection) {
    if (state.collections.some((c) => c.name === link.collection)) selectCollection(link.collection, link.id);
  } else if (state.loadingMap) {
    // The map is still loading: selectCollection opens the point the hash names once it is there.
  } else if (link.id !== undefined && (!state.selected || labelText(state.selected.id) !== labelText(link.id))) {
    openPoint(link.id);
  }
}

async function selectCollection(name, pointId) {
  state.collection = name;
  state.model = modelOf(state.collections.find((c) => c.name === name));
  for (const li of $('collections').children) li.classList.toggle('active', li.dataset.name === name);
  history.replaceState(null, '', '#' + seg(name) + (pointId !== undefined ? '/' + seg(pointId) : ''));
  // The old collection's points leave the map at once: nothing may be decoded or opened in the
  // new collection by the old one's ids while its map loads.
  state.points = [];
  state.colourOf = [];
  state.basis = null;
  draw();
  clearDetails();
  resetGenerative();
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
  loadDirections();
  state.loadingMap = true;
  try { await plot(); } finally { if (name === state.collection) state.loadingMap = false; }
  if (name !== state.collection) return;
  // The hash may have named another point of this collection while the map loaded.
  const link = deepLink();
  const id = link.collection === name && link.id !== undefined ? link.id : pointId;
  if (id !== undefined) await openPoint(id);
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

// ---- start ----------------------------------------------------------------------------------
function start() {
  $('plot').onclick = plot;
  $('fit').onclick = () => { fitView(); draw(); };
  $('field').addEventListener('change', plot);
  $('thumbs').addEventListener('change', () => draw());
  // The number of points to plot is kept across visits (a deep link opens with it).
  const savedCount = localStorage.getItem('latentdb.mapcount');
  if (savedCount) $('count').value = savedCount;
  $('count').addEventListener('change', () => localStorage.setItem('latentdb.mapcount', $('count').value));
  $('count').addEventListener('keydown', (e) => { if (e.key === 'Enter') plot(); });
  $('wordgo').onclick = wordNeighbours;
  $('word').addEventListener('keydown', (e) => { if (e.key === 'Enter') wordNeighbours(); });
  $('apikey').value = localStorage.getItem('latentdb.apikey') || '';
  $('apikey').addEventListener('change', () => { localStorage.setItem('latentdb.apikey', $('apikey').value); loadCollections(); });
  window.addEventListener('hashchange', followHash);
  startMap();
  startGenerative();
  loadCollections();
}
