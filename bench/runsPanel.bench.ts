/**
 * Figures for the runs panel in headless Chromium (the real page and bundle, `acquireVsCodeApi`
 * stubbed, as in test/webview); prints, never passes or fails.
 * 1. Event in the host -> DOM updated: a runner event taken in by the real RunsPanelFeed (45 ms
 *    interval, real timers), posted into the page, until the focused run's node shows it; p50/p95 for
 *    isolated events (one each 120 ms) and for a steady stream (one each 4 ms, which the feed coalesces
 *    to 22 updates a second: the wait for the interval's end is part of the figure).
 * 2. Gallery of 2,000 outputs (200 runs of 10, 64 × 64 PNG thumbnails): first screen rendered after
 *    switching to it, and the frame time of a smooth scroll (240 px a frame), with the elements the grid
 *    keeps in the DOM.
 */
import type { Page } from 'playwright-core';
import { RunsPanelFeed } from '../src/core/run/runsPanelFeed';
import type { HostMessage } from '../src/shared/protocol';
import { FakeRunner } from '../test/fakes/fakeRunner';
import { buildBundle, launchBrowser, openPanelPage, ORIGIN } from '../test/webview/panelPage';
import { png, pngOutput, succeedWith } from '../test/webview/panelFeedKit';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** Posts one message into the page and answers the step count the focused run's node 2 shows then. */
function deliver(page: Page, message: HostMessage): Promise<string | null> {
  // Page-side code as text: this file is type-checked for Node, without the DOM's typings.
  return page.evaluate(`(() => {
    window.postMessage(${JSON.stringify(message)}, '*');
    return new Promise((r) =>
      setTimeout(() => r(document.querySelector('.node[data-node="2"] .node-steps')?.textContent ?? null), 0),
    );
  })()`);
}

/** The baseline: a message the page takes in and changes nothing for, posted and read back the same way. */
async function roundTrip(page: Page, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await deliver(page, { type: 'run/preview', id: 'none', image: '' });
    out.push(performance.now() - t);
  }
  return out;
}

async function eventToDom(page: Page, gapMs: number, count: number): Promise<number[]> {
  const fake = new FakeRunner();
  fake.emit(fake.stream.add({ id: 'a' }), ...fake.stream.start('a'));
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let chain = Promise.resolve();
  const feed = new RunsPanelFeed({
    file: '/w/poster.json',
    uriOf: (p) => `${ORIGIN}${p}`,
    post: (m) => {
      chain = chain.then(async () => {
        const shown = await deliver(page, m);
        const value = shown ? Number(shown.split('/')[0]) : -1;
        for (const [v, at] of sentAt)
          if (v <= value) {
            latencies.push(performance.now() - at);
            sentAt.delete(v);
          }
      });
    },
  });
  feed.bind(fake);
  feed.webviewReady();
  await new Promise((r) => setTimeout(r, 100));
  await chain;
  await page.click('.run-row[data-run="a"]');
  for (let i = 1; i <= count; i++) {
    sentAt.set(i, performance.now());
    fake.emit(fake.stream.progress('a', i, 100_000));
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await new Promise((r) => setTimeout(r, 200));
  await chain;
  feed.dispose();
  return latencies;
}

async function gallery(page: Page, messages: HostMessage[]) {
  for (const m of messages) await page.evaluate(`window.postMessage(${JSON.stringify(m)}, '*')`);
  const first: { ms: number; elements: number } = await page.evaluate(`(async () => {
    const t = performance.now();
    document.querySelector('.tab[data-view="gallery"]').click();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { ms: performance.now() - t, elements: document.querySelectorAll('.gallery-layer *').length };
  })()`);
  // A smooth scroll: every frame moves the grid on by 240 px (about 1.5 rows); a frame's time is the
  // time between two frames, 16.7 ms at 60 Hz when the grid keeps up.
  const frames: { out: number[]; elements: number } = await page.evaluate(`(async () => {
    const g = document.querySelector('.gallery');
    const out = [];
    let prev = performance.now();
    for (let i = 0; i < 150; i++) {
      await new Promise((r) => requestAnimationFrame(r));
      const t = performance.now();
      out.push(t - prev);
      prev = t;
      g.scrollTop += 240;
    }
    return { out: out.slice(1), elements: document.querySelectorAll('.gallery-layer *').length };
  })()`);
  return { first, frames };
}

/** Runs the benchmark and prints its figures. */
export async function runRunsPanelBench(): Promise<void> {
  await buildBundle();
  const browser = await launchBrowser();
  try {
    const panel = await openPanelPage(browser);
    const base = await roundTrip(panel.page, 100);
    console.log(
      `baseline, a message posted into the page and read back: p50 ${fmt(percentile(base, 50))}, p95 ${fmt(percentile(base, 95))}`,
    );
    for (const [label, gap, count] of [
      ['isolated events (one each 120 ms)', 120, 40],
      ['steady stream (one each 4 ms)', 4, 500],
    ] as const) {
      const l = await eventToDom(panel.page, gap, count);
      console.log(
        `event -> DOM, ${label}: p50 ${fmt(percentile(l, 50))}, p95 ${fmt(percentile(l, 95))} (${l.length} events; goal p95 < 50 ms)`,
      );
    }
    await panel.page.close();

    const fake = new FakeRunner();
    const thumb = png(64, 64, [90, 120, 200, 255]);
    for (let r = 0; r < 200; r++) {
      const id = `run-${r}`;
      fake.emit(fake.stream.add({ id, seed: r }));
      const outputs = Array.from({ length: 10 }, (_, i) => pngOutput(`out_${i}.png`, i));
      fake.emit(...succeedWith(fake, id, outputs));
    }
    const posted: HostMessage[] = [];
    // Thumbnails as data URIs: served through page.route, each would cost a round trip to this process,
    // which would measure Playwright rather than the grid.
    const dataUri = `data:image/png;base64,${Buffer.from(thumb).toString('base64')}`;
    const feed = new RunsPanelFeed({
      file: '/w/poster.json',
      uriOf: () => dataUri,
      post: (m) => posted.push(m),
    });
    feed.bind(fake);
    feed.webviewReady();
    const page = await openPanelPage(browser);
    const g = await gallery(page.page, posted);
    console.log(
      `gallery of 2,000 outputs: first screen ${fmt(g.first.ms)} (${g.first.elements} elements in the grid), ` +
        `scroll frame p50 ${fmt(percentile(g.frames.out, 50))}, p95 ${fmt(percentile(g.frames.out, 95))} ` +
        `(${g.frames.elements} elements after scrolling; one frame at 60 Hz is 16.7 ms)`,
    );
    feed.dispose();
  } finally {
    await browser.close();
  }
}
