/**
 * Terminal output for the command line: plain lines to stdout/stderr, with colour only on a TTY that
 * has not asked for none (NO_COLOR).
 */

/** Where a command writes; injectable so tests can capture it. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** True when stdout is an interactive terminal (live progress is drawn only then). */
  readonly isTty: boolean;
  /** Redraws the live status block in place (TTY only). */
  status?(lines: string[]): void;
}

/** The process's own stdout and stderr. */
export function processIo(): CliIo {
  const isTty = Boolean(process.stdout.isTTY);
  let drawn = 0;
  const clear = () => {
    if (drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  return {
    isTty,
    out: (line) => {
      clear();
      process.stdout.write(line + '\n');
    },
    err: (line) => {
      clear();
      process.stderr.write(line + '\n');
    },
    status: (lines) => {
      if (!isTty) return;
      clear();
      const width = process.stdout.columns || 100;
      const shown = lines.map((l) => (l.length > width - 1 ? l.slice(0, width - 2) + '…' : l));
      process.stdout.write(shown.join('\n') + '\n');
      drawn = shown.length;
    },
  };
}

const useColour = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

/** Wraps text in an ANSI colour when colour is on. */
export function paint(text: string, colour: 'red' | 'green' | 'yellow' | 'dim' | 'bold'): string {
  if (!useColour()) return text;
  const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
  return `\x1b[${codes[colour]}m${text}\x1b[0m`;
}
