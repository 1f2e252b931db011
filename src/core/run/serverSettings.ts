/**
 * How a front end describes one server of its pool: a plain object (a setting, a command-line flag),
 * with the credentials handed in from wherever the front end keeps them (VS Code's SecretStorage, the
 * URL typed on a command line). The credentials are used to talk to the server and never written
 * anywhere: not in `runner.json`, job files, run records or logs.
 */

/** Credentials for a server behind a proxy or ComfyUI-Login; at most one kind is used. */
export interface ServerCredentials {
  /** HTTP Basic user name. */
  readonly username?: string;
  /** HTTP Basic password. */
  readonly password?: string;
  /** Sent as `Authorization: Bearer <token>`; wins over Basic credentials. */
  readonly bearerToken?: string;
  /** Appended as `?token=` to every URL (ComfyUI-Login, Comfy Cloud). */
  readonly queryToken?: string;
}

/** One server of the pool. */
export interface ServerSettings {
  /** `embedded` for the built-in engine, or the server's http(s) URL. */
  readonly url: string;
  /**
   * The name jobs and views know the server by. A server that changes its URL between launches (a
   * local child on a free port) keeps its jobs by keeping its name.
   * @default the URL without credentials, or `embedded`
   */
  readonly name?: string;
  /**
   * Jobs the server runs at once.
   * @default 1
   */
  readonly slots?: number;
  /**
   * One prompt more waits in the server's own queue, so it starts the moment a slot frees.
   * @default true
   */
  readonly prefetch?: boolean;
  /** Labels jobs can ask for. @default [] */
  readonly tags?: readonly string[];
  /** Whether the server takes new jobs. @default true */
  readonly enabled?: boolean;
  /** Extra headers on every request and the socket upgrade (`Comfy-User`, `X-API-KEY`). @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** Used, never stored. @default none (credentials in the URL are used) */
  readonly credentials?: ServerCredentials;
  /**
   * Opt-in: a job whose submission failed before the server accepted the prompt (unreachable, timed
   * out) is sent again, up to `maxAttempts` submissions in all; never once the server accepted it.
   * @default undefined (a failure is final)
   */
  readonly autoRetry?: { readonly maxAttempts: number };
}

/** A server as a front end may name it: `embedded`, a URL, or its full settings. */
export type ServerSpec = string | ServerSettings;

/** The settings of a server named by a string alone. */
export function serverSettingsOf(spec: ServerSpec): ServerSettings {
  return typeof spec === 'string' ? { url: spec } : spec;
}
