// Screenshots of the web console (`latentdb serve`, GET /console) on the demo data, for the README.
// Drives Debian's chromium headless with playwright-core — the module the browser test installs
// into the build tree from tests/console/browser/package-lock.json (`ctest -L browser`, or
// `npm ci --prefix build/tests/console/browser`); no browser download — and writes four PNGs:
//
//   console-map.png     the map of a Fashion-MNIST collection (CNN), coloured by label, legend
//                       with the model's class names, a hovered point's tooltip
//   console-point.png   the VAE collection zoomed in (decoded thumbnails), one clicked point with
//                       its class, payload, decoded image and nearest stored points
//   console-words.png   a word model's collection: nearest words of one word, the word on the map
//   console-latent.png  the VAE's latent tools: samples from the prior, an interpolation strip
//                       between two points, a point moved along a direction (slider)
//
// Usage: node scripts/console_screenshots.cjs --url http://127.0.0.1:8080 --out docs/images
//        [--modules DIR] [--chromium /usr/bin/chromium] [--cnn fashion_cnn] [--vae fashion_vae]
//        [--words glove] [--word king] [--seed 42] [--width 1200] [--height 800]
//        [--no-direction]
// The server holds the demo data (scripts/run-demo.sh; scripts/console_screenshots.sh starts one).
// The demo creates no direction: unless --no-direction, a missing one named `sneaker_to_ankle_boot`
// (linear, label 7 → label 9) is added to the VAE collection so that the slider can be shown.
// Every choice (points, seeds) is deterministic: the same data gives the same pictures.
'use strict';
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..');
const opts = {
  url: 'http://127.0.0.1:8080', out: path.join(repo, 'docs/images'),
  modules: path.join(repo, 'build/tests/console/browser/node_modules'), chromium: '/usr/bin/chromium',
  cnn: 'fashion_cnn', vae: 'fashion_vae', words: 'glove', word: 'king', seed: '42',
  width: '1200', height: '800', direction: true,
};
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a === '--no-direction') { opts.direction = false; continue; }
  if (a === '-h' || a === '--help') {
    console.log(fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n'));
    process.exit(0);
  }
  const key = a.replace(/^--/, '');
  if (!a.startsWith('--') || !(key in opts) || i + 1 >= process.argv.length) {
    console.error(`unknown or incomplete option ${a} (see --help)`);
    process.exit(2);
  }
  opts[key] = process.argv[++i];
}
opts.url = opts.url.replace(/\/+$/, '');
const { chromium } = require(path.join(path.resolve(opts.modules), 'playwright-core'));

const DIRECTION = 'sneaker_to_ankle_boot';
const SNEAKER = 7, ANKLE_BOOT = 9;  // Fashion-MNIST labels
const started = Date.now();
function log(text) { console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`); }

async function apiCall(method, route, body) {
  const res = await fetch(opts.url + route, {
    method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: (() => { try { return JSON.parse(text); } catch (_) { return text; } })() };
}

// The point nearest to the centre (median x and y) of its class among `pts`: a typical member.
function typical(pts, label) {
  const own = pts.filter((p) => p.label === label);
  if (!own.length) throw new Error(`no plotted point has label ${label}`);
  const median = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const mx = median(own.map((p) => p.x)), my = median(own.map((p) => p.y));
  return own.reduce((b, p) => (Math.hypot(p.x - mx, p.y - my) < Math.hypot(b.x - mx, b.y - my) ? p : b));
}
const visiblePoints = (page) => page.evaluate(() => window.latentdbConsole.visiblePoints());
const mapBox = (page) => page.$eval('#map', (c) => c.getBoundingClientRect().toJSON());
const pointOpened = (page, id) =>
  page.waitForFunction((i) => document.getElementById('point').textContent.startsWith(`id ${i}map`), String(id));
const imageLoaded = (page, sel) =>
  page.waitForFunction((s) => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0; }, sel);
function allLoaded(page, selector, count) {
  return page.waitForFunction(([sel, n]) => {
    const imgs = [...document.querySelectorAll(sel)];
    return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, [selector, count]);
}
// Waits until every point in view is drawn as a decoded thumbnail.
const thumbnailsDrawn = (page) => page.waitForFunction(() => {
  const c = document.getElementById('map');
  return Number(c.dataset.thumbnails) > 0 && c.dataset.thumbnails === c.dataset.visible;
}, undefined, { timeout: 60000 });
// A fresh page load of /console#name (or #name/id: a deep link that also opens the point id).
async function openCollection(page, name, id) {
  await page.goto('about:blank');
  await page.goto(`${opts.url}/console#${encodeURIComponent(name)}` + (id === undefined ? '' : `/${encodeURIComponent(id)}`));
  await page.waitForFunction(() => / of \d+ points/.test(document.getElementById('mapinfo').textContent),
                             undefined, { timeout: 60000 });
  if (id !== undefined) await pointOpened(page, id);
  await page.waitForTimeout(300);
}
// Zooms the map in around the plotted point `id` until at most `most` points are in view.
async function zoomTo(page, id, most) {
  const box = await mapBox(page);
  for (let i = 0; i < 40; ++i) {
    const pts = await visiblePoints(page);
    const p = pts.find((q) => String(q.id) === String(id));
    if (!p) throw new Error(`point ${id} left the view while zooming`);
    if (pts.length <= most) return;
    await page.mouse.move(box.x + p.x, box.y + p.y);
    await page.mouse.wheel(0, -250);
    await page.waitForTimeout(60);
  }
}
async function clickPoint(page, id) {
  const box = await mapBox(page);
  const p = (await visiblePoints(page)).find((q) => String(q.id) === String(id));
  await page.mouse.click(box.x + p.x, box.y + p.y);
  await pointOpened(page, id);
}
async function shot(page, name) {
  await page.mouse.move(0, 0);  // no hover ring or tooltip unless a step wants one
  await page.waitForTimeout(200);
  const file = path.join(opts.out, name);
  await page.screenshot({ path: file });
  log(`${file}: ${(fs.statSync(file).size / 1024).toFixed(0)} KB`);
}

async function main() {
  fs.mkdirSync(opts.out, { recursive: true });
  const width = Number(opts.width), height = Number(opts.height);
  if (opts.direction) {
    const have = await apiCall('GET', `/collections/${opts.vae}/directions`);
    const names = ((have.json.result || {}).directions || []).map((d) => d.name);
    if (!names.includes(DIRECTION)) {
      const r = await apiCall('POST', `/collections/${opts.vae}/directions`, {
        name: DIRECTION, method: 'linear',
        from: { must: [{ key: 'label', match: { value: SNEAKER } }] },
        to: { must: [{ key: 'label', match: { value: ANKLE_BOOT } }] },
      });
      if (r.status !== 200) throw new Error(`creating direction ${DIRECTION}: ${r.status} ${JSON.stringify(r.json)}`);
      log(`added direction ${DIRECTION} to ${opts.vae}`);
    }
  }

  const browser = await chromium.launch({ executablePath: opts.chromium, headless: true });
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.request().method()} ${r.url()} → ${r.status()}`); });
  try {
    // ---- 1. the map of the CNN collection, class names in the legend, a hovered point ----
    await openCollection(page, opts.cnn);
    let box = await mapBox(page);
    let pts = await visiblePoints(page);
    const hovered = typical(pts, SNEAKER);
    await page.mouse.move(box.x + hovered.x, box.y + hovered.y);
    await page.waitForSelector('#tooltip', { state: 'visible' });
    await page.waitForTimeout(200);
    const file = path.join(opts.out, 'console-map.png');
    await page.screenshot({ path: file });
    log(`${file}: ${(fs.statSync(file).size / 1024).toFixed(0)} KB (hovering ${hovered.id})`);

    // ---- 2. the VAE collection zoomed in on a sneaker: thumbnails, the point's details ----
    await openCollection(page, opts.vae);
    pts = await visiblePoints(page);
    const a = typical(pts, SNEAKER);
    const b = typical(pts, ANKLE_BOOT);
    await zoomTo(page, a.id, 60);
    await thumbnailsDrawn(page);
    await clickPoint(page, a.id);
    await imageLoaded(page, '#decoded');
    await page.waitForSelector('#neighbours li:not(.muted)');
    await thumbnailsDrawn(page);
    await shot(page, 'console-point.png');

    // ---- 4. latent tools: A = the sneaker, B = an ankle boot, the slider, the sample grid ----
    await page.click('#picka');
    await page.evaluate(([n, id]) => { location.hash = `#${n}/${id}`; }, [encodeURIComponent(opts.vae), b.id]);
    await pointOpened(page, b.id);
    await page.click('#pickb');
    await allLoaded(page, '#interpstrip img', 8);
    await page.evaluate(([n, id]) => { location.hash = `#${n}/${id}`; }, [encodeURIComponent(opts.vae), a.id]);
    await pointOpened(page, a.id);
    await imageLoaded(page, '#decoded');
    await page.waitForSelector('#neighbours li:not(.muted)');
    const slider = `#directions input[data-direction="${DIRECTION}"]`;
    if (await page.$(slider)) {
      await page.waitForSelector(`${slider}:not([disabled])`);
      await page.focus(slider);
      for (let i = 0; i < 8; ++i) await page.keyboard.press('ArrowRight');  // 8 × 0.25 = 2
      await page.waitForFunction(() => document.getElementById('edited').dataset.strength === '2');
      await imageLoaded(page, '#edited');
      await page.waitForFunction(() => document.getElementById('editnear').textContent.includes('nearest'));
    } else {
      log(`no direction ${DIRECTION} on ${opts.vae}: the slider is not shown`);
    }
    await page.fill('#samplen', '8');  // one row: the interpolation strip stays in view below it
    await page.fill('#sampleseed', opts.seed);
    await page.click('#samplego');
    await allLoaded(page, '#samplegrid img', 8);
    await thumbnailsDrawn(page);
    await page.$eval('#generative', (e) => { e.scrollTop = 0; });
    await shot(page, 'console-latent.png');

    // ---- 3. words: the word model's own collection, the nearest words of one word ----
    await openCollection(page, opts.words, opts.word);
    await page.waitForSelector('#neighbours li:not(.muted)');
    await page.selectOption('#wordmodel', opts.words);
    await page.fill('#word', opts.word);
    await page.click('#wordgo');
    await page.waitForFunction(() => {
      const l = document.querySelectorAll('#wordhits li');
      return l.length > 1 && !l[0].classList.contains('muted');
    });
    await page.click('#fit');  // the whole map, the word's mark (◇: placed by the projection) on it
    const box2 = await mapBox(page);
    const mark = (await visiblePoints(page)).find((p) => String(p.id) === opts.word);
    if (mark) await page.mouse.move(box2.x + mark.x, box2.y + mark.y);  // its tooltip
    await page.waitForTimeout(200);
    const words = path.join(opts.out, 'console-words.png');
    await page.screenshot({ path: words });
    log(`${words}: ${(fs.statSync(words).size / 1024).toFixed(0)} KB`);
    const wordHits = await page.$$eval('#wordhits li', (l) => l.map((x) => x.textContent.split(/\s+/)[0]));
    log(`nearest words of "${opts.word}": ${wordHits.join(', ')}`);

    const status = await page.$eval('#status', (e) => (e.classList.contains('error') ? e.textContent : ''));
    if (status) errors.push(`status bar: ${status}`);
    if (errors.length) {
      console.error(`the browser reported errors:\n  ${errors.join('\n  ')}`);
      process.exitCode = 1;
    } else {
      log(`done: 4 screenshots in ${opts.out}`);
    }
  } catch (e) {
    const file = path.join(opts.out, 'console-screenshots-failure.png');
    await page.screenshot({ path: file }).catch(() => {});
    console.error(`${e.stack || e}\nscreenshot of the page: ${file}`);
    if (errors.length) console.error(`browser errors:\n  ${errors.join('\n  ')}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
