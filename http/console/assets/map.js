// ---- the map (map.js): GET /collections/{c}/map, colours, pan and zoom, decoded thumbnails ----
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
                 '#bcbd22', '#17becf', '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94',
                 '#f7b6d2', '#dbdb8d', '#9edae5', '#393b79'];
const OTHER = '#c8ccd4';
const GRADIENT = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];  // viridis
// Thumbnails replace dots when at most THUMB_VISIBLE points are in view; THUMB_PARALLEL decodes at
// once (the decode route runs on the server's worker pool: a zoom must not occupy all of it);
// THUMB_CACHE decoded images are kept (object URLs, revoked when evicted).
const THUMB_VISIBLE = 150, THUMB_PARALLEL = 3, THUMB_CACHE = 2000, THUMB_SIZE = 40;
const thumbs = { cache: new Map(), queue: [], inFlight: new Set(), drawn: 0, generation: 0 };

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
    state.basis = null;
    draw();
    message(e.message, true);
    fail(e);
    return;
  }
  if (name !== state.collection) return;  // another collection was picked meanwhile
  const raw = answer && Array.isArray(answer.points) ? answer.points : null;
  if (!raw) { message(`GET ${path}: unexpected answer (no "points" array)`, true); return; }
  state.points = raw.filter((p) => p && Number.isFinite(+p.x) && Number.isFinite(+p.y))
                    .map((p) => ({ id: p.id, x: +p.x, y: +p.y, label: p.label }));
  state.basis = answer.basis && Array.isArray(answer.basis.mean) ? answer.basis : null;
  state.field = field;
  const ratio = Array.isArray(answer.explained_variance_ratio)
      ? ` · PCA keeps ${(100 * answer.explained_variance_ratio.reduce((a, b) => a + b, 0)).toFixed(1)}% of the variance` : '';
  const total = answer.total !== undefined ? ` of ${answer.total}` : '';
  $('mapinfo').textContent = `${state.points.length}${total} points${ratio}`;
  state.highlight = new Set();
  state.focusLabel = undefined;
  state.selected = null;
  colour(field);
  fitView();
  draw();
  message(state.points.length ? '' : 'This collection has no points.');
  status(`${name}: ${state.points.length} points plotted`);
}

// A point that is not in the plotted sample, placed by the map's own basis:
// x = (v − mean) · axes[0], y = (v − mean) · axes[1], as the server placed the sample.
function project(vector) {
  const b = state.basis;
  if (!b || !Array.isArray(vector) || vector.length !== b.mean.length) return null;
  const xy = [0, 0];
  for (let a = 0; a < 2; ++a) for (let i = 0; i < vector.length; ++i) xy[a] += (vector[i] - b.mean[i]) * b.axes[a][i];
  return xy;
}
function addOutsidePoint(id, vector, label) {
  const xy = project(vector);
  if (!xy) return null;
  const p = { id, x: xy[0], y: xy[1], label, outside: true };
  state.points.push(p);
  state.colourOf.push(colourOfLabel(label));
  const outside = state.points.filter((q) => q.outside).length;
  $('mapinfo').dataset.outside = String(outside);
  return p;
}

// Categorical colours for up to 20 labels (the rest grey), a gradient for many numeric labels.
function colour(field) {
  const pts = state.points;
  const legend = $('legend');
  legend.replaceChildren();
  state.colourOf = new Array(pts.length).fill(PALETTE[0]);
  state.colourKey = null;
  if (!field || pts.every((p) => p.label === undefined || p.label === null)) return;
  const counts = new Map();
  for (const p of pts) { const k = labelText(p.label); counts.set(k, (counts.get(k) || 0) + 1); }
  const numeric = pts.every((p) => p.label === null || p.label === undefined || typeof p.label === 'number');
  if (numeric && counts.size > 12) {
    const values = pts.map((p) => p.label).filter((v) => typeof v === 'number');
    const lo = Math.min(...values), hi = Math.max(...values);
    state.colourKey = { lo, hi };
    pts.forEach((p, i) => { state.colourOf[i] = colourOfLabel(p.label); });
    const bar = el('div', undefined, 'gradient');
    bar.style.background = `linear-gradient(to right, ${[0, .25, .5, .75, 1].map(gradient).join(', ')})`;
    legend.append(el('b', field), bar, el('div', `${num(lo)} … ${num(hi)}`, 'muted'));
    return;
  }
  const order = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  state.colourKey = new Map(order.slice(0, PALETTE.length).map(([k], i) => [k, PALETTE[i]]));
  pts.forEach((p, i) => { state.colourOf[i] = colourOfLabel(p.label); });
  legend.append(el('b', field + (classNames() ? ' (the model\'s classes)' : '')));
  for (const [k, count] of order.slice(0, PALETTE.length)) {
    const row = el('div');
    const swatch = el('span', undefined, 'swatch');
    swatch.style.background = state.colourKey.get(k);
    const value = pts.find((p) => labelText(p.label) === k).label;
    row.append(swatch, el('span', `${labelName(value)} (${count})`));
    row.title = `${field} = ${k}: click to bring it forward`;
    row.onclick = () => { state.focusLabel = state.focusLabel === k ? undefined : k; draw(); };
    legend.append(row);
  }
  if (order.length > PALETTE.length) legend.append(el('div', `+ ${order.length - PALETTE.length} more labels (grey)`, 'muted'));
}
function colourOfLabel(label) {
  const key = state.colourKey;
  if (!key) return PALETTE[0];
  if (key instanceof Map) return key.get(labelText(label)) || OTHER;
  return typeof label === 'number' ? gradient((label - key.lo) / ((key.hi - key.lo) || 1)) : OTHER;
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
function centreOn(p) {
  if (!state.view) fitView();
  state.view.cx = p.x;
  state.view.cy = p.y;
}
function inView(p) {
  if (!state.view) return false;
  const { w, h } = size(), [x, y] = toScreen(p);
  return x >= 0 && y >= 0 && x <= w && y <= h;
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
  thumbs.drawn = 0;
  if (!pts.length || !state.view) { canvas.dataset.thumbnails = '0'; return; }
  const r = Math.max(1.2, Math.min(4, 4 / Math.sqrt(pts.length / 1000)));
  const visible = [];
  for (let i = 0; i < pts.length; ++i) {
    const [x, y] = toScreen(pts[i]);
    if (x >= -r && y >= -r && x <= w + r && y <= h + r) visible.push(i);
  }
  const useThumbs = $('thumbs').checked && generative() && visible.length <= THUMB_VISIBLE;
  const dim = state.highlight.size > 0 || state.focusLabel !== undefined;
  ctx2d.globalAlpha = dim ? 0.25 : 0.8;
  for (const i of visible) {
    const [x, y] = toScreen(pts[i]);
    ctx2d.fillStyle = state.colourOf[i];
    ctx2d.fillRect(x - r, y - r, 2 * r, 2 * r);
  }
  ctx2d.globalAlpha = 1;
  if (useThumbs) drawThumbnails(visible);
  if (state.focusLabel !== undefined) {
    for (const i of visible) {
      if (labelText(pts[i].label) !== state.focusLabel) continue;
      const [x, y] = toScreen(pts[i]);
      ctx2d.fillStyle = state.colourOf[i];
      ctx2d.fillRect(x - r, y - r, 2 * r, 2 * r);
    }
  }
  for (const i of visible) {
    if (!state.highlight.has(labelText(pts[i].id))) continue;
    if (useThumbs) frame(pts[i], THUMB_SIZE / 2 + 3, '#1d2330'); else ring(pts[i], r + 3, '#1d2330', state.colourOf[i]);
  }
  for (const i of visible) if (pts[i].outside) diamond(pts[i], r + 6, '#d62728');
  if (state.hover >= 0 && state.hover < pts.length) ring(pts[state.hover], r + 3, '#1d2330');
  if (state.selected) {
    if (useThumbs) frame(state.selected, THUMB_SIZE / 2 + 4, '#d62728'); else ring(state.selected, r + 5, '#d62728');
  }
  canvas.dataset.thumbnails = String(thumbs.drawn);
  canvas.dataset.visible = String(visible.length);
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
function frame(p, half, stroke) {
  const [x, y] = toScreen(p);
  ctx2d.lineWidth = 3;
  ctx2d.strokeStyle = stroke;
  ctx2d.strokeRect(x - half, y - half, 2 * half, 2 * half);
}
function diamond(p, radius, stroke) {
  const [x, y] = toScreen(p);
  ctx2d.beginPath();
  ctx2d.moveTo(x, y - radius); ctx2d.lineTo(x + radius, y); ctx2d.lineTo(x, y + radius); ctx2d.lineTo(x - radius, y);
  ctx2d.closePath();
  ctx2d.lineWidth = 2;
  ctx2d.strokeStyle = stroke;
  ctx2d.stroke();
}

// Decoded thumbnails: each visible point's image (POST …/points/decode), framed in its label's
// colour. Points not decoded yet stay dots and are queued; the queue holds only what is in view.
function drawThumbnails(visible) {
  const s = THUMB_SIZE, wanted = [];
  ctx2d.imageSmoothingEnabled = false;
  for (const i of visible) {
    const p = state.points[i], key = thumbKey(p.id), entry = thumbs.cache.get(key);
    if (!entry) { wanted.push(p.id); continue; }
    if (!entry.img.complete || !entry.img.naturalWidth) continue;
    const [x, y] = toScreen(p);
    ctx2d.fillStyle = state.colourOf[i];
    ctx2d.fillRect(x - s / 2 - 2, y - s / 2 - 2, s + 4, s + 4);
    ctx2d.drawImage(entry.img, x - s / 2, y - s / 2, s, s);
    ++thumbs.drawn;
  }
  queueThumbnails(wanted);
}
function thumbKey(id) { return state.collection + '\u0000' + labelText(id); }
function queueThumbnails(ids) {
  thumbs.queue = ids.filter((id) => !thumbs.inFlight.has(thumbKey(id)));
  for (let i = thumbs.inFlight.size; i < THUMB_PARALLEL && thumbs.queue.length; ++i) decodeNextThumbnail();
}
async function decodeNextThumbnail() {
  const id = thumbs.queue.shift();
  if (id === undefined) return;
  const key = thumbKey(id), generation = thumbs.generation;
  thumbs.inFlight.add(key);
  try {
    const url = await imageUrl(`/collections/${seg(state.collection)}/points/decode`, { id });
    if (generation !== thumbs.generation) { URL.revokeObjectURL(url); return; }
    const img = new Image();
    img.onload = () => draw();
    img.src = url;
    thumbs.cache.set(key, { img, url });
    if (thumbs.cache.size > THUMB_CACHE) {
      const [oldest, entry] = thumbs.cache.entries().next().value;
      URL.revokeObjectURL(entry.url);
      thumbs.cache.delete(oldest);
    }
  } catch (e) {
    fail(e);
    thumbs.queue = [];  // the next draw asks again; no storm of failing requests meanwhile
  } finally {
    thumbs.inFlight.delete(key);
    if (generation === thumbs.generation && thumbs.queue.length) decodeNextThumbnail();
  }
}
// A new collection: forget the old one's queue (its cached images stay keyed by collection).
function resetThumbnails() {
  thumbs.generation++;
  thumbs.queue = [];
  thumbs.inFlight.clear();
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

// For scripts and the browser test (tests/console/browser/): the plotted points in view, in CSS
// pixels of the canvas, and whether each is drawn as a decoded thumbnail.
window.latentdbConsole = {
  visiblePoints() {
    if (!state.view) return [];
    const { w, h } = size();
    const thumbsOn = Number(canvas.dataset.thumbnails || 0) > 0;
    return state.points.map((p) => {
      const [x, y] = toScreen(p);
      const entry = thumbs.cache.get(thumbKey(p.id));
      return { id: p.id, x, y, label: p.label, outside: !!p.outside,
               thumbnail: thumbsOn && !!entry && entry.img.complete && entry.img.naturalWidth > 0 };
    }).filter((p) => p.x >= 0 && p.y >= 0 && p.x <= w && p.y <= h);
  },
};

function startMap() {
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
    tip.textContent = `id ${labelText(p.id)}` + (p.label !== undefined ? ` · ${labelName(p.label)}` : '') +
                      (p.outside ? ' · outside the sample' : '');
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
}
