/**
 * Workflow files as first-class documents: the context keys of the active workflow, its problems as the
 * user types, the lenses above its first line and the Explorer's marks of each file's latest run. This
 * file only wires them; each lives in its own file beside it.
 */
import * as vscode from 'vscode';
import type { LastRuns } from './lastRuns';
import type { NodeDefinitions } from './nodeDefinitions';
import { RunDecorationProvider } from './runDecorations';
import { trackActiveWorkflow } from './workflowContext';
import { validateAsYouType } from './workflowDiagnostics';
import { WorkflowFormats } from './workflowFormats';
import { WorkflowLensProvider } from './workflowLenses';

/** What {@link registerWorkflowDocuments} works with; the extension owns each of them. */
export interface WorkflowDocumentsOptions {
  /** The extension's diagnostics, shared with the Validate command. */
  readonly diagnostics: vscode.DiagnosticCollection;
  readonly definitions: NodeDefinitions;
  /** The latest run of each file, for the lenses and the decorations. */
  readonly lastRuns: LastRuns;
  readonly log?: vscode.LogOutputChannel;
  /**
   * How long the user must pause typing before a document is looked at again and validated.
   * @default 300
   */
  readonly debounceMs?: number;
}

/** Every document-selector entry a workflow can be in: any JSON document on disk or not yet saved. */
const SELECTOR: vscode.DocumentSelector = [
  { language: 'json', scheme: 'file' },
  { language: 'json', scheme: 'untitled' },
  { language: 'jsonc', scheme: 'file' },
  { language: 'jsonc', scheme: 'untitled' },
];

/** Registers everything that makes workflow files first-class documents; returns what unregisters it. */
export function registerWorkflowDocuments(options: WorkflowDocumentsOptions): vscode.Disposable {
  const formats = new WorkflowFormats();
  const lenses = new WorkflowLensProvider(formats, options.lastRuns);
  const decorations = new RunDecorationProvider(options.lastRuns);
  // Disposed in reverse: listeners first, the formats they read last.
  const owned: vscode.Disposable[] = [
    formats,
    lenses,
    decorations,
    vscode.languages.registerCodeLensProvider(SELECTOR, lenses),
    vscode.window.registerFileDecorationProvider(decorations),
    trackActiveWorkflow(formats),
    validateAsYouType({
      diagnostics: options.diagnostics,
      formats,
      definitions: options.definitions,
      debounceMs: options.debounceMs ?? 300,
      log: options.log,
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => formats.forget(doc)),
  ];
  return { dispose: () => owned.reverse().forEach((d) => d.dispose()) };
}
