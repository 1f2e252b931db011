/**
 * The node definitions workflows are validated and converted with: the `/object_info` dump the setting
 * `comfyuiRunner.nodeDefinitionsFile` names, else the embedded engine's. Nothing is read until the first
 * workflow needs them (activation stays cheap); a file's definitions are kept until the setting changes
 * or a command asks afresh, so validating as the user types reads nothing again.
 */
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { DefinitionsCache } from '../../core/run/workflowDefinitions';
import { loadCore } from '../loadCore';
import type { NodeDefs } from '../../core/workflow/types';
import { SECTION } from '../settings';

const SETTING = 'nodeDefinitionsFile';

/** The extension's node definitions. */
export interface NodeDefinitions extends vscode.Disposable {
  /** The definitions; `fresh` reads the setting's file again. Rejects with `bad_input` for a wrong file. */
  get(options?: { fresh?: boolean }): Promise<NodeDefs>;
  /** Fires when the setting changed, so what was validated with the old definitions is validated again. */
  readonly onDidChange: vscode.Event<void>;
}

/** Creates the extension's node definitions; nothing is read until {@link NodeDefinitions.get}. */
export function createNodeDefinitions(): NodeDefinitions {
  // The cache (and the engine's definitions behind it) is loaded with the heavy half, on first use.
  let loaded: DefinitionsCache | undefined;
  const cache = {
    get: (source: Parameters<DefinitionsCache['get']>[0]) =>
      (loaded ??= new (loadCore().DefinitionsCache)()).get(source),
    clear: () => loaded?.clear(),
  };
  const changed = new vscode.EventEmitter<void>();
  const listening = vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration(`${SECTION}.${SETTING}`)) return;
    cache.clear();
    changed.fire();
  });
  return {
    get: (options = {}) => {
      if (options.fresh) cache.clear();
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
      const file = vscode.workspace.getConfiguration(SECTION).get<string>(SETTING, '');
      // A relative path is the workspace's, as a project would commit it.
      return cache.get({
        file: file && !isAbsolute(file) ? join(folder, file) : file,
        inputDir: join(folder, 'input'),
      });
    },
    onDidChange: changed.event,
    dispose: () => {
      listening.dispose();
      changed.dispose();
    },
  };
}
