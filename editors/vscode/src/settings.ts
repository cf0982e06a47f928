// The settings keras-lsp reads, sent under the key `kerasLsp` both as initializationOptions
// and with workspace/didChangeConfiguration. No `vscode` import (unit-tested).

export type KerasVersion = 'auto' | '2' | '3';

export interface ServerSettings {
  inlayHints: { enabled: boolean; showDefaults: boolean };
  keras: KerasVersion;
  diagnostics: { select: string[]; ignore: string[] };
}

/** The diagnostic codes keras-lsp knows (docs/diagnostics.md). */
export const DIAGNOSTIC_CODES = [
  'shared-initializer',
  'ignored-initializer',
  'unknown-initializer',
  'unknown-keyword',
  'invalid-initializer',
  'unresolved-initializer',
  'skipped-statement',
];

function codes(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((c): c is string => typeof c === 'string' && DIAGNOSTIC_CODES.includes(c)) : [];
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
    diagnostics: {
      select: codes(get<unknown>('diagnostics.select', [])),
      ignore: codes(get<unknown>('diagnostics.ignore', [])),
    },
  };
}

/** The payload: `{ kerasLsp: {...} }`. */
export function settingsPayload(get: Getter): { kerasLsp: ServerSettings } {
  return { kerasLsp: serverSettings(get) };
}

/** Setting keys whose change needs a new server process rather than didChangeConfiguration. */
export const RESTART_KEYS = ['kerasLsp.server.path', 'kerasLsp.importStrategy', 'python.defaultInterpreterPath'];

/** Setting keys forwarded to the running server. */
export const SERVER_KEYS = ['kerasLsp.inlayHints', 'kerasLsp.keras', 'kerasLsp.diagnostics'];
