/**
 * The focused run: its actions, live preview while it runs, nodes in execution order with their state,
 * steps and elapsed time, the error with its traceback (collapsible, copyable), its outputs and record.
 */
import type { PanelRun } from '../shared/protocol';
import { button, duration, el, isImage } from './dom';
import { post } from './vscodeApi';

const ACTIVE = new Set(['queued', 'dispatching', 'running']);
const RETRYABLE = new Set(['failed', 'cancelled', 'lost']);

/** One part of the focused run, made again only when its key changes. */
interface Part {
  key: string;
  node: HTMLElement;
}

/** The parts last drawn in each target, by name. */
const drawn = new WeakMap<HTMLElement, Map<string, Part>>();

/**
 * Draws the focused run into `target`. Only the parts whose content changed are made again and the
 * others stay in place, so a progress update 20 times a second neither moves keyboard focus off a
 * button nor closes an open traceback, and the preview is swapped only when a new one came.
 */
export function renderFocusedRun(
  target: HTMLElement,
  run: PanelRun | undefined,
  preview: string | undefined,
  now: number,
): void {
  let parts = drawn.get(target);
  if (!parts) drawn.set(target, (parts = new Map()));
  const used = new Map<string, Part>();
  const part = (name: string, key: string, make: () => HTMLElement): HTMLElement => {
    const known = parts!.get(name);
    const p = known && known.key === key ? known : { key, node: make() };
    used.set(name, p);
    return p.node;
  };
  const nodes: HTMLElement[] = [];
  if (!run)
    nodes.push(
      part('hint', '', () =>
        el('p', { class: 'hint', text: 'Pick a run to see its nodes, outputs and record.' }),
      ),
    );
  else {
    const running = run.state === 'running';
    nodes.push(
      part('title', `${run.number} ${run.label}`, () =>
        el('h2', { text: `Run #${run.number} ${run.label}`.trim() }),
      ),
      part('state', stateLine(run, now), () =>
        el('p', { class: `run-state state-${run.state}`, text: stateLine(run, now) }),
      ),
      part('actions', `${run.id} ${run.state}`, () => actionsOf(run)),
    );
    if (preview && running)
      nodes.push(
        part('preview', preview, () =>
          el('img', { class: 'preview', attrs: { src: preview, alt: `Live preview of run ${run.number}` } }),
        ),
      );
    // Running nodes show their elapsed time, which moves each second.
    const tick = run.nodes.some((n) => n.state === 'running') ? Math.floor(now / 1000) : 0;
    nodes.push(part('nodes', `${run.id} ${tick} ${JSON.stringify(run.nodes)}`, () => nodesOf(run, now)));
    if (run.error) nodes.push(part('error', `${run.id} ${JSON.stringify(run.error)}`, () => errorOf(run)));
    if (run.outputs.length > 0)
      nodes.push(part('outputs', `${run.id} ${JSON.stringify(run.outputs)}`, () => outputsOf(run)));
    const record = JSON.stringify([
      run.id,
      run.record,
      run.server,
      run.queued,
      run.started,
      run.finished,
      run.attempt,
    ]);
    nodes.push(part('record', record, () => recordOf(run)));
  }
  drawn.set(target, used);
  place(target, nodes);
}

/**
 * Makes `target`'s children `nodes`: children not kept are removed first, then new ones are inserted
 * where they go, so a kept child (one holding focus) is never taken out of the document.
 */
function place(target: HTMLElement, nodes: HTMLElement[]): void {
  const keep = new Set<Node>(nodes);
  for (const child of [...target.childNodes]) if (!keep.has(child)) child.remove();
  nodes.forEach((n, i) => {
    if (target.childNodes[i] !== n) target.insertBefore(n, target.childNodes[i] ?? null);
  });
}

function stateLine(run: PanelRun, now: number): string {
  const took = run.started ? ` · ${duration((run.finished ?? now) - run.started)}` : '';
  return `${run.state}${run.server ? ` on ${run.server}` : ''}${took} · ${run.progress.done}/${run.progress.total} nodes`;
}

function actionsOf(run: PanelRun): HTMLElement {
  const id = run.id;
  const buttons: HTMLElement[] = [];
  if (ACTIVE.has(run.state)) buttons.push(button('Cancel', () => post({ type: 'run/cancel', id })));
  if (RETRYABLE.has(run.state)) {
    buttons.push(button('Retry', () => post({ type: 'run/retry', id, anotherServer: false })));
    buttons.push(
      button('Retry on Another Server', () => post({ type: 'run/retry', id, anotherServer: true }), {
        secondary: true,
      }),
    );
  }
  buttons.push(
    button('Re-run with Changes…', () => post({ type: 'run/rerun', id }), { secondary: true }),
    button('Open Prompt', () => post({ type: 'run/openPrompt', id }), { secondary: true }),
  );
  if (!ACTIVE.has(run.state)) {
    buttons.push(button('Open Record', () => post({ type: 'run/openRecord', id }), { secondary: true }));
    buttons.push(
      button('Reveal Outputs', () => post({ type: 'run/revealOutputs', id }), { secondary: true }),
    );
  }
  return el('div', { class: 'actions', attrs: { role: 'toolbar', 'aria-label': 'Run actions' } }, buttons);
}

function nodesOf(run: PanelRun, now: number): HTMLElement {
  const rows = run.nodes.map((n) => {
    const cells: Node[] = [
      el('span', { class: `node-state state-${n.state}`, text: n.state }),
      el('span', { class: 'node-title', text: n.title }),
      el('span', { class: 'node-class', text: n.classType === n.title ? '' : n.classType }),
    ];
    if (n.steps) {
      const bar = el('div', {
        class: 'bar',
        attrs: { role: 'progressbar', 'aria-label': `${n.title} steps` },
      });
      const fill = el('div', { class: 'bar-fill' });
      const pct = n.steps.max > 0 ? Math.round((100 * n.steps.value) / n.steps.max) : 0;
      fill.style.width = `${pct}%`;
      bar.setAttribute('aria-valuenow', String(pct));
      bar.append(fill);
      cells.push(bar, el('span', { class: 'node-steps', text: `${n.steps.value}/${n.steps.max}` }));
    } else cells.push(el('span'), el('span'));
    const took = n.started !== undefined ? duration((n.finished ?? now) - n.started) : '';
    cells.push(el('span', { class: 'node-time', text: took }));
    return el('li', { class: 'node', attrs: { 'data-node': n.id } }, cells);
  });
  return el('section', { class: 'nodes' }, [
    el('h3', { text: 'Nodes' }),
    el('ol', { class: 'node-list' }, rows),
  ]);
}

function errorOf(run: PanelRun): HTMLElement {
  const e = run.error!;
  const node = run.nodes.find((n) => n.id === e.nodeId);
  const where = e.nodeId
    ? `Node ${e.nodeId}${node ? ` ${node.title}` : ''}${e.nodeType ? ` (${e.nodeType})` : ''}`
    : '';
  const trace = e.traceback.join('');
  const parts: Node[] = [
    el('h3', { text: 'Error' }),
    el('p', { class: 'error-where', text: where }),
    el('p', { class: 'error-message', text: `${e.exceptionType ? `${e.exceptionType}: ` : ''}${e.message}` }),
  ];
  if (trace) {
    const pre = el('pre', { class: 'traceback', text: trace });
    const copy = button('Copy Traceback', () => post({ type: 'text/copy', text: trace }), {
      secondary: true,
    });
    parts.push(
      el('vscode-collapsible', { attrs: { title: 'Traceback', class: 'traceback-box' } }, [copy, pre]),
    );
  }
  const retry = el('div', { class: 'actions' }, [
    button('Retry', () => post({ type: 'run/retry', id: run.id, anotherServer: false })),
    button('Retry on Another Server', () => post({ type: 'run/retry', id: run.id, anotherServer: true }), {
      secondary: true,
    }),
  ]);
  parts.push(retry);
  return el('section', { class: 'error', attrs: { role: 'alert' } }, parts);
}

function outputsOf(run: PanelRun): HTMLElement {
  const items = run.outputs.map((o) => {
    const content = isImage(o.name)
      ? el('img', { attrs: { src: o.uri, alt: o.name, loading: 'lazy' } })
      : el('span', { class: 'file', text: o.name });
    return el(
      'button',
      {
        class: 'output',
        attrs: { 'aria-label': `Open ${o.name}`, 'data-path': o.path },
        on: { click: () => post({ type: 'output/open', id: run.id, path: o.path }) },
      },
      [content, el('span', { class: 'output-name', text: o.name })],
    );
  });
  return el('section', { class: 'outputs' }, [
    el('h3', { text: 'Outputs' }),
    el('div', { class: 'output-grid' }, items),
  ]);
}

function recordOf(run: PanelRun): HTMLElement {
  const rows: [string, string][] = [
    ['Server', run.server ?? '-'],
    ['ComfyUI version', run.record.comfyuiVersion ?? '-'],
    ['Prompt hash', run.record.promptHash],
    ['Prompt id', run.record.promptId ?? '-'],
    ['Queued', new Date(run.queued).toLocaleString()],
    ['Started', run.started ? new Date(run.started).toLocaleString() : '-'],
    ['Finished', run.finished ? new Date(run.finished).toLocaleString() : '-'],
    ['Attempt', String(run.attempt)],
    ['Folder', run.record.outDir],
  ];
  const dl = el('dl', { class: 'record' });
  for (const [k, v] of rows) dl.append(el('dt', { text: k }), el('dd', { text: v }));
  return el('section', {}, [el('h3', { text: 'Record' }), dl]);
}
