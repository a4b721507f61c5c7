// Drives the web console in Debian's chromium (playwright-core, no browser download) against a
// real server that tests/console/browser_test.cc has filled. Usage: node console_browser.cjs CONFIG
// where CONFIG is JSON: {url, chromium, modules (node_modules with playwright-core), artifacts
// (folder for screenshots), vae, gan (collection names), vaePoints, deepLinkId, mapCount,
// direction, classes; with apiKey and collections: the API-key scenario only}. Checks what a person sees (DOM text, loaded images, canvas pixels) and
// that the browser console shows no error; exits 1 naming the failed check, with a screenshot
// in artifacts/console_browser_failure.png.
'use strict';
const path = require('path');

const config = JSON.parse(process.argv[2]);
const { chromium } = require(path.join(config.modules, 'playwright-core'));

const started = Date.now();
function log(text) { console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`); }
function check(ok, what) { if (!ok) throw new Error(`check failed: ${what}`); }

// The RGBA pixels of an <img> (same-origin blob URLs: the canvas is not tainted).
function imagePixels(page, selector) {
  return page.evaluate((sel) => {
    const img = document.querySelector(sel);
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return Array.from(g.getImageData(0, 0, c.width, c.height).data);
  }, selector);
}
function differ(a, b) {
  if (a.length !== b.length) return true;
  let worst = 0;
  for (let i = 0; i < a.length; ++i) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst > 8;
}
// Statistics of a square of the map canvas centred on (x, y) in CSS pixels.
function canvasRegion(page, x, y, side) {
  return page.evaluate(([x, y, side]) => {
    const cv = document.getElementById('map'), dpr = window.devicePixelRatio || 1;
    const d = cv.getContext('2d').getImageData(Math.round((x - side / 2) * dpr), Math.round((y - side / 2) * dpr),
                                               Math.round(side * dpr), Math.round(side * dpr)).data;
    const colours = new Set();
    let inked = 0;
    for (let i = 0; i < d.length; i += 4) {
      colours.add(`${d[i]},${d[i + 1]},${d[i + 2]},${d[i + 3]}`);
      if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) ++inked;
    }
    return { colours: colours.size, inked };
  }, [x, y, side]);
}
function visiblePoints(page) { return page.evaluate(() => window.latentdbConsole.visiblePoints()); }
function dataset(page, selector, key) { return page.$eval(selector, (e, k) => e.dataset[k], key); }
function allLoaded(page, selector, count) {
  return page.waitForFunction(([sel, n]) => {
    const imgs = [...document.querySelectorAll(sel)];
    return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, [selector, count]);
}

async function main() {
  const browser = await chromium.launch({ executablePath: config.chromium, headless: true });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`); });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.request().method()} ${r.url()} → ${r.status()}`); });
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
  // In-flight decode requests (the thumbnails' concurrency limit) and edit requests (the debounce).
  let decoding = 0, maxDecoding = 0, edits = 0;
  page.on('request', (r) => {
    if (r.url().endsWith('/points/decode')) maxDecoding = Math.max(maxDecoding, ++decoding);
    if (r.url().endsWith('/edit')) ++edits;
  });
  const settled = (r) => { if (r.url().endsWith('/points/decode')) --decoding; };
  page.on('requestfinished', settled);
  page.on('requestfailed', settled);

  try {
    if (config.apiKey) {
      await apiKeyScenario(page, errors);
      return;
    }
    // ---- the map of the VAE collection, with the model's class names ----
    await page.goto(`${config.url}/console`);
    await page.click(`#collections li[data-name="${config.vae}"]`);
    await page.waitForFunction((n) => document.getElementById('mapinfo').textContent.startsWith(`${n} of ${n} points`), config.vaePoints);
    const legend = await page.$$eval('#legend div', (rows) => rows.map((r) => r.textContent));
    log(`legend: ${legend.join(' | ')}`);
    check(legend.length >= 5, 'the legend lists the labels');
    for (const row of legend) {
      const name = row.replace(/ \(\d+\)$/, '');
      check(config.classes.includes(name), `legend row "${row}" is a class name of the model's manifest`);
    }
    const whole = await page.$eval('#map', (c) => c.getBoundingClientRect().toJSON());
    const dots = await canvasRegion(page, whole.width / 2, whole.height / 2, Math.min(whole.width, whole.height) - 4);
    check(dots.inked > 200, `the map shows its points (${dots.inked} inked pixels)`);
    check(await dataset(page, '#map', 'thumbnails') === '0', `no thumbnails with all ${config.vaePoints} points in view`);

    // ---- zoom in: decoded thumbnails replace the dots ----
    let pts = await visiblePoints(page);
    const centre = pts.reduce((best, p) => (Math.hypot(p.x - whole.width / 2, p.y - whole.height / 2) <
                                            Math.hypot(best.x - whole.width / 2, best.y - whole.height / 2) ? p : best));
    await page.mouse.move(whole.x + centre.x, whole.y + centre.y);
    for (let i = 0; i < 20 && pts.length > 40; ++i) {
      await page.mouse.wheel(0, -300);
      await page.waitForTimeout(50);
      pts = await visiblePoints(page);
    }
    check(pts.length <= 40 && pts.length > 0, `zoomed in to ${pts.length} points`);
    await page.waitForFunction(() => {
      const c = document.getElementById('map');
      return Number(c.dataset.thumbnails) > 0 && c.dataset.thumbnails === c.dataset.visible;
    });
    pts = await visiblePoints(page);
    const thumbs = pts.filter((p) => p.thumbnail);
    log(`zoomed in: ${pts.length} points in view, ${thumbs.length} thumbnails, at most ${maxDecoding} decodes at once`);
    check(thumbs.length > 0, 'thumbnails are drawn');
    check(maxDecoding <= 3, `at most 3 decodes in flight (saw ${maxDecoding})`);
    const inView = thumbs.filter((p) => p.x > 30 && p.y > 30 && p.x < whole.width - 30 && p.y < whole.height - 30);
    const target = inView.length ? inView[0] : thumbs[0];
    const region = await canvasRegion(page, target.x, target.y, 36);
    check(region.colours >= 12, `a thumbnail has the grey levels of an image (${region.colours} colours)`);

    // ---- pick two points: A by clicking the map, B from its nearest stored points ----
    await page.mouse.click(whole.x + target.x, whole.y + target.y);
    const idA = String(target.id);
    await page.waitForFunction((id) => document.getElementById('point').textContent.startsWith(`id ${id}map`), idA);
    await allLoaded(page, '#decoded', 1);
    const pointText = await page.textContent('#point');
    check(config.classes.some((c) => pointText.includes(`class: ${c}`)), `the details name the class: ${pointText.slice(0, 80)}`);
    await page.click('#picka');
    // The neighbour list opens points too; B is then picked on the map, far from A.
    await page.waitForSelector('#neighbours li:not(.muted)');
    const neighbour = page.locator('#neighbours li').first();
    const neighbourId = (await neighbour.textContent()).split(' ')[0];
    await neighbour.click();
    await page.waitForFunction((id) => document.getElementById('point').textContent.startsWith(`id ${id}map`), neighbourId);
    const now = (await visiblePoints(page)).filter((p) => p.thumbnail);
    const a = now.find((p) => String(p.id) === idA) || target;
    const far = now.reduce((best, p) => (Math.hypot(p.x - a.x, p.y - a.y) > Math.hypot(best.x - a.x, best.y - a.y) ? p : best));
    const idB = String(far.id);
    await page.mouse.click(whole.x + far.x, whole.y + far.y);
    await page.waitForFunction((id) => document.getElementById('point').textContent.startsWith(`id ${id}map`), idB);
    await page.click('#pickb');
    await allLoaded(page, '#interpstrip img', 8);
    check(await page.textContent('#interpa') === idA && await page.textContent('#interpb') === idB, 'the strip goes from A to B');
    const first = await imagePixels(page, '#interpstrip figure:first-child img');
    const last = await imagePixels(page, '#interpstrip figure:last-child img');
    check(differ(first, last), 'the strip\'s ends are different images');
    log(`interpolation strip ${idA} → ${idB}: 8 frames`);

    // ---- a direction slider re-decodes the selected point as it moves (debounced) ----
    const slider = `#directions input[data-direction="${config.direction}"]`;
    await page.waitForSelector(`${slider}:not([disabled])`);
    await allLoaded(page, '#decoded', 1);
    await page.focus(slider);
    // The page sends an edit once the slider rests for 120 ms: a pause between two key presses
    // of 100 ms or more (a loaded machine) may rightly cost one more request.
    let pauses = 0, previous = Date.now();
    for (let i = 0; i < 12; ++i) {  // 12 × 0.25 = 3
      await page.keyboard.press('ArrowRight');
      if (Date.now() - previous >= 100) ++pauses;
      previous = Date.now();
    }
    await page.waitForFunction(() => document.getElementById('edited').dataset.strength === '3');
    await allLoaded(page, '#edited', 1);
    const editsAfterMove = edits;
    check(editsAfterMove >= 1 && editsAfterMove <= 2 + pauses,
          `12 slider steps sent ${editsAfterMove} edits (debounced; ${pauses} pauses of 100 ms or more)`);
    const decoded = await imagePixels(page, '#decoded');
    const edited3 = await imagePixels(page, '#edited');
    check(differ(decoded, edited3), 'the edited image differs from the point\'s own');
    for (let i = 0; i < 4; ++i) await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.getElementById('edited').dataset.strength === '2');
    await page.waitForFunction(() => { const i = document.getElementById('edited'); return i.complete && i.naturalWidth > 0; });
    const edited2 = await imagePixels(page, '#edited');
    check(differ(edited2, edited3), 'moving the slider back changes the image again');
    log(`slider ${config.direction}: ${edits} edit requests for 16 steps`);
    await page.screenshot({ path: path.join(config.artifacts, 'console_browser_vae.png') });

    // ---- the GAN collection: thumbnails at once (few points), the sample grid ----
    await page.click(`#collections li[data-name="${config.gan}"]`);
    await page.waitForFunction((name) => document.getElementById('mapinfo').textContent.includes(' of ') &&
                                         location.hash === `#${name}`, config.gan);
    check(!(await page.$eval('#generative', (e) => e.hidden)), 'the generative panels are shown');
    await page.waitForFunction(() => Number(document.getElementById('map').dataset.thumbnails) > 0);
    await page.fill('#sampleseed', '7');
    await page.click('#samplego');
    await allLoaded(page, '#samplegrid img', 16);
    const s0 = await imagePixels(page, '#samplegrid img:nth-child(1)');
    const s1 = await imagePixels(page, '#samplegrid img:nth-child(2)');
    check(differ(s0, s1), 'two samples differ');
    check((await page.textContent('#sampleinfo')).startsWith('seed 7'), 'the grid names its seed');
    // A class-conditional GAN: the panel offers its classes; samples of one class say so.
    check(!(await page.$eval('#sampleclasslabel', (e) => e.hidden)), 'the class picker is shown for a conditional GAN');
    const offered = await page.$$eval('#sampleclass option', (os) => os.map((o) => o.textContent));
    check(offered.length === config.classes.length + 1 && offered[0] === 'any', `classes offered: ${offered.join(', ')}`);
    await page.selectOption('#sampleclass', { label: config.classes[9] });
    await page.fill('#sampleseed', '8');
    await page.click('#samplego');
    await page.waitForFunction(() => document.getElementById('sampleinfo').textContent.startsWith('seed 8'));
    await allLoaded(page, '#samplegrid img', 16);
    const titles = await page.$$eval('#samplegrid img', (is) => is.map((i) => i.title));
    check(titles.every((t) => t.includes(`(${config.classes[9]})`)), `every sample is of the class picked: ${titles[0]}`);
    log('GAN: thumbnails, a grid of 16 samples, and 16 of one class');
    await page.screenshot({ path: path.join(config.artifacts, 'console_browser_gan.png') });

    // ---- a CNN collection: no decoder, so dots even zoomed in; class names in its legend ----
    await page.click(`#collections li[data-name="${config.cnn}"]`);
    await page.waitForFunction((name) => location.hash === `#${name}` &&
                                         document.getElementById('mapinfo').textContent.startsWith('60 of 60'), config.cnn);
    check(await page.$eval('#generative', (e) => e.hidden), 'no generative panels for a CNN collection');
    const cnnLegend = await page.$$eval('#legend div', (rows) => rows.map((r) => r.textContent.replace(/ \(\d+\)$/, '')));
    check(cnnLegend.length > 0 && cnnLegend.every((n) => config.classes.includes(n)), `CNN legend: ${cnnLegend.join(', ')}`);
    await page.mouse.move(whole.x + whole.width / 2, whole.y + whole.height / 2);
    for (let i = 0; i < 4; ++i) await page.mouse.wheel(0, -300);
    await page.waitForTimeout(300);
    check(await dataset(page, '#map', 'thumbnails') === '0', 'a CNN collection draws no thumbnails');
    log('CNN: class names, dots only');

    // ---- a deep link to a point outside the plotted sample ----
    await page.click(`#collections li[data-name="${config.vae}"]`);
    await page.fill('#count', String(config.mapCount));
    await page.locator('#count').blur();  // "change": the console keeps the count for later visits
    await page.goto('about:blank');
    const link = `${config.url}/console#${config.vae}/${config.deepLinkId}`;
    await page.goto(link);
    await page.waitForFunction((id) => document.getElementById('point').textContent.startsWith(`id ${id}map`), String(config.deepLinkId));
    const info = await page.textContent('#mapinfo');
    check(info.startsWith(`${config.mapCount} of ${config.vaePoints} points`), `the map plots ${config.mapCount} points: ${info}`);
    check((await page.textContent('#point')).includes('Not in the plotted sample'), 'the details say the point is outside the sample');
    await allLoaded(page, '#decoded', 1);
    pts = await visiblePoints(page);
    const linked = pts.find((p) => p.outside && String(p.id) === String(config.deepLinkId));
    check(!!linked, 'the linked point is on the map');
    check(Math.abs(linked.x - whole.width / 2) < 2 && Math.abs(linked.y - whole.height / 2) < 2, 'the map is centred on it');
    const mark = await canvasRegion(page, linked.x, linked.y, 24);
    check(mark.inked > 20, 'the linked point is drawn');
    log(`deep link ${link}: opened, placed at the map's centre`);
    // The link edited in the open page (hashchange): another point outside the sample.
    const other = config.deepLinkId + 1;
    await page.evaluate(([name, id]) => { location.hash = `#${name}/${id}`; }, [config.vae, other]);
    await page.waitForFunction((id) => document.getElementById('point').textContent.startsWith(`id ${id}map`), String(other));
    check(await dataset(page, '#mapinfo', 'outside') === '2', 'both linked points are on the map');
    // A link to a point edited while its collection's map is still loading: the point opens once
    // the map is there (it used to be dropped with "cannot be placed on this map").
    await page.evaluate(([cnn, vae, id]) => {
      location.hash = `#${cnn}`;
      setTimeout(() => { location.hash = `#${vae}`; }, 5);
      setTimeout(() => { location.hash = `#${vae}/${id}`; }, 40);
    }, [config.cnn, config.vae, config.deepLinkId]);
    await page.waitForFunction((id) => document.getElementById('point').textContent.startsWith(`id ${id}map`), String(config.deepLinkId));
    log('a deep link edited while the map loads: opened once the map is there');
    check(!(await page.$eval('#status', (e) => e.classList.contains('error'))), 'the status bar shows no error');
    await page.screenshot({ path: path.join(config.artifacts, 'console_browser_final.png') });

    check(errors.length === 0, `no errors in the browser:\n  ${errors.join('\n  ')}`);
    log('console browser test: all checks passed');
  } catch (e) {
    const shot = path.join(config.artifacts, config.apiKey ? 'console_browser_apikey_failure.png' : 'console_browser_failure.png');
    await page.screenshot({ path: shot }).catch(() => {});
    console.error(`${e.stack || e}\nscreenshot: ${shot}`);
    if (errors.length) console.error(`browser errors:\n  ${errors.join('\n  ')}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

// A server started with --api-key: the page loads without the key (as Qdrant's web UI does), says
// that the API wants one, and works once it is typed into the key field.
async function apiKeyScenario(page, errors) {
  const res = await page.goto(`${config.url}/console`);
  check(res.status() === 200, `GET /console answers ${res.status()} without the key`);
  await page.waitForFunction(() => document.getElementById('status').classList.contains('error'));
  const refused = await page.$eval('#status', (e) => e.textContent);
  log(`without the key: "${refused}"`);
  check(refused.includes('401') && refused.includes('API key'), 'the status bar asks for the API key');
  check(await page.$$eval('#collections li', (l) => l.length) === 0, 'no collection is listed without the key');
  errors.length = 0;  // the refused calls above are expected
  await page.fill('#apikey', config.apiKey);
  await page.press('#apikey', 'Tab');  // "change"
  await page.waitForFunction((n) => document.querySelectorAll('#collections li').length === n, config.collections);
  await page.click(`#collections li[data-name="${config.vae}"]`);
  await page.waitForFunction((n) => document.getElementById('mapinfo').textContent.startsWith(`${n} of ${n} points`), config.vaePoints);
  check(!(await page.$eval('#status', (e) => e.classList.contains('error'))), 'the status bar shows no error with the key');
  log(`with the key: ${config.collections} collections listed, the map of ${config.vae} drawn`);
  check(errors.length === 0, `no errors in the browser once the key is given:\n  ${errors.join('\n  ')}`);
  log('console browser test (API key): all checks passed');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
