// The Python environment the user selected, from the Python extension (ms-python.python) when it is
// installed, else from the `python.defaultInterpreterPath` setting. No `vscode` import: the
// extension object and the setting are passed in, so this is unit-tested with fakes.

import type { Interpreter } from './discovery';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

/** What the Python extension's API (`exports.environments`, @vscode/python-extension) offers us. */
export interface EnvironmentPath {
  id: string;
  path: string;
}

export interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: unknown): EnvironmentPath;
  resolveEnvironment(environment: EnvironmentPath | string): Promise<
    { executable?: { uri?: { fsPath: string } } } | undefined
  >;
  onDidChangeActiveEnvironmentPath?: (listener: (e: unknown) => unknown) => { dispose(): unknown };
}

export interface PythonExtensionExports {
  environments?: PythonEnvironmentsApi;
  /** Older versions of the Python extension. */
  settings?: { getExecutionDetails?(resource?: unknown): { execCommand?: string[] } | undefined };
}

/** The parts of `vscode.Extension<PythonExtensionExports>` used here. */
export interface PythonExtensionLike {
  isActive: boolean;
  exports: PythonExtensionExports | undefined;
  activate(): Thenable<PythonExtensionExports | undefined>;
}

export interface SelectedInterpreterOptions {
  /** `vscode.extensions.getExtension('ms-python.python')`. */
  pythonExtension?: PythonExtensionLike;
  /** The workspace folder's URI, passed to the Python extension (it selects per folder). */
  resource?: unknown;
  /** Value of `python.defaultInterpreterPath`. */
  defaultInterpreterPath?: string;
  log?: (message: string) => void;
}

export async function pythonApi(
  ext: PythonExtensionLike | undefined,
  log: (message: string) => void = () => undefined,
): Promise<PythonExtensionExports | undefined> {
  if (!ext) {
    return undefined;
  }
  try {
    return ext.isActive ? ext.exports : await ext.activate();
  } catch (e) {
    log(`the Python extension did not activate: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/**
 * The interpreter of the selected environment: the Python extension's active environment when that
 * extension is installed and answers, else `python.defaultInterpreterPath` when set.
 */
export async function selectedInterpreter(options: SelectedInterpreterOptions): Promise<Interpreter | undefined> {
  const log = options.log ?? (() => undefined);
  const api = await pythonApi(options.pythonExtension, log);
  if (api?.environments) {
    try {
      const active = api.environments.getActiveEnvironmentPath(options.resource);
      const resolved = await api.environments.resolveEnvironment(active);
      const exe = resolved?.executable?.uri?.fsPath;
      if (exe) {
        return { path: exe, origin: 'the environment selected in the Python extension' };
      }
      log(`the Python extension's selected environment (${active.path}) has no Python executable`);
    } catch (e) {
      log(`asking the Python extension for the selected environment: ${e instanceof Error ? e.message : String(e)}`);
    }
  } else if (api?.settings?.getExecutionDetails) {
    const exe = api.settings.getExecutionDetails(options.resource)?.execCommand?.[0];
    if (exe) {
      return { path: exe, origin: 'the interpreter selected in the Python extension' };
    }
  }
  const fallback = (options.defaultInterpreterPath ?? '').trim();
  if (fallback) {
    return { path: fallback, origin: 'python.defaultInterpreterPath' };
  }
  return undefined;
}
