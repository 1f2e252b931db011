/**
 * The runs panel's page: a strict Content Security Policy (scripts only by the nonce of this page,
 * styles and images only from the webview's own resource origin, previews as data URIs, nothing else,
 * no inline script or style attributes), the stylesheet and the script bundle, and an empty body the
 * script fills. Nothing from a workflow, a server or a file name is in it: the script sets those as text.
 * Free of `vscode` so the webview tests serve the very same page.
 */

/** What the page is made from. */
export interface RunsPanelPage {
  /** The webview's `cspSource`. */
  cspSource: string;
  /** A fresh random nonce per page. */
  nonce: string;
  /** `dist/webview/runsPanel.js` and `.css` as the webview loads them (`asWebviewUri`). */
  scriptUri: string;
  styleUri: string;
}

/** The page's HTML. */
export function runsPanelHtml(page: RunsPanelPage): string {
  const csp = [
    "default-src 'none'",
    `img-src ${page.cspSource} data: blob:`,
    `style-src ${page.cspSource}`,
    `font-src ${page.cspSource}`,
    `script-src 'nonce-${page.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(page.styleUri)}">
<title>Runs</title>
</head>
<body>
<main id="app" aria-live="off"></main>
<script nonce="${attr(page.nonce)}" src="${attr(page.scriptUri)}"></script>
</body>
</html>
`;
}

/** A nonce: 32 characters from crypto-strength random bytes. */
export function makeNonce(random: (n: number) => Uint8Array): string {
  return Array.from(random(24), (b) => b.toString(16).padStart(2, '0')).join('');
}

function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
