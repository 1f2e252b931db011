/**
 * The runs panel's page: the run list beside the focused run, the gallery and the compare view, fed
 * by the host's messages (src/shared/protocol.ts) and kept across a reload through `vscode.setState`
 * (view, focused run, selection, filter, zoom). It talks to nothing but its host.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { HostMessage, PanelState } from '../shared/protocol';
import { CompareView } from './compare';
import { el } from './dom';
import { renderFocusedRun } from './focusedRun';
import { Gallery } from './gallery';
import { PanelStore, type StoreChange } from './panelStore';
import { RunList } from './runList';
import { host, post } from './vscodeApi';

const kept = host.getState() as Partial<PanelState> | undefined;
const state: PanelState = {
  file: kept?.file ?? '',
  view: kept?.view ?? 'runs',
  focused: kept?.focused,
  selected: kept?.selected ?? [],
  filter: kept?.filter ?? 'all',
  zoom: kept?.zoom ?? { scale: 1, x: 0, y: 0, fit: true },
};
const store = new PanelStore();
const save = () => host.setState(state);

const runList = new RunList({
  focus: (id) => {
    state.focused = id;
    save();
    drawRuns();
  },
  toggleSelected: (id, on) => {
    state.selected = on
      ? [...state.selected.filter((s) => s !== id), id].slice(-4)
      : state.selected.filter((s) => s !== id);
    save();
    drawRuns();
  },
  filter: (f) => {
    state.filter = f;
    save();
    drawRuns();
  },
});
const focused = el('section', { class: 'focused', attrs: { 'aria-label': 'Focused run' } });
const gallery = new Gallery((id) => {
  state.focused = id;
  show('runs');
});
const compare = new CompareView(state.zoom, (zoom) => {
  state.zoom = zoom;
  save();
});

const title = el('h1', { class: 'title' });
const tabs = (['runs', 'gallery', 'compare'] as const).map((v) => {
  const b = el('button', {
    class: 'tab',
    text: v[0].toUpperCase() + v.slice(1),
    attrs: { role: 'tab', 'data-view': v },
  });
  b.addEventListener('click', () => show(v));
  return b;
});
const views = {
  runs: el('div', { class: 'view view-runs', attrs: { role: 'tabpanel' } }, [runList.element, focused]),
  gallery: el('div', { class: 'view view-gallery', attrs: { role: 'tabpanel' } }, [gallery.element]),
  compare: el('div', { class: 'view view-compare', attrs: { role: 'tabpanel' } }, [compare.element]),
};
document
  .getElementById('app')!
  .replaceChildren(
    el('header', {}, [
      title,
      el('nav', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Views' } }, tabs),
    ]),
    ...Object.values(views),
  );

function show(view: PanelState['view']): void {
  state.view = view;
  save();
  for (const t of tabs) t.setAttribute('aria-selected', String(t.dataset.view === view));
  for (const [k, v] of Object.entries(views)) v.hidden = k !== view;
  drawAll();
}

function drawRuns(): void {
  const now = Date.now();
  runList.render(store.list(), state, now);
  const run = state.focused ? store.runs.get(state.focused) : undefined;
  renderFocusedRun(focused, run, run && store.previews.get(run.id), now);
  if (state.view === 'compare') drawCompare();
}

function drawCompare(): void {
  compare.setRuns(state.selected.flatMap((id) => store.runs.get(id) ?? []));
}

function drawAll(): void {
  title.textContent = store.workflow ? `Runs of ${store.workflow.name}` : 'Runs';
  if (state.view === 'runs') drawRuns();
  if (state.view === 'gallery') gallery.setRuns(store.list());
  if (state.view === 'compare') drawCompare();
}

/** Redraws what one message changed, and no more. */
function redraw(change: StoreChange): void {
  if (change.all) return drawAll();
  const now = Date.now();
  if (state.view === 'runs') {
    for (const id of change.runs) {
      const run = store.runs.get(id)!;
      if (!runList.update(run, state, now)) runList.render(store.list(), state, now);
    }
    if (state.focused && (change.runs.includes(state.focused) || change.preview === state.focused)) {
      const run = store.runs.get(state.focused);
      renderFocusedRun(focused, run, run && store.previews.get(run.id), now);
    }
  }
  if (state.view === 'gallery' && change.runs.length > 0) gallery.setRuns(store.list());
  if (state.view === 'compare' && change.runs.some((id) => state.selected.includes(id))) drawCompare();
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const message = event.data;
  if (message.type === 'view/compare') {
    state.selected = message.ids.slice(0, 4);
    return show('compare');
  }
  const change = store.apply(message);
  if (message.type === 'runs/snapshot') {
    state.file = message.workflow.file;
    // The focus and selection kept over a reload stay even when a snapshot lacks their runs: the first
    // snapshot may come before the runner has opened, and the next one has them.
    state.focused ??= store.list().at(-1)?.id;
    save();
  }
  if (message.type === 'run/added' && !state.focused) state.focused = message.run.id;
  if (change) redraw(change);
  document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
});

show(state.view);
post({ type: 'webview/ready' });
