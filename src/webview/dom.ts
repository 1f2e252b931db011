/**
 * The one way the panel makes elements: every string, whether from a workflow, a server or a file
 * name, goes in as text (`textContent`) or as an attribute value, never as HTML.
 */

/** What {@link el} sets on a new element. */
export interface ElementSpec {
  /** Class names, space separated. */
  class?: string;
  /** The element's text. */
  text?: string;
  /** Attributes, set with setAttribute (values are never parsed as HTML). */
  attrs?: Record<string, string | undefined>;
  /** Event listeners. */
  on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>;
}

/** A new element with `spec` and `children`. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  spec?: ElementSpec,
  children?: (Node | string)[],
): HTMLElementTagNameMap[K];
export function el(tag: string, spec?: ElementSpec, children?: (Node | string)[]): HTMLElement;
export function el(tag: string, spec: ElementSpec = {}, children: (Node | string)[] = []): HTMLElement {
  const e = document.createElement(tag);
  if (spec.class) e.className = spec.class;
  if (spec.text !== undefined) e.textContent = spec.text;
  for (const [k, v] of Object.entries(spec.attrs ?? {})) if (v !== undefined) e.setAttribute(k, v);
  for (const [k, fn] of Object.entries(spec.on ?? {})) if (fn) e.addEventListener(k, fn);
  for (const c of children) e.append(c);
  return e;
}

/** A `vscode-button` with a label and an action; `secondary` for the quieter look. */
export function button(
  label: string,
  action: () => void,
  options: { secondary?: boolean; aria?: string } = {},
) {
  return el('vscode-button', {
    text: label,
    attrs: { secondary: options.secondary ? '' : undefined, 'aria-label': options.aria ?? label },
    on: { click: () => action() },
  });
}

/** `ms` as people read it: `0.4 s`, `12 s`, `3 min 5 s`. */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${(Math.floor(s * 10) / 10).toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.floor(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Whether an output is an image the page can show. */
export function isImage(name: string): boolean {
  return /\.(png|jpe?g|webp|gif|bmp)$/i.test(name);
}
