import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { buildBundle, launchBrowser, openPanelPage, type PanelPage } from './panelPage';
import { panelFeed, png, pngOutput, succeedWith } from './panelFeedKit';

describe('the runs panel page', function () {
  this.timeout(30_000);
  let browser: Browser;
  let panel: PanelPage | undefined;
  before(async () => {
    // Made outside any test, so the bundle's folder lasts for the whole file.
    await buildBundle();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    if (panel) assert.deepEqual(panel.errors, [], 'the page threw or broke its policy');
    await panel?.page.close();
    panel = undefined;
  });

  const rowTexts = (p: PanelPage) =>
    p.page.$$eval('.run-row', (rows) =>
      rows.map((r) => [
        r.querySelector('.run-number')!.textContent,
        r.querySelector('.run-label')!.textContent,
        r.querySelector('.run-state')!.textContent,
      ]),
    );

  it('draws the snapshot, then a new run and the changes the deltas carry, filtered by state', async () => {
    const { fake, take } = panelFeed();
    fake.emit(fake.stream.add({ id: 'a', seed: 1 }), ...fake.stream.finish('a'));
    const snapshot = take();
    panel = await openPanelPage(browser);
    await panel.send(...snapshot);
    assert.deepEqual(await rowTexts(panel), [['#1', 'seed=1', 'succeeded']]);
    fake.emit(fake.stream.add({ id: 'b', seed: 2 }));
    await panel.send(...take());
    fake.emit(...fake.stream.start('b'), fake.stream.progress('b', 5, 20));
    const deltas = take();
    assert.ok(deltas.every((m) => m.type === 'run/delta'));
    await panel.send(...deltas);
    assert.deepEqual(await rowTexts(panel), [
      ['#1', 'seed=1', 'succeeded'],
      ['#2', 'seed=2', 'running'],
    ]);
    await panel.page.click('.run-row[data-run="b"]');
    assert.equal(await panel.page.textContent('.node[data-node="2"] .node-steps'), '5/20');
    assert.equal(await panel.page.textContent('.node[data-node="2"] .node-state'), 'running');
    assert.equal(await panel.page.getAttribute('.node[data-node="2"] .bar', 'aria-valuenow'), '25');
    await panel.page.$eval('.run-filter', (select) => {
      (select as HTMLElement & { value: string }).value = 'running';
      select.dispatchEvent(new Event('change'));
    });
    assert.deepEqual(await rowTexts(panel), [['#2', 'seed=2', 'running']]);
    assert.equal((await panel.state())?.filter, 'running');
  });

  it('keeps keyboard focus on Cancel while the focused run’s progress moves, and Enter cancels', async () => {
    const { fake, take } = panelFeed();
    fake.emit(fake.stream.add({ id: 'a' }), ...fake.stream.start('a'));
    panel = await openPanelPage(browser);
    await panel.send(...take());
    await panel.page.click('.run-row[data-run="a"]');
    await panel.page.locator('vscode-button', { hasText: 'Cancel' }).focus();
    for (let step = 1; step <= 5; step++) {
      fake.emit(fake.stream.progress('a', step, 10));
      await panel.send(...take());
    }
    assert.equal(await panel.page.textContent('.node[data-node="2"] .node-steps'), '5/10');
    assert.equal(await panel.page.evaluate(() => document.activeElement?.textContent), 'Cancel');
    await panel.page.keyboard.press('Enter');
    assert.deepEqual((await panel.posted()).at(-1), { type: 'run/cancel', id: 'a' });
  });

  it('never mixes the progress, previews or outputs of four runs going at once', async () => {
    const { fake, feed, take } = panelFeed();
    const ids = ['r1', 'r2', 'r3', 'r4'];
    for (const [i, id] of ids.entries())
      fake.emit(fake.stream.add({ id, seed: i }), ...fake.stream.start(id));
    panel = await openPanelPage(browser);
    await panel.send(...take());
    for (let step = 1; step <= 5; step++)
      for (const [i, id] of ids.entries()) {
        fake.emit(fake.stream.progress(id, step * (i + 1), 100));
        feed.preview(
          id,
          `data:image/png;base64,${Buffer.from(png(1, 1, [i * 60, 0, 0, 255])).toString('base64')}`,
        );
        await panel.send(...take());
      }
    for (const [i, id] of ids.entries()) {
      await panel.page.click(`.run-row[data-run="${id}"]`);
      assert.equal(await panel.page.textContent('.node[data-node="2"] .node-steps'), `${5 * (i + 1)}/100`);
      const preview = await panel.page.getAttribute('.preview', 'src');
      assert.equal(
        preview,
        `data:image/png;base64,${Buffer.from(png(1, 1, [i * 60, 0, 0, 255])).toString('base64')}`,
      );
    }
    for (const id of ids)
      fake.emit(...succeedWith(fake, id, [pngOutput(`${id}-a.png`), pngOutput(`${id}-b.png`, 1)]));
    await panel.send(...take());
    for (const id of ids) {
      await panel.page.click(`.run-row[data-run="${id}"]`);
      const names: (string | null)[] = await panel.page.$$eval('.outputs .output-name', (n) =>
        n.map((e) => e.textContent),
      );
      assert.deepEqual(names, [`${id}-a.png`, `${id}-b.png`]);
      assert.equal(await panel.page.$('.preview'), null, 'a finished run shows its outputs, not its preview');
    }
    await panel.page.click('.tab[data-view="gallery"]');
    const gallery = await panel.page.$$eval('.gallery-layer > *', (rows) =>
      rows.map((r) => r.textContent).sort(),
    );
    for (const id of ids)
      assert.ok(
        gallery.some((t) => t === `${id}-a.png${id}-b.png`),
        gallery.join(' | '),
      );
  });

  it('shows HTML and script in a workflow name, node title, error and file name as text and runs none', async () => {
    const evil = (what: string) =>
      `<img src=x onerror="window.__pwned++">${what}<script>window.__pwned++</script>`;
    // A file name has no slash: the workflow's name gets an attribute-borne script instead.
    const name = `<img src=x onerror="window.__pwned++">flow<b onmouseover="window.__pwned++">.json`;
    const { fake, take } = panelFeed(`/w/${name}`);
    fake.emit(fake.stream.add({ id: 'a', file: `/w/${name}` }), ...fake.stream.start('a'));
    fake.stream.jobs.get('a')!.prompt = {
      '2': { class_type: 'KSampler', inputs: {}, _meta: { title: evil('node') } },
    };
    fake.emit(
      fake.stream.move('a', 'fail', (j) => {
        j.outputs = [pngOutput(`<svg onload="window.__pwned++">file.png`)];
        j.error = {
          message: evil('error'),
          reason: 'execution_failed',
          node_id: '2',
          traceback: [evil('trace')],
        };
      }),
    );
    panel = await openPanelPage(browser);
    await panel.send(...take());
    await panel.page.click('.run-row[data-run="a"]');
    const text = await panel.page.textContent('body');
    assert.ok(text!.includes(`Runs of ${name}`), 'the workflow name shown as text');
    for (const what of ['node', 'error']) assert.ok(text!.includes(evil(what)), `${what} shown as text`);
    assert.ok(text!.includes('<svg onload="window.__pwned++">file.png'), 'the file name shown as text');
    await panel.page.click('.tab[data-view="gallery"]');
    await panel.page.waitForTimeout(50);
    // Not $$eval, which pierces the shadow roots of the vscode-elements controls (their own icons).
    const made = await panel.page.evaluate(
      () => document.querySelectorAll('img[src="x"], b, svg, script:not([src])').length,
    );
    assert.equal(made, 0);
    assert.equal(await panel.pwned(), 0);
  });

  it('keeps a gallery of 2,000 outputs to the rows in view and walks them by keyboard in the viewer', async () => {
    const { fake, take } = panelFeed();
    for (let r = 0; r < 200; r++) {
      fake.emit(fake.stream.add({ id: `run-${r}`, seed: r }));
      const outputs = Array.from({ length: 10 }, (_, i) => pngOutput(`r${r}_${i}.png`, i));
      fake.emit(...succeedWith(fake, `run-${r}`, outputs));
    }
    panel = await openPanelPage(browser);
    await panel.send(...take());
    await panel.page.click('.tab[data-view="gallery"]');
    const thumbs = () => panel!.page.evaluate(() => document.querySelectorAll('.thumb').length);
    assert.ok((await thumbs()) < 200, `${await thumbs()} thumbnails drawn`);
    await panel.page.$eval('.gallery', (g) => (g.scrollTop = g.scrollHeight));
    await panel.page.waitForSelector('.thumb[data-path="/out/run-199/r199_9.png"]');
    assert.ok((await thumbs()) < 200);
    await panel.page.click('.thumb[data-path="/out/run-199/r199_9.png"]');
    const caption = () => panel!.page.textContent('.viewer-caption');
    assert.match((await caption())!, /^2000\/2000 .*r199_9\.png$/);
    await panel.page.keyboard.press('ArrowLeft');
    assert.match((await caption())!, /^1999\/2000 .*r199_8\.png$/);
    await panel.page.keyboard.press('Home');
    assert.match((await caption())!, /^1\/2000 .*r0_0\.png$/);
    await panel.page.getByRole('button', { name: 'Star' }).click();
    assert.deepEqual((await panel.posted()).at(-1), {
      type: 'output/star',
      id: 'run-0',
      path: '/out/run-0/r0_0.png',
      starred: true,
    });
    await panel.page.keyboard.press('Escape');
    assert.equal(await panel.page.$('.viewer'), null);
  });

  it('keeps zoom and pan the same in every pane of a comparison, and lists the inputs that differ', async () => {
    const { fake, take } = panelFeed();
    const files = new Map<string, Uint8Array>();
    for (const id of ['a', 'b', 'c']) {
      fake.emit(
        fake.stream.add({ id, seed: id.charCodeAt(0) }),
        ...succeedWith(fake, id, [pngOutput('out.png')]),
      );
      files.set(`/out/${id}/out.png`, png(64, 64, [id.charCodeAt(0), 0, 0, 255]));
    }
    panel = await openPanelPage(browser, { files });
    await panel.send(...take(), { type: 'view/compare', ids: ['a', 'b', 'c'] });
    const transforms = () =>
      panel!.page.$$eval('.pane-image', (imgs) => imgs.map((i) => (i as HTMLElement).style.transform));
    await panel.page.waitForFunction(() => document.querySelectorAll('.pane-image').length === 3);
    const table = await panel.page.$$eval('.inputs-table tr', (rows) =>
      rows.map((r) => [...r.children].map((c) => c.textContent)),
    );
    assert.deepEqual(table, [
      ['input', '#1', '#2', '#3'],
      ['seed', '97', '98', '99'],
    ]);
    const box = (await panel.page.locator('.pane').first().boundingBox())!;
    await panel.page.mouse.move(box.x + 30, box.y + 30);
    await panel.page.mouse.wheel(0, -100);
    let t = await transforms();
    assert.equal(new Set(t).size, 1, t.join(' | '));
    assert.match(t[0], /scale\(/);
    const zoomed = t[0];
    const second = (await panel.page.locator('.pane').nth(1).boundingBox())!;
    await panel.page.mouse.move(second.x + 20, second.y + 20);
    await panel.page.mouse.down();
    await panel.page.mouse.move(second.x + 50, second.y + 40);
    await panel.page.mouse.up();
    t = await transforms();
    assert.equal(new Set(t).size, 1, t.join(' | '));
    assert.notEqual(t[0], zoomed, 'the drag panned');
    await panel.page.locator('.pane').nth(2).focus();
    await panel.page.keyboard.press('1');
    t = await transforms();
    assert.deepEqual(t, Array(3).fill('translate(0px, 0px) scale(1)'));
    assert.deepEqual((await panel.state())?.zoom, { scale: 1, x: 0, y: 0, fit: false });
  });

  it('fits each compared image to its pane once the image has loaded', async () => {
    const { fake, take } = panelFeed();
    const files = new Map<string, Uint8Array>();
    for (const id of ['a', 'b']) {
      fake.emit(
        fake.stream.add({ id, seed: id.charCodeAt(0) }),
        ...succeedWith(fake, id, [pngOutput('small.png')]),
      );
      files.set(`/out/${id}/small.png`, png(16, 16, [id.charCodeAt(0), 0, 0, 255]));
    }
    panel = await openPanelPage(browser, { files });
    await panel.send(...take(), { type: 'view/compare', ids: ['a', 'b'] });
    await panel.page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.pane-image')].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    const content = (await panel.page.locator('.pane-content').first().boundingBox())!;
    const fitted = Math.min(content.width / 16, content.height / 16);
    const drawn = await panel.page.$$eval('.pane-image', (imgs) =>
      imgs.map((i) => i.getBoundingClientRect().width),
    );
    for (const width of drawn) assert.ok(Math.abs(width - 16 * fitted) < 1, `${width} of ${16 * fitted}`);
  });

  for (const [title, b, max] of [
    ['is all zero for two identical images', png(8, 8, [10, 20, 30, 255]), 0],
    [
      'gives the known maximum for two images one pixel apart',
      png(8, 8, [10, 20, 30, 255], { x: 3, y: 5, rgba: [10, 20, 230, 255] }),
      200,
    ],
  ] as const)
    it(`the difference view ${title}`, async () => {
      const { fake, take } = panelFeed();
      for (const id of ['a', 'b'])
        fake.emit(
          fake.stream.add({ id, seed: id.charCodeAt(0) }),
          ...succeedWith(fake, id, [pngOutput('o.png')]),
        );
      const files = new Map([
        ['/out/a/o.png', png(8, 8, [10, 20, 30, 255])],
        ['/out/b/o.png', b],
      ]);
      panel = await openPanelPage(browser, { files });
      await panel.send(...take(), { type: 'view/compare', ids: ['a', 'b'] });
      await panel.page.getByRole('button', { name: 'Difference' }).click();
      await panel.page.waitForSelector('.diff-figures[data-max]');
      const figures = await panel.page.$eval('.diff-figures', (e) => ({ ...(e as HTMLElement).dataset }));
      assert.equal(Number(figures.max), max);
      assert.equal(Number(figures.mean), max / 64);
    });

  it('keeps its view, focused run and selection for a reload, and comes back with them', async () => {
    const { fake, take } = panelFeed();
    for (const id of ['a', 'b'])
      fake.emit(fake.stream.add({ id, seed: id.charCodeAt(0) }), ...fake.stream.finish(id));
    const snapshot = take();
    panel = await openPanelPage(browser);
    await panel.send(...snapshot);
    await panel.page.click('.run-row[data-run="a"]');
    await panel.page.click('.run-row[data-run="a"] .run-select');
    await panel.page.click('.run-row[data-run="b"] .run-select');
    await panel.page.click('.tab[data-view="gallery"]');
    const kept = await panel.state();
    assert.deepEqual(
      { ...kept, zoom: undefined },
      {
        file: '/w/poster.json',
        view: 'gallery',
        focused: 'a',
        selected: ['a', 'b'],
        filter: 'all',
        zoom: undefined,
      },
    );
    await panel.page.close();
    panel = await openPanelPage(browser, { state: kept });
    await panel.send(...snapshot);
    assert.equal(await panel.page.getAttribute('.tab[data-view="gallery"]', 'aria-selected'), 'true');
    await panel.page.click('.tab[data-view="runs"]');
    assert.equal(await panel.page.getAttribute('.run-row[data-run="a"]', 'aria-selected'), 'true');
    assert.deepEqual(
      await panel.page.$$eval('.run-select', (c) => c.map((e) => (e as HTMLInputElement).checked)),
      [true, true],
    );
  });
});
