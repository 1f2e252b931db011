/**
 * Compare 2 to 4 runs: their images aligned by output node and batch index, in panes that share one
 * zoom and pan (wheel zooms about the pointer, drag pans, keys: + and - zoom, arrows pan, 1 is 1:1,
 * F fits); for two runs also a wipe slider, a flicker mode and a difference heat map with its maximum
 * and mean; and a table of the inputs that differ.
 */
import type { PanelOutput, PanelRun } from '../shared/protocol';
import { button, duration, el, isImage } from './dom';
import { imageDiff } from './imageDiff';

/** The panes' shared zoom: `scale` (1 is 1:1) and the image's offset in pixels; `fit` while fitted. */
export interface Zoom {
  scale: number;
  x: number;
  y: number;
  fit: boolean;
}

type Mode = 'side' | 'wipe' | 'flicker' | 'difference';

/** The output keys runs share, in order: `node:index`. */
function keysOf(runs: PanelRun[]): string[] {
  const keys: string[] = [];
  for (const r of runs)
    for (const o of r.outputs) if (isImage(o.name) && !keys.includes(keyOf(o))) keys.push(keyOf(o));
  return keys;
}

function keyOf(o: PanelOutput): string {
  return `${o.nodeId}:${o.index}`;
}

/** See the file comment. */
export class CompareView {
  readonly element = el('section', { class: 'compare', attrs: { 'aria-label': 'Compare runs' } });
  private runs: PanelRun[] = [];
  private key = '';
  private mode: Mode = 'side';
  private wipe = 50;
  private flickerTimer = 0;
  private flickerShown = 0;
  private panes: HTMLElement[] = [];
  private drag: { x: number; y: number } | undefined;

  constructor(
    public zoom: Zoom,
    private readonly onZoom: (zoom: Zoom) => void,
  ) {
    // A fitted image follows the panel's size.
    new ResizeObserver(() => this.zoom.fit && this.applyZoom()).observe(this.element);
  }

  /** Shows these runs (2 to 4). */
  setRuns(runs: PanelRun[]): void {
    this.runs = runs.slice(0, 4);
    const keys = keysOf(this.runs);
    if (!keys.includes(this.key)) this.key = keys[0] ?? '';
    if (this.runs.length !== 2 && this.mode !== 'side') this.mode = 'side';
    this.render();
  }

  private render(): void {
    window.clearInterval(this.flickerTimer);
    if (this.runs.length < 2) {
      this.element.replaceChildren(
        el('p', { class: 'hint', text: 'Select 2 to 4 runs in the run list to compare them.' }),
      );
      return;
    }
    const keys = keysOf(this.runs);
    const picker = el('select', { attrs: { 'aria-label': 'Output to compare', class: 'compare-key' } });
    for (const k of keys)
      picker.append(el('option', { text: `node ${k.replace(':', ' · image ')}`, attrs: { value: k } }));
    picker.value = this.key;
    picker.addEventListener('change', () => ((this.key = picker.value), this.render()));
    const modes: Mode[] = this.runs.length === 2 ? ['side', 'wipe', 'flicker', 'difference'] : ['side'];
    const modeBar = el(
      'div',
      { class: 'actions', attrs: { role: 'toolbar', 'aria-label': 'Compare mode' } },
      [
        picker,
        ...modes.map((m) => {
          const b = button(
            m === 'side' ? 'Side by Side' : m[0].toUpperCase() + m.slice(1),
            () => ((this.mode = m), this.render()),
            {
              secondary: this.mode !== m,
            },
          );
          b.setAttribute('aria-pressed', String(this.mode === m));
          return b;
        }),
        button('1:1', () => this.setZoom({ scale: 1, x: 0, y: 0, fit: false }), { secondary: true }),
        button('Fit', () => this.setZoom({ scale: 1, x: 0, y: 0, fit: true }), { secondary: true }),
      ],
    );
    const stage = this.stage();
    this.element.replaceChildren(modeBar, stage, this.inputTable());
    this.applyZoom();
  }

  private imageOf(run: PanelRun): PanelOutput | undefined {
    return run.outputs.find((o) => keyOf(o) === this.key);
  }

  private pane(run: PanelRun, extra = ''): HTMLElement {
    const o = this.imageOf(run);
    const img = o
      ? el('img', {
          class: 'pane-image',
          attrs: { src: o.uri, alt: `${o.name} of run ${run.number}`, draggable: 'false' },
          // A fitted zoom needs the image's size, known only once it has loaded.
          on: { load: () => this.applyZoom() },
        })
      : el('p', { class: 'hint', text: 'no such output' });
    const pane = el(
      'div',
      {
        class: `pane ${extra}`.trim(),
        attrs: { tabindex: '0', 'aria-label': `Run ${run.number} ${run.label}`, 'data-run': run.id },
      },
      [
        el('div', { class: 'pane-label', text: `#${run.number} ${run.label}` }),
        el('div', { class: 'pane-content' }, [img]),
      ],
    );
    this.listen(pane);
    return pane;
  }

  private stage(): HTMLElement {
    const [a, b] = this.runs;
    if (this.mode === 'side') {
      this.panes = this.runs.map((r) => this.pane(r));
      return el('div', { class: `panes panes-${this.runs.length}` }, this.panes);
    }
    if (this.mode === 'wipe') {
      const under = this.pane(a);
      const over = this.pane(b, 'wipe-over');
      this.panes = [under, over];
      const slider = el('input', {
        attrs: {
          type: 'range',
          min: '0',
          max: '100',
          value: String(this.wipe),
          'aria-label': 'Wipe position',
        },
      });
      const clip = () => over.style.setProperty('clip-path', `inset(0 0 0 ${this.wipe}%)`);
      slider.addEventListener('input', () => ((this.wipe = Number(slider.value)), clip()));
      clip();
      return el('div', { class: 'wipe' }, [el('div', { class: 'stack' }, [under, over]), slider]);
    }
    if (this.mode === 'flicker') {
      const panes = [this.pane(a), this.pane(b, 'flicker-b')];
      this.panes = panes;
      const flip = () => {
        this.flickerShown = 1 - this.flickerShown;
        panes[1].classList.toggle('hidden', this.flickerShown === 0);
      };
      panes[1].classList.toggle('hidden', this.flickerShown === 0);
      this.flickerTimer = window.setInterval(flip, 500);
      return el('div', { class: 'stack' }, panes);
    }
    return this.difference(a, b);
  }

  private difference(a: PanelRun, b: PanelRun): HTMLElement {
    const canvas = el('canvas', {
      class: 'pane-image diff-canvas',
      attrs: { 'aria-label': 'Difference heat map' },
    });
    const figures = el('p', {
      class: 'diff-figures',
      attrs: { 'aria-live': 'polite' },
      text: 'Computing the difference…',
    });
    const pane = el('div', { class: 'pane', attrs: { tabindex: '0', 'aria-label': 'Difference' } }, [
      el('div', { class: 'pane-label', text: `#${a.number} vs #${b.number}` }),
      el('div', { class: 'pane-content' }, [canvas]),
    ]);
    this.listen(pane);
    this.panes = [pane];
    const ua = this.imageOf(a)?.uri;
    const ub = this.imageOf(b)?.uri;
    if (ua && ub)
      void computeDifference(ua, ub, canvas).then(
        (d) => {
          figures.textContent = `${d.note}max ${d.max} · mean ${d.mean.toFixed(3)} (of 255)`;
          figures.dataset.max = String(d.max);
          figures.dataset.mean = String(d.mean);
          this.applyZoom();
        },
        (e: unknown) => (figures.textContent = `The difference could not be computed: ${String(e)}`),
      );
    return el('div', { class: 'difference' }, [figures, pane]);
  }

  private inputTable(): HTMLElement {
    const rows = new Map<string, string[]>();
    const add = (name: string, i: number, value: string) => {
      if (!rows.has(name))
        rows.set(
          name,
          this.runs.map(() => '-'),
        );
      rows.get(name)![i] = value;
    };
    this.runs.forEach((r, i) => {
      for (const input of r.inputs) add(input.name, i, input.value);
      add('server', i, r.server ?? '-');
      add('ComfyUI version', i, r.record.comfyuiVersion ?? '-');
      add('duration', i, r.started && r.finished ? duration(r.finished - r.started) : '-');
    });
    const differing = [...rows].filter(([, values]) => new Set(values).size > 1);
    const table = el('table', { class: 'inputs-table', attrs: { 'aria-label': 'Inputs that differ' } });
    table.append(
      el('tr', {}, [
        el('th', { text: 'input' }),
        ...this.runs.map((r) => el('th', { text: `#${r.number}` })),
      ]),
    );
    for (const [name, values] of differing)
      table.append(el('tr', {}, [el('th', { text: name }), ...values.map((v) => el('td', { text: v }))]));
    if (differing.length === 0) table.append(el('tr', {}, [el('td', { text: 'No input differs.' })]));
    return table;
  }

  private listen(pane: HTMLElement): void {
    pane.addEventListener('wheel', (e) => {
      e.preventDefault();
      const rect = pane.getBoundingClientRect();
      this.zoomAbout(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - rect.left, e.clientY - rect.top);
    });
    pane.addEventListener('pointerdown', (e) => {
      this.drag = { x: e.clientX, y: e.clientY };
      pane.setPointerCapture?.(e.pointerId);
    });
    pane.addEventListener('pointermove', (e) => {
      if (!this.drag) return;
      const z = this.current();
      this.setZoom({ ...z, x: z.x + e.clientX - this.drag.x, y: z.y + e.clientY - this.drag.y, fit: false });
      this.drag = { x: e.clientX, y: e.clientY };
    });
    pane.addEventListener('pointerup', () => (this.drag = undefined));
    pane.addEventListener('keydown', (e) => this.onKey(e));
  }

  private onKey(e: KeyboardEvent): void {
    const z = this.current();
    const step = 40;
    const pans: Record<string, [number, number]> = {
      ArrowLeft: [step, 0],
      ArrowRight: [-step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    if (e.key in pans) this.setZoom({ ...z, x: z.x + pans[e.key][0], y: z.y + pans[e.key][1], fit: false });
    else if (e.key === '+' || e.key === '=') this.zoomAbout(1.25, 0, 0);
    else if (e.key === '-') this.zoomAbout(0.8, 0, 0);
    else if (e.key === '1') this.setZoom({ scale: 1, x: 0, y: 0, fit: false });
    else if (e.key === 'f' || e.key === 'F') this.setZoom({ scale: 1, x: 0, y: 0, fit: true });
    else return;
    e.preventDefault();
  }

  /** The zoom as drawn: a fitted zoom is turned into the scale that fits the first pane. */
  private current(): Zoom {
    if (!this.zoom.fit) return this.zoom;
    return { scale: this.fitScale(), x: 0, y: 0, fit: false };
  }

  private fitScale(): number {
    const img = this.panes[0]?.querySelector<HTMLImageElement | HTMLCanvasElement>('.pane-image');
    const box = this.panes[0]?.querySelector('.pane-content')?.getBoundingClientRect();
    const w = img instanceof HTMLImageElement ? img.naturalWidth : (img?.width ?? 0);
    const h = img instanceof HTMLImageElement ? img.naturalHeight : (img?.height ?? 0);
    if (!box || !w || !h) return 1;
    return Math.min(box.width / w, box.height / h) || 1;
  }

  private zoomAbout(factor: number, px: number, py: number): void {
    const z = this.current();
    const scale = Math.min(64, Math.max(1 / 64, z.scale * factor));
    const k = scale / z.scale;
    this.setZoom({ scale, x: px - (px - z.x) * k, y: py - (py - z.y) * k, fit: false });
  }

  private setZoom(zoom: Zoom): void {
    this.zoom = zoom;
    this.applyZoom();
    this.onZoom(zoom);
  }

  /** Every pane's image gets the one transform. */
  private applyZoom(): void {
    const z = this.zoom.fit ? { scale: this.fitScale(), x: 0, y: 0 } : this.zoom;
    const transform = `translate(${z.x}px, ${z.y}px) scale(${z.scale})`;
    for (const pane of this.panes)
      pane.querySelectorAll<HTMLElement>('.pane-image').forEach((img) => (img.style.transform = transform));
  }
}

/** Draws the difference heat map of two images on `canvas`; their overlap when their sizes differ. */
async function computeDifference(ua: string, ub: string, canvas: HTMLCanvasElement) {
  const [a, b] = await Promise.all([loadImage(ua), loadImage(ub)]);
  const width = Math.min(a.naturalWidth, b.naturalWidth);
  const height = Math.min(a.naturalHeight, b.naturalHeight);
  const note =
    a.naturalWidth !== b.naturalWidth || a.naturalHeight !== b.naturalHeight
      ? 'sizes differ; overlap only: '
      : '';
  const pixels = (img: HTMLImageElement) => {
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    const g = c.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(img, 0, 0);
    return g.getImageData(0, 0, width, height).data;
  };
  const d = imageDiff(pixels(a), pixels(b), width, height);
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(new ImageData(d.heat, width, height), 0, 0);
  return { ...d, note };
}

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`could not load ${src}`));
    img.src = src;
  });
}
