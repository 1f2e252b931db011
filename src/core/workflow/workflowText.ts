/**
 * Cheap detection of a workflow in an editor's text, run as the user types: is this document a workflow,
 * and in which format? Unlike {@link detectWorkflow} it never explains why not (no syntax-error scan),
 * and it refuses early: text above a length cap, or whose first non-space character is not `{`, is no
 * workflow without being parsed. Text that starts like an object but does not parse is `unparsed`, so
 * that a caller can keep its earlier verdict while the user is halfway through an edit.
 */
import { classifyJson } from './detectShape';

/** The formats a workflow's text can be in. */
export type WorkflowTextFormat = 'api' | 'editor';

/** What {@link detectWorkflowText} found: a format, `none`, or `unparsed` (not valid JSON just now). */
export type WorkflowTextVerdict = WorkflowTextFormat | 'none' | 'unparsed';

/** Options of {@link detectWorkflowText}. */
export interface WorkflowTextOptions {
  /**
   * Longer text is not looked at. The largest editor workflows ComfyUI's templates ship are a few
   * hundred kilobytes; the cap keeps a huge JSON data file from being parsed on every edit.
   * @default 8 MiB of UTF-16 code units
   */
  readonly maxLength?: number;
}

/** The default of {@link WorkflowTextOptions.maxLength}. */
export const MAX_WORKFLOW_TEXT_LENGTH = 8 * 1024 * 1024;

/** The workflow format of `text`, `none`, or `unparsed` when it starts like a JSON object but is not JSON. */
export function detectWorkflowText(text: string, options: WorkflowTextOptions = {}): WorkflowTextVerdict {
  if (text.length > (options.maxLength ?? MAX_WORKFLOW_TEXT_LENGTH)) return 'none';
  const start = firstNonSpace(text);
  if (text[start] !== '{') return 'none';
  let value: unknown;
  try {
    value = JSON.parse(start === 0 ? text : text.slice(start));
  } catch {
    return 'unparsed';
  }
  const shape = classifyJson(value);
  return shape.format === 'none' ? 'none' : shape.format;
}

/**
 * The format a document has after an edit, given the one it had before: a verdict of `unparsed` keeps
 * the earlier format (a workflow stays one while a quote or comma is missing), every other verdict wins.
 */
export function settleWorkflowFormat(
  previous: WorkflowTextFormat | undefined,
  verdict: WorkflowTextVerdict,
): WorkflowTextFormat | undefined {
  if (verdict === 'unparsed') return previous;
  return verdict === 'none' ? undefined : verdict;
}

/** The index of the first character that is not JSON whitespace or a byte order mark. */
function firstNonSpace(text: string): number {
  let i = 0;
  while (i < text.length && ' \t\r\n\ufeff'.includes(text[i])) i++;
  return i;
}
