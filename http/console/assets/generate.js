// ---- generative panels (generate.js): the sample grid, the interpolation strip, direction sliders
// Images of JSON answers are object URLs, revoked when their panel is redrawn.
const gen = { sampleUrls: [], stripUrls: [], editUrl: null, a: null, b: null, directions: [] };
// A slider re-decodes after it rests for EDIT_DEBOUNCE_MS, and never has two edits in flight:
// a move during a request is sent when that request ends (the latest value only).
const EDIT_DEBOUNCE_MS = 120;
const edit = { timer: null, busy: false, next: null };

function revokeAll(urls) { for (const u of urls.splice(0)) URL.revokeObjectURL(u); }
function thumbnail(url, title, onclick) {
  const img = el('img');
  img.src = url;
  img.alt = title;
  img.title = title;
  if (onclick) img.onclick = onclick;
  return img;
}
// The stored point nearest to a decoded latent, as the answer names it ("nearest": a hit or null).
function nearestNote(item) {
  return item && item.nearest ? `nearest stored point ${labelText(item.nearest.id)}` : 'no stored point';
}

// A class-conditional GAN's or VAE's classes (its manifest's architecture has classes and a class
// embedding), or null: the sample panel then offers a class to sample.
function conditionalClasses() {
  const m = state.model, a = m && m.architecture;
  const conditional = m && (m.kind === 'gan' || m.kind === 'vae') && a && a.classes > 0 && a.class_embedding > 0;
  return conditional && Array.isArray(m.classes) ? m.classes : null;
}

function resetGenerative() {
  resetThumbnails();
  $('generative').hidden = !generative();
  const classes = conditionalClasses();
  $('sampleclasslabel').hidden = !classes;
  $('sampleclass').replaceChildren(el('option', 'any'), ...(classes || []).map((c, i) => {
    const o = el('option', String(c));
    o.value = String(i);
    return o;
  }));
  $('sampleclass').firstChild.value = '';
  revokeAll(gen.sampleUrls);
  revokeAll(gen.stripUrls);
  $('samplegrid').replaceChildren();
  $('interpstrip').replaceChildren();
  $('sampleinfo').textContent = '';
  $('interpinfo').textContent = 'Pick a point, "Use as A", then another, "Use as B".';
  gen.a = gen.b = null;
  showPicks();
}

// ---- samples: POST /collections/{c}/sample {"n", "seed", "class"?} --------------------------
async function sample() {
  const name = state.collection;
  const n = Math.min(256, Math.max(1, parseInt($('samplen').value, 10) || 16));
  const body = { n };
  const seed = $('sampleseed').value.trim();
  if (seed !== '') body.seed = Number(seed);
  if (conditionalClasses() && $('sampleclass').value !== '') body.class = Number($('sampleclass').value);
  $('sampleinfo').textContent = 'sampling…';
  let r;
  try { r = await api('POST', `/collections/${seg(name)}/sample`, body); } catch (e) { $('sampleinfo').textContent = ''; fail(e); return; }
  if (name !== state.collection) return;
  revokeAll(gen.sampleUrls);
  const grid = $('samplegrid');
  grid.replaceChildren();
  (r.samples || []).forEach((s, i) => {
    const url = pngUrl(s.image);
    gen.sampleUrls.push(url);
    const open = s.nearest ? () => openPoint(s.nearest.id) : null;
    const cls = s.class !== undefined ? ` (${s.class})` : '';
    grid.append(thumbnail(url, `sample ${i}${cls}: ${nearestNote(s)}` + (open ? ' (click to open it)' : ''), open));
  });
  $('sampleinfo').textContent = `seed ${r.seed} (enter it to get the same samples again)`;
}

// ---- interpolation: POST /collections/{c}/interpolate {"from", "to", "steps", "mode"} --------
function pick(which) {
  if (!state.selected) return;
  gen[which] = state.selected.id;
  showPicks();
  if (gen.a !== null && gen.b !== null) interpolate();
}
function showPicks() {
  $('interpa').textContent = gen.a === null ? '–' : labelText(gen.a);
  $('interpb').textContent = gen.b === null ? '–' : labelText(gen.b);
  $('interpgo').disabled = gen.a === null || gen.b === null;
}
async function interpolate() {
  const name = state.collection;
  const steps = Math.min(256, Math.max(2, parseInt($('interpsteps').value, 10) || 8));
  const mode = $('interpmode').value;
  $('interpinfo').textContent = 'interpolating…';
  let r;
  try {
    r = await api('POST', `/collections/${seg(name)}/interpolate`, { from: gen.a, to: gen.b, steps, mode });
  } catch (e) { $('interpinfo').textContent = ''; fail(e); return; }
  if (name !== state.collection) return;
  revokeAll(gen.stripUrls);
  const strip = $('interpstrip');
  strip.replaceChildren();
  for (const s of r.steps || []) {
    const url = pngUrl(s.image);
    gen.stripUrls.push(url);
    const fig = el('figure');
    const open = s.nearest ? () => openPoint(s.nearest.id) : null;
    fig.append(thumbnail(url, `t = ${s.t.toFixed(3)}: ${nearestNote(s)}`, open), el('figcaption', `t ${s.t.toFixed(2)}`));
    strip.append(fig);
  }
  $('interpinfo').textContent = `${mode}, ${labelText(gen.a)} → ${labelText(gen.b)}; click a frame to open its nearest stored point`;
}

// ---- directions: GET …/directions, one slider each; POST …/edit as a slider moves ---------
async function loadDirections() {
  const name = state.collection;
  let list = [];
  try {
    const r = await api('GET', `/collections/${seg(name)}/directions`);
    list = r && Array.isArray(r.directions) ? r.directions : [];
  } catch (e) { fail(e); }
  if (name !== state.collection) return;
  gen.directions = list;
  const box = $('directions');
  box.replaceChildren();
  for (const d of list) {
    const row = el('label', undefined, 'direction');
    const title = d.method === 'pca' ? `${d.name} (pca ${d.component})` : `${d.name} (${d.method})`;
    const slider = el('input');
    Object.assign(slider, { type: 'range', min: '-4', max: '4', step: '0.25', value: '0' });
    slider.dataset.direction = d.name;
    const out = el('output', '0');
    slider.addEventListener('input', () => {
      // One direction at a time: the edit moves the selected point along this one only.
      for (const other of box.querySelectorAll('input')) if (other !== slider) { other.value = '0'; other.nextSibling.textContent = '0'; }
      out.textContent = slider.value;
      scheduleEdit(d.name, Number(slider.value));
    });
    row.append(el('span', title), slider, out);
    box.append(row);
  }
  $('directionsbox').hidden = !list.length;
  resetSliders();
}
function resetSliders() {
  clearTimeout(edit.timer);
  edit.next = null;
  for (const s of $('directions').querySelectorAll('input')) { s.value = '0'; s.nextSibling.textContent = '0'; s.disabled = !state.selected; }
  if (gen.editUrl) URL.revokeObjectURL(gen.editUrl);
  gen.editUrl = null;
  $('editedfig').hidden = true;
  $('edited').removeAttribute('src');
  $('editnear').textContent = state.selected ? '' : 'Select a point to move it along a direction.';
}
function scheduleEdit(direction, strength) {
  clearTimeout(edit.timer);
  edit.timer = setTimeout(() => {
    edit.next = { direction, strength, id: state.selected ? state.selected.id : undefined, collection: state.collection };
    if (!edit.busy) runEdits();
  }, EDIT_DEBOUNCE_MS);
}
async function runEdits() {
  edit.busy = true;
  while (edit.next) {
    const job = edit.next;
    edit.next = null;
    if (job.id === undefined || job.collection !== state.collection) continue;
    try {
      const r = await api('POST', `/collections/${seg(job.collection)}/edit`,
                          { from: job.id, direction: job.direction, strengths: [job.strength], k: 3, with_payload: false });
      if (job.collection !== state.collection || !state.selected || labelText(state.selected.id) !== labelText(job.id)) continue;
      showEdit(job, r.steps && r.steps[0]);
    } catch (e) { fail(e); }
  }
  edit.busy = false;
}
function showEdit(job, step) {
  if (!step) return;
  const near = (step.neighbors || []).map((h) => labelText(h.id)).join(', ');
  $('editnear').textContent = `${job.direction} × ${job.strength}: nearest ${near || '(none)'}`;
  if (!step.image) return;  // not a generative collection: the nearest points are the answer
  if (gen.editUrl) URL.revokeObjectURL(gen.editUrl);
  gen.editUrl = pngUrl(step.image);
  const img = $('edited');
  img.src = gen.editUrl;
  img.style.display = 'block';
  img.dataset.strength = String(job.strength);
  $('editedcap').textContent = `${job.direction} × ${job.strength}`;
  $('editedfig').hidden = false;
}

function startGenerative() {
  $('samplego').onclick = sample;
  $('picka').onclick = () => pick('a');
  $('pickb').onclick = () => pick('b');
  $('interpgo').onclick = interpolate;
  $('interpmode').addEventListener('change', () => { if (gen.a !== null && gen.b !== null) interpolate(); });
}
