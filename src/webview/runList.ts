/**
 * The run list: one row per run (number, label, server, state, progress, duration), keyed by run id
 * so a delta redraws one row. Click or Enter focuses a run; the checkbox selects it for comparing
 * (2 to 4). A filter shows the runs of one state.
 */
import type { PanelRun, PanelRunState } from '../shared/protocol';
import { duration, el } from './dom';

/** What the list tells the page. */
export interface RunListEvents {
  focus(id: string): void;
  toggleSelected(id: string, on: boolean): void;
  filter(state: PanelRunState | 'all'): void;
}

const FILTERS: (PanelRunState | 'all')[] = [
  'all',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'lost',
];

/** See the file comment. */
export class RunList {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly rows = new Map<string, HTMLElement>();
  private readonly select: HTMLElement & { value: string };

  constructor(private readonly events: RunListEvents) {
    this.select = el('vscode-single-select', {
      attrs: { 'aria-label': 'Show runs in state', class: 'run-filter' },
    }) as HTMLElement & {
      value: string;
    };
    for (const f of FILTERS) this.select.append(el('vscode-option', { text: f, attrs: { value: f } }));
    this.select.addEventListener('change', () =>
      this.events.filter(this.select.value as PanelRunState | 'all'),
    );
    this.list = el('div', { class: 'run-list', attrs: { role: 'listbox', 'aria-label': 'Runs' } });
    this.element = el('aside', { class: 'runs' }, [
      el('div', { class: 'run-filter-bar' }, [el('span', { text: 'Show' }), this.select]),
      this.list,
    ]);
  }

  /** Redraws every row, in order. */
  render(
    runs: PanelRun[],
    view: { focused?: string; selected: string[]; filter: string },
    now: number,
  ): void {
    this.select.value = view.filter;
    const shown = runs.filter((r) => view.filter === 'all' || r.state === view.filter);
    const keep = new Set(shown.map((r) => r.id));
    for (const [id, row] of this.rows) {
      if (keep.has(id)) continue;
      row.remove();
      this.rows.delete(id);
    }
    for (const r of shown) this.list.append(this.rowOf(r, view, now));
    if (shown.length === 0) this.list.setAttribute('data-empty', 'No runs yet');
    else this.list.removeAttribute('data-empty');
  }

  /** Redraws one row in place, or adds a new run's row at the end; false when a full redraw is needed. */
  update(
    run: PanelRun,
    view: { focused?: string; selected: string[]; filter: string },
    now: number,
  ): boolean {
    if (view.filter !== 'all' && run.state !== view.filter) {
      this.rows.get(run.id)?.remove();
      this.rows.delete(run.id);
      return true;
    }
    const known = this.rows.has(run.id);
    const row = this.rowOf(run, view, now);
    if (known) return true;
    // A new run is the newest, so it goes last; one that is not is placed by a full redraw.
    const last = [...this.rows.keys()].at(-2);
    const after = last ? this.rows.get(last) : undefined;
    if (after && Number(after.dataset.number) > run.number) return false;
    this.list.append(row);
    this.list.removeAttribute('data-empty');
    return true;
  }

  private rowOf(r: PanelRun, view: { focused?: string; selected: string[] }, now: number): HTMLElement {
    const row = this.rows.get(r.id) ?? this.newRow(r);
    // The row's cells are made once and only their text changes, so a checkbox holding keyboard focus
    // keeps it while the run's progress moves.
    const cell = (name: string) => row.querySelector<HTMLElement>(`.${name}`)!;
    (cell('run-select') as HTMLInputElement).checked = view.selected.includes(r.id);
    cell('run-number').textContent = `#${r.number}`;
    cell('run-label').textContent = r.label || '(as saved)';
    const state = cell('run-state');
    state.textContent = r.state;
    state.className = `run-state state-${r.state}`;
    cell('run-server').textContent = r.server ?? '';
    const pct = r.progress.total ? Math.round((100 * r.progress.done) / r.progress.total) : 0;
    cell('bar').setAttribute('aria-valuenow', String(pct));
    cell('bar-fill').style.width = `${pct}%`;
    cell('run-duration').textContent = r.started ? duration((r.finished ?? now) - r.started) : '';
    row.setAttribute('aria-selected', String(view.focused === r.id));
    row.setAttribute('aria-label', `Run ${r.number} ${r.label} ${r.state}`);
    return row;
  }

  private newRow(r: PanelRun): HTMLElement {
    const attrs = { role: 'option', tabindex: '0', 'data-run': r.id, 'data-number': String(r.number) };
    const check = el('input', {
      attrs: { type: 'checkbox', 'aria-label': `Select run ${r.number} to compare`, class: 'run-select' },
    });
    check.addEventListener('change', () => this.events.toggleSelected(r.id, check.checked));
    const bar = el(
      'div',
      { class: 'bar', attrs: { role: 'progressbar', 'aria-label': `Run ${r.number} progress` } },
      [el('div', { class: 'bar-fill' })],
    );
    const cells = ['run-number', 'run-label', 'run-state', 'run-server'].map((c) => el('span', { class: c }));
    const row = el('div', { class: 'run-row', attrs }, [
      check,
      ...cells,
      bar,
      el('span', { class: 'run-duration' }),
    ]);
    row.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('input')) return;
      this.events.focus(r.id);
    });
    row.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      if ((e.target as HTMLElement).closest('input')) return;
      e.preventDefault();
      this.events.focus(r.id);
    });
    this.rows.set(r.id, row);
    return row;
  }
}
