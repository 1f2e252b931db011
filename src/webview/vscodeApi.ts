/** The webview's side of the host: what it posts, and the state VS Code keeps across reloads. */
import type { PanelState, WebviewMessage } from '../shared/protocol';

/** What `acquireVsCodeApi` gives; called once per page. */
interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: PanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** The page's one handle on the host. */
export const host: VsCodeApi = acquireVsCodeApi();

/** Posts a message to the host. */
export function post(message: WebviewMessage): void {
  host.postMessage(message);
}
