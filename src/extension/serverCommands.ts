/**
 * The pool from the palette and the Servers view: add, remove, enable and disable servers and set
 * their slots (kept in the `comfyuiRunner.servers` setting, which the runner follows), set a server's
 * credentials (kept only in SecretStorage), and test a connection.
 */
import * as vscode from 'vscode';
import { ComfyClient } from '../core/comfy/client';
import { serverName } from '../core/run/runnerSettings';
import type { ServerCredentials } from '../core/run/serverSettings';
import type { CommandContext } from './commandContext';
import { trustedOrSay } from './runCommands';
import { credentialsKey, MAX_ENGINE_SLOTS, readRunnerConfig, SECTION, type ServerSetting } from './settings';

/** The embedded engine, as {@link pickServer} gives it when asked to offer it. */
const ENGINE = 'embedded' as const;

/**
 * The server a command is about: the tree item's, or one the user picks; with `withEngine`, the
 * embedded engine too (its item, or first in the pick), as {@link ENGINE}.
 */
async function pickServer(arg: unknown, title: string): Promise<ServerSetting | undefined>;
async function pickServer(
  arg: unknown,
  title: string,
  withEngine: true,
): Promise<ServerSetting | typeof ENGINE | undefined>;
async function pickServer(
  arg: unknown,
  title: string,
  withEngine = false,
): Promise<ServerSetting | typeof ENGINE | undefined> {
  const servers = readRunnerConfig().servers;
  const item = arg as { serverUrl?: string; name?: unknown } | undefined;
  const given = typeof arg === 'string' ? arg : item?.serverUrl;
  if (withEngine && (given ?? item?.name) === ENGINE) return ENGINE;
  if (given) return servers.find((s) => s.url === given || serverName(s.url) === given);
  if (servers.length === 0 && !withEngine) {
    void vscode.window.showInformationMessage('ComfyUI Runner: no server is configured; add one first.');
    return undefined;
  }
  const items = [
    ...(withEngine ? [{ label: ENGINE, description: 'the built-in engine', server: ENGINE }] : []),
    ...servers.map((s) => ({
      label: s.name ?? serverName(s.url),
      description: serverName(s.url),
      server: s,
    })),
  ];
  return (await vscode.window.showQuickPick(items, { title }))?.server;
}

/** Writes the servers setting where it is set (the workspace's, else the user's). */
function saveServers(servers: ServerSetting[]): Promise<void> {
  return saveSetting('servers', servers);
}

/** Writes one setting of the section where it is set (the workspace's, else the user's). */
async function saveSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect(key);
  const target =
    inspected?.workspaceValue !== undefined || vscode.workspace.workspaceFolders
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await config.update(key, value, target);
}

/** Asks for a URL (and a name) and adds the server to the pool. */
export async function addServer(_ctx: CommandContext): Promise<void> {
  const url = await vscode.window.showInputBox({
    title: 'Add Server',
    prompt: 'The ComfyUI server’s URL (credentials are set separately and kept in secret storage)',
    placeHolder: 'http://127.0.0.1:8188',
    validateInput: (v) => {
      try {
        const name = serverName(v.trim());
        return name === 'embedded' ? 'embedded is the built-in engine, always in the pool' : undefined;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    },
  });
  if (url === undefined) return;
  const clean = serverName(url.trim());
  const servers = readRunnerConfig().servers;
  if (servers.some((s) => serverName(s.url) === clean)) {
    void vscode.window.showInformationMessage(`ComfyUI Runner: ${clean} is in the pool already.`);
    return;
  }
  await saveServers([...servers, { url: clean }]);
}

/** Removes a server from the pool; jobs running on it finish. */
export async function removeServer(_ctx: CommandContext, arg?: unknown): Promise<void> {
  const server = await pickServer(arg, 'Remove Server');
  if (!server) return;
  await saveServers(readRunnerConfig().servers.filter((s) => s.url !== server.url));
}

async function setEnabled(arg: unknown, enabled: boolean): Promise<void> {
  const server = await pickServer(arg, enabled ? 'Enable Server' : 'Disable Server');
  if (!server) return;
  await saveServers(readRunnerConfig().servers.map((s) => (s.url === server.url ? { ...s, enabled } : s)));
}

/** Lets a server take new jobs again. */
export function enableServer(_ctx: CommandContext, arg?: unknown): Promise<void> {
  return setEnabled(arg, true);
}

/** Stops sending a server new jobs; the ones it runs finish. */
export function disableServer(_ctx: CommandContext, arg?: unknown): Promise<void> {
  return setEnabled(arg, false);
}

/**
 * Asks how many jobs a server runs at once, and keeps it in the servers setting; for the embedded engine
 * (its item, or first in the pick), in `comfyuiRunner.engine.slots`.
 */
export async function setServerSlots(_ctx: CommandContext, arg?: unknown): Promise<void> {
  const server = await pickServer(arg, 'Set Server Slots', true);
  if (!server) return;
  const remote = server === ENGINE ? undefined : server;
  const text = await vscode.window.showInputBox({
    title: `Slots of ${remote ? (remote.name ?? serverName(remote.url)) : 'the embedded engine'}`,
    prompt: remote
      ? 'How many jobs the server runs at once'
      : 'How many prompts the engine runs at once (they share this machine’s cores)',
    value: String(remote ? (remote.slots ?? 1) : readRunnerConfig().engineSlots),
    validateInput: (v) => {
      const most = remote ? 999 : MAX_ENGINE_SLOTS;
      const n = Number(v.trim());
      return /^[1-9]\d*$/.test(v.trim()) && n <= most ? undefined : `A whole number from 1 to ${most}`;
    },
  });
  if (text === undefined) return;
  const slots = Number(text.trim());
  if (!remote) return saveSetting('engine.slots', slots);
  await saveServers(readRunnerConfig().servers.map((s) => (s.url === remote.url ? { ...s, slots } : s)));
}

/** Asks for a server's credentials and keeps them in SecretStorage (never in settings or logs). */
export async function setServerCredentials(ctx: CommandContext, arg?: unknown): Promise<void> {
  const server = await pickServer(arg, 'Set Server Credentials');
  if (!server) return;
  const kinds = [
    { label: 'User name and password', credentialKind: 'basic' as const },
    { label: 'Bearer token', credentialKind: 'bearer' as const },
    { label: 'Query token (ComfyUI-Login)', credentialKind: 'query' as const },
    { label: 'None (forget stored credentials)', credentialKind: 'none' as const },
  ];
  const kind = (
    await vscode.window.showQuickPick(kinds, { title: `Credentials for ${serverName(server.url)}` })
  )?.credentialKind;
  if (!kind) return;
  const key = credentialsKey(server.url);
  if (kind === 'none') return ctx.secrets.delete(key);
  const secret = (prompt: string, password: boolean) =>
    vscode.window.showInputBox({ title: serverName(server.url), prompt, password, ignoreFocusOut: true });
  let credentials: ServerCredentials | undefined;
  if (kind === 'basic') {
    const username = await secret('User name', false);
    const password = username === undefined ? undefined : await secret('Password', true);
    if (password !== undefined) credentials = { username, password };
  } else {
    const token = await secret(kind === 'bearer' ? 'Bearer token' : 'Query token', true);
    if (token !== undefined) credentials = kind === 'bearer' ? { bearerToken: token } : { queryToken: token };
  }
  if (credentials) await ctx.secrets.store(key, JSON.stringify(credentials));
}

/** Asks the server for `/system_stats` and says what it answered. */
export async function testServerConnection(ctx: CommandContext, arg?: unknown): Promise<void> {
  if (!trustedOrSay()) return;
  const server = await pickServer(arg, 'Test Server Connection');
  if (!server) return;
  const stored = await ctx.secrets.get(credentialsKey(server.url));
  const credentials = stored ? (JSON.parse(stored) as ServerCredentials) : {};
  const client = new ComfyClient({ baseUrl: server.url, headers: server.headers, ...credentials });
  const name = serverName(server.url);
  try {
    const caps = await client.capabilities();
    void vscode.window.showInformationMessage(
      `ComfyUI Runner: ${name} answers (ComfyUI ${caps.version ?? '?'}).`,
    );
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    ctx.log.warn(`${name}: ${message}`);
    void vscode.window.showErrorMessage(`ComfyUI Runner: ${name} does not answer: ${message}`);
  } finally {
    await client.dispose();
  }
}
