// The settings keras-lsp reads, sent under the key `kerasLsp` both as initializationOptions
// and with workspace/didChangeConfiguration. No `vscode` import (unit-tested).

export type KerasVersion = 'auto' | '2' | '3';

export interface ServerSettings {
  inlayHints: { enabled: boolean; showDefaults: boolean };
  keras: KerasVersion;
}

/** `get(key, fallback)` reads a key below `kerasLsp` (e.g. vscode.WorkspaceConfiguration.get). */
export type Getter = <T>(key: string, fallback: T) => T;

export function serverSettings(get: Getter): ServerSettings {
  const keras = String(get<string>('keras', 'auto'));
  return {
    inlayHints: {
      enabled: Boolean(get<boolean>('inlayHints.enabled', true)),
      showDefaults: Boolean(get<boolean>('inlayHints.showDefaults', true)),
    },
    keras: keras === '2' || keras === '3' ? keras : 'auto',
  };
}

/** The payload: `{ kerasLsp: {...} }`. */
export function settingsPayload(get: Getter): { kerasLsp: ServerSettings } {
  return { kerasLsp: serverSettings(get) };
}

/** Setting keys whose change needs a new server process rather than didChangeConfiguration. */
export const RESTART_KEYS = ['kerasLsp.server.path', 'kerasLsp.importStrategy', 'python.defaultInterpreterPath'];

/** Setting keys forwarded to the running server. */
export const SERVER_KEYS = ['kerasLsp.inlayHints', 'kerasLsp.keras'];
