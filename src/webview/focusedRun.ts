/**
 * The focused run: its actions, live preview while it runs, nodes in execution order with their state,
 * steps and elapsed time, the error with its traceback (collapsible, copyable), its outputs and record.
 */
import type { PanelRun } from '../shared/protocol';
import { button, duration, el, isImage } from './dom';
import { post } from './vscodeApi';

const ACTIVE = new Set(['queued', 'dispatching', 'running']);
const RETRYABLE = new Set(['failed', 'cancelled', 'lost']);

/** The focused run's section, drawn again whenever the run or its preview changes. */
export function renderFocusedRun(
  target: HTMLElement,
  run: PanelRun | undefined,
  preview: string | undefined,
  now: number,
): void {
  if (!run) {
    target.replaceChildren(
      el('p', { class: 'hint', text: 'Pick a run to see its nodes, outputs and record.' }),
    );
    return;
  }
  const title = el('h2', { text: `Run #${run.number} ${run.label}`.trim() });
  const parts: Node[] = [
    title,
    el('p', { class: `run-state state-${run.state}`, text: stateLine(run, now) }),
    actionsOf(run),
  ];
  if (preview && run.state === 'running')
    parts.push(
      el('img', { class: 'preview', attrs: { src: preview, alt: `Live preview of run ${run.number}` } }),
    );
  parts.push(nodesOf(run, now));
  if (run.error) parts.push(errorOf(run));
  if (run.outputs.length > 0) parts.push(outputsOf(run));
  parts.push(recordOf(run));
  target.replaceChildren(...parts);
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
