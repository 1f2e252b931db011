/**
 * Which open documents are workflows, by content: a JSON document is one when its text is an API- or
 * editor-format workflow (core's detection, behind a cheap pre-check), a PNG when ComfyUI wrote one into
 * its text chunks. Verdicts are cached per document version, so asking again for the same text costs a
 * map lookup; after an edit the document is looked at again once the user pauses.
 */
import * as vscode from 'vscode';
import { detectWorkflow } from '../../core/workflow/detect';
import {
  detectWorkflowText,
  settleWorkflowFormat,
  type WorkflowTextFormat,
} from '../../core/workflow/workflowText';

/** The formats a workflow document can have; `png` is an image with the workflow in its text chunks. */
export type WorkflowFormat = WorkflowTextFormat | 'png';

/** A document's verdict at one version; `parsed` is false while its text is not valid JSON. */
interface Verdict {
  readonly version: number;
  readonly format: WorkflowTextFormat | undefined;
  readonly parsed: boolean;
}

/** Languages whose documents may be workflows: JSON files, whatever their name. */
const LANGUAGES: ReadonlySet<string> = new Set(['json', 'jsonc']);

/** Schemes of documents the user edits (not diffs, output channels or settings). */
const SCHEMES: ReadonlySet<string> = new Set(['file', 'untitled']);

/** A PNG larger than this is not read to look for a workflow. */
const MAX_PNG_BYTES = 64 * 1024 * 1024;

/** True when `doc` is worth looking at: a JSON document the user edits. */
export function mayBeWorkflow(doc: vscode.TextDocument): boolean {
  return LANGUAGES.has(doc.languageId) && SCHEMES.has(doc.uri.scheme);
}

/** The workflow formats of open documents, cached per version. */
export class WorkflowFormats implements vscode.Disposable {
  private readonly verdicts = new Map<string, Verdict>();
  /** Documents whose format changed since {@link onDidChange} last told of them. */
  private readonly untold = new Set<string>();
  private readonly pngs = new Map<string, { mtime: number; png: boolean }>();
  private readonly changed = new vscode.EventEmitter<vscode.TextDocument>();
  /** Fires when a document becomes a workflow, stops being one or changes format. */
  readonly onDidChange = this.changed.event;

  /** The workflow format of `doc` as it is now, or undefined when it is not a workflow. */
  formatOf(doc: vscode.TextDocument): WorkflowTextFormat | undefined {
    return this.verdictOf(doc).format;
  }

  /** True when `doc` is a workflow whose text parses now (it is worth validating). */
  isParsedWorkflow(doc: vscode.TextDocument): boolean {
    const v = this.verdictOf(doc);
    return v.format !== undefined && v.parsed;
  }

  /** Looks at `doc` again (after an edit); fires {@link onDidChange} when its format changed. */
  recheck(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    this.formatOf(doc);
    if (this.untold.delete(key)) this.changed.fire(doc);
  }

  /** Forgets a closed document. */
  forget(doc: vscode.TextDocument): void {
    this.verdicts.delete(doc.uri.toString());
    this.untold.delete(doc.uri.toString());
  }

  /** True when the PNG at `uri` carries a workflow; read again only when the file changed. */
  async isPngWorkflow(uri: vscode.Uri): Promise<boolean> {
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      const known = this.pngs.get(uri.toString());
      if (known && known.mtime === stat.mtime) return known.png;
      const png =
        stat.size <= MAX_PNG_BYTES &&
        detectWorkflow(await vscode.workspace.fs.readFile(uri), uri.path).format === 'png';
      this.pngs.set(uri.toString(), { mtime: stat.mtime, png });
      return png;
    } catch {
      // Gone or unreadable: not a workflow the user can run.
      return false;
    }
  }

  private verdictOf(doc: vscode.TextDocument): Verdict {
    const key = doc.uri.toString();
    const known = this.verdicts.get(key);
    if (known && known.version === doc.version) return known;
    if (!mayBeWorkflow(doc)) return { version: doc.version, format: undefined, parsed: false };
    const verdict = detectWorkflowText(doc.getText());
    const found: Verdict = {
      version: doc.version,
      format: settleWorkflowFormat(known?.format, verdict),
      parsed: verdict !== 'unparsed',
    };
    this.verdicts.set(key, found);
    if (found.format !== known?.format) this.untold.add(key);
    return found;
  }

  dispose(): void {
    this.changed.dispose();
    this.verdicts.clear();
    this.untold.clear();
    this.pngs.clear();
  }
}
