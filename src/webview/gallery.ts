/**
 * The gallery: every output of every run, grouped by run and labelled with its differing inputs, in a
 * virtualised grid: rows of fixed height, of which only those in view (and a screen either side) are in
 * the DOM, so 2,000 outputs scroll as smoothly as 20. Thumbnails load lazily. A full-size viewer with
 * keyboard navigation (arrows, Home/End, Escape) and, per image: open, reveal, copy path, star, open run.
 */
import type { PanelOutput, PanelRun } from '../shared/protocol';
import { button, el, isImage } from './dom';
import { post } from './vscodeApi';

/** Heights of the grid's rows, in pixels. */
const HEADER_ROW = 32;
const THUMB_ROW = 168;
const THUMB_WIDTH = 160;

/** One row of the grid: a run's header, or a row of its outputs. */
type Row =
  | { kind: 'header'; run: PanelRun; top: number }
  | { kind: 'thumbs'; run: PanelRun; items: PanelOutput[]; top: number };

/** One output with its run, as the viewer walks them. */
interface Item {
  run: PanelRun;
  output: PanelOutput;
}

/** See the file comment. */
export class Gallery {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;
  private rows: Row[] = [];
  private items: Item[] = [];
  private readonly indexOf = new Map<string, number>();
  private columns = 1;
  private frame = 0;
  /** The rows in the DOM now, by index in {@link rows}. */
  private readonly drawn = new Map<number, HTMLElement>();
  private viewer: HTMLElement | undefined;
  private viewing = -1;

  constructor(private readonly openRun: (id: string) => void) {
    this.spacer = el('div', { class: 'gallery-spacer' });
    this.layer = el('div', { class: 'gallery-layer' });
    this.element = el(
      'div',
      { class: 'gallery', attrs: { tabindex: '0', role: 'grid', 'aria-label': 'Outputs of every run' } },
      [this.spacer, this.layer],
    );
    this.element.addEventListener('scroll', () => this.schedule());
  }

  /** Lays the grid out again for these runs (the finished ones' outputs, oldest run first). */
  setRuns(runs: PanelRun[]): void {
    this.columns = Math.max(1, Math.floor((this.element.clientWidth || 800) / THUMB_WIDTH));
    this.rows = [];
    this.items = [];
    this.indexOf.clear();
    let top = 0;
    for (const run of runs) {
      if (run.outputs.length === 0) continue;
      this.rows.push({ kind: 'header', run, top });
      top += HEADER_ROW;
      for (let i = 0; i < run.outputs.length; i += this.columns) {
        this.rows.push({ kind: 'thumbs', run, items: run.outputs.slice(i, i + this.columns), top });
        top += THUMB_ROW;
      }
      for (const output of run.outputs) {
        this.indexOf.set(output.path, this.items.length);
        this.items.push({ run, output });
      }
    }
    this.spacer.style.height = `${top}px`;
    this.layer.replaceChildren();
    this.drawn.clear();
    this.draw();
    if (this.viewer && this.viewing >= 0) this.show(Math.min(this.viewing, this.items.length - 1));
  }

  /** Draws the rows in view now (the tests and the benchmark call it after scrolling). */
  draw(): void {
    this.frame = 0;
    const view = this.element.clientHeight || 600;
    const from = this.element.scrollTop - view;
    const to = this.element.scrollTop + 2 * view;
    const keep = new Set<number>();
    this.rows.forEach((r, i) => {
      if (r.top + (r.kind === 'header' ? HEADER_ROW : THUMB_ROW) >= from && r.top <= to) keep.add(i);
    });
    // Rows still in view stay as they are (their images loaded); only rows coming into view are made.
    for (const [i, e] of this.drawn)
      if (!keep.has(i)) {
        e.remove();
        this.drawn.delete(i);
      }
    for (const i of keep)
      if (!this.drawn.has(i)) {
        const e = this.rowElement(this.rows[i]);
        this.drawn.set(i, e);
        this.layer.append(e);
      }
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  private rowElement(row: Row): HTMLElement {
    const e =
      row.kind === 'header'
        ? el('div', { class: 'gallery-header', attrs: { role: 'row' } }, [
            el('span', { text: `#${row.run.number} ${row.run.label || '(as saved)'}` }),
            el('span', { class: 'run-server', text: row.run.server ?? '' }),
          ])
        : el(
            'div',
            { class: 'gallery-row', attrs: { role: 'row' } },
            row.items.map((o) => this.thumb(row.run, o)),
          );
    e.style.transform = `translateY(${row.top}px)`;
    return e;
  }

  private thumb(run: PanelRun, o: PanelOutput): HTMLElement {
    const index = this.indexOf.get(o.path) ?? -1;
    const image = isImage(o.name)
      ? el('img', { attrs: { src: o.uri, alt: o.name, loading: 'lazy', decoding: 'async' } })
      : el('span', { class: 'file', text: o.name });
    return el(
      'button',
      {
        class: `thumb${o.starred ? ' starred' : ''}`,
        attrs: {
          role: 'gridcell',
          'aria-label': `${o.name} of run ${run.number}${o.starred ? ', starred' : ''}`,
          'data-path': o.path,
        },
        on: { click: () => this.show(index) },
      },
      [image, el('span', { class: 'output-name', text: o.name })],
    );
  }

  /** Opens the viewer on item `index`. */
  show(index: number): void {
    const item = this.items[index];
    if (!item) return this.close();
    this.viewing = index;
    const { run, output } = item;
    const at = { id: run.id, path: output.path };
    const star = output.starred ? 'Unstar' : 'Star';
    const viewer = el(
      'div',
      {
        class: 'viewer',
        attrs: {
          role: 'dialog',
          'aria-modal': 'true',
          'aria-label': `${output.name} of run ${run.number}`,
          tabindex: '-1',
        },
      },
      [
        el('div', { class: 'actions' }, [
          button('Previous', () => this.show(index - 1), { secondary: true }),
          button('Next', () => this.show(index + 1), { secondary: true }),
          button('Open', () => post({ type: 'output/open', ...at })),
          button('Reveal', () => post({ type: 'output/reveal', ...at }), { secondary: true }),
          button('Copy Path', () => post({ type: 'output/copyPath', ...at }), { secondary: true }),
          button(star, () => post({ type: 'output/star', ...at, starred: !output.starred }), {
            secondary: true,
          }),
          button(
            'Open Run',
            () => {
              this.close();
              this.openRun(run.id);
            },
            { secondary: true },
          ),
          button('Close', () => this.close(), { secondary: true }),
        ]),
        el('p', {
          class: 'viewer-caption',
          text: `${index + 1}/${this.items.length} · #${run.number} ${run.label} · ${output.name}`,
        }),
        isImage(output.name)
          ? el('img', { class: 'viewer-image', attrs: { src: output.uri, alt: output.name } })
          : el('p', { text: output.name }),
      ],
    );
    viewer.addEventListener('keydown', (e) => this.onKey(e));
    if (this.viewer) this.viewer.replaceWith(viewer);
    else this.element.parentElement?.append(viewer);
    this.viewer = viewer;
    viewer.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const moves: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    if (e.key in moves) this.show(Math.max(0, Math.min(this.items.length - 1, this.viewing + moves[e.key])));
    else if (e.key === 'Home') this.show(0);
    else if (e.key === 'End') this.show(this.items.length - 1);
    else if (e.key === 'Escape') this.close();
    else return;
    e.preventDefault();
  }

  private close(): void {
    this.viewer?.remove();
    this.viewer = undefined;
    this.viewing = -1;
    this.element.focus();
  }
}
