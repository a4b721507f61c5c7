// ---- one point (point.js): payload, decoded image, nearest stored points, deep links ---------
let decodedUrl = null;
function clearDetails() {
  state.selected = null;
  $('point').replaceChildren(el('span', 'Click a point on the map. Drag to pan, scroll to zoom.', 'muted'));
  $('neighbours').replaceChildren();
  $('pick').hidden = true;
  showDecoded(null);
  resetSliders();
}
function showDecoded(url) {
  if (decodedUrl) URL.revokeObjectURL(decodedUrl);
  decodedUrl = url;
  const img = $('decoded');
  img.style.display = url ? 'block' : 'none';
  img.parentElement.hidden = !url;  // the figure and its caption
  if (url) img.src = url; else img.removeAttribute('src');
}
function findPoint(id) {
  const key = labelText(id);
  return state.points.find((p) => labelText(p.id) === key);
}
// Body forms, not /points/{id}: in a path an id of digits is an integer, so a string id such as
// "1990" can only be named in JSON.
async function fetchPoint(id, withVector) {
  const found = await api('POST', `/collections/${seg(state.collection)}/points`,
                          { ids: [id], with_payload: true, with_vector: withVector });
  return Array.isArray(found) && found.length ? found[0] : null;
}

// Opens a point by id: the plotted one, or else the stored point placed on the map by the map's
// basis (a deep link to a point outside the sample, a neighbour that is not plotted).
async function openPoint(id) {
  const name = state.collection;
  const onMap = findPoint(id);
  if (onMap) {
    if (!inView(onMap)) centreOn(onMap);  // a point in view stays where the eye found it
    return selectPoint(onMap);
  }
  let rec;
  try { rec = await fetchPoint(id, true); } catch (e) { fail(e); return; }
  if (name !== state.collection) return;
  if (!rec) { status(`${name}: no point ${labelText(id)}`, true); return; }
  const label = state.field ? fieldOf(rec.payload, state.field) : undefined;
  const p = addOutsidePoint(rec.id, rec.vector, label);
  if (!p) { status(`${name}: point ${labelText(id)} cannot be placed on this map`, true); return; }
  centreOn(p);
  return selectPoint(p, rec);
}
// The payload value at a dotted path, as the map route reads it.
function fieldOf(payload, path) {
  let cur = payload;
  for (const key of path.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur) || !(key in cur)) return null;
    cur = cur[key];
  }
  return cur;
}

async function selectPoint(p, record) {
  const name = state.collection;
  state.selected = p;
  history.replaceState(null, '', `#${seg(name)}/${seg(p.id)}`);
  draw();
  const box = $('point');
  box.replaceChildren(el('div', `id ${labelText(p.id)}`), el('div', `map (${p.x.toFixed(3)}, ${p.y.toFixed(3)})`, 'muted'));
  if (p.outside) box.append(el('div', 'Not in the plotted sample: placed by the map\'s projection (◇).', 'outside'));
  if (p.label !== undefined && classNames() && Number.isInteger(p.label)) box.append(el('div', `class: ${labelName(p.label)}`));
  $('pick').hidden = !generative();
  showDecoded(null);
  resetSliders();
  // Each answer is shown only while its point is still the selected one: a quick second click
  // must not get the first point's payload, image or neighbours.
  const current = () => state.selected === p;
  try {
    const rec = record || await fetchPoint(p.id, false);
    if (!current()) return;
    box.append(el('pre', JSON.stringify(rec && rec.payload !== undefined ? rec.payload : rec, null, 2)));
  } catch (e) { if (current()) box.append(el('div', e.message, 'muted')); }
  if (generative()) {
    try {
      const url = await imageUrl(`/collections/${seg(name)}/points/decode`, { id: p.id });
      if (!current()) { URL.revokeObjectURL(url); return; }
      showDecoded(url);
    } catch (e) { if (current()) box.append(el('div', e.message, 'muted')); }
  }
  if (current()) await neighbours(p);
}

async function neighbours(p) {
  const name = state.collection;
  const list = $('neighbours');
  list.replaceChildren(el('li', 'searching…', 'muted'));
  try {
    const r = await api('POST', `/collections/${seg(name)}/search`, { id: p.id, k: 10, with_payload: true });
    if (state.selected !== p) return;
    const hits = Array.isArray(r) ? r : (r && Array.isArray(r.points) ? r.points : []);
    list.replaceChildren();
    state.highlight = new Set(hits.map((h) => labelText(h.id)));
    for (const h of hits) {
      const onMap = findPoint(h.id);
      const value = state.field && h.payload ? fieldOf(h.payload, state.field) : null;
      const label = value !== null && value !== undefined ? ` · ${labelName(value)}` : '';
      const score = typeof h.score === 'number' ? ` — ${h.score.toFixed(4)}` : '';
      const li = el('li', `${labelText(h.id)}${label}${score}` + (onMap ? '' : ' (not in the sample)'));
      li.onclick = () => openPoint(h.id);
      list.append(li);
    }
    draw();
  } catch (e) { if (state.selected === p) list.replaceChildren(el('li', e.message, 'muted')); }
}
