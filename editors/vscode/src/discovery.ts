// Finding the keras-lsp binary. No `vscode` import here, so it is unit-tested with node:test.
//
// Order (as ruff's extension does, with its `importStrategy`):
//   1. the `kerasLsp.server.path` setting (an error if it is set but broken: no silent fallback);
//   2. with `kerasLsp.importStrategy` = `fromEnvironment` (the default): `keras-lsp` installed in the
//      Python environment the user selected (`pip install keras-lsp` puts it in the environment's
//      scripts folder, next to its `python`);
//   3. the binary bundled in the extension's `server/` folder (platform-specific `.vsix`);
//   4. `keras-lsp` on PATH.
// With `useBundled`, 3 comes before 2. Each candidate must answer `--version`.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type Source = 'setting' | 'environment' | 'bundled' | 'PATH';

export type ImportStrategy = 'fromEnvironment' | 'useBundled';

export interface FoundServer {
  path: string;
  source: Source;
  /** First line printed by `--version`, e.g. `keras-lsp 0.1.0`. */
  version: string;
  /** Why this binary, for the log. */
  reason: string;
}

/** The Python interpreter of the environment the user selected. */
export interface Interpreter {
  /** Path of its `python` (or a command name, looked up on PATH). */
  path: string;
  /** Where the choice comes from, for the log, e.g. `python.defaultInterpreterPath`. */
  origin: string;
}

export class ServerNotFoundError extends Error {
  constructor(
    message: string,
    readonly tried: string[],
  ) {
    super(message);
    this.name = 'ServerNotFoundError';
  }
}

export function binaryName(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'keras-lsp.exe' : 'keras-lsp';
}

export function importStrategy(value: unknown): ImportStrategy {
  return value === 'useBundled' ? 'useBundled' : 'fromEnvironment';
}

/** Expands a leading `~` and `${workspaceFolder}`; relative paths are taken from the workspace folder. */
export function expandPath(value: string, workspaceFolder: string | undefined, home: string = os.homedir()): string {
  let p = value.trim();
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) {
    p = path.join(home, p.slice(1));
  }
  if (workspaceFolder !== undefined) {
    p = p.split('${workspaceFolder}').join(workspaceFolder);
    if (!path.isAbsolute(p) && (p.includes('/') || p.includes('\\'))) {
      p = path.join(workspaceFolder, p);
    }
  }
  return p;
}

/** Looks a command up on PATH like a shell would (PATHEXT on Windows). */
export function searchPath(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const pathVar = env.PATH ?? env.Path ?? '';
  const sep = platform === 'win32' ? ';' : ':';
  const exts = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of pathVar.split(sep)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = path.join(dir, command + ext);
      if (isExecutableFile(candidate, platform)) {
        return candidate;
      }
    }
  }
  return undefined;
}

export function isExecutableFile(p: string, platform: NodeJS.Platform = process.platform): boolean {
  try {
    if (!fs.statSync(p).isFile()) {
      return false;
    }
    if (platform !== 'win32') {
      fs.accessSync(p, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/** Runs `BIN --version`; resolves with its first line, rejects when it fails or prints nothing. */
export function readVersion(bin: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, ['--version'], { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        const detail = String(stderr || error.message).trim();
        reject(new Error(`\`${bin} --version\` failed: ${detail}`));
        return;
      }
      const line = String(stdout).split(/\r?\n/)[0].trim();
      if (!line) {
        reject(new Error(`\`${bin} --version\` printed nothing`));
        return;
      }
      resolve(line);
    });
  });
}

/**
 * Where `pip install keras-lsp` puts the binary for the interpreter `python`, without running it:
 * next to it (a virtualenv's `bin/` or `Scripts\`, a conda environment's `bin/`), and on Windows
 * also in `Scripts\` below it (a base or conda installation, where python.exe is at the top).
 */
export function environmentCandidates(python: string, platform: NodeJS.Platform = process.platform): string[] {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const dir = p.dirname(python);
  const exe = binaryName(platform);
  const candidates = [p.join(dir, exe)];
  if (platform === 'win32' && p.basename(dir).toLowerCase() !== 'scripts') {
    candidates.push(p.join(dir, 'Scripts', exe));
  }
  return candidates;
}

/**
 * Asks the interpreter where the binary is: `keras_lsp.find_keras_lsp_bin()` when the package is
 * importable (it also knows `pip install --user` and `--target`), then its sysconfig scripts folder.
 * Run from `cwd` (not the workspace, so that no module of the project is imported).
 */
export const ASK_INTERPRETER = [
  'import os, sysconfig',
  'try:',
  '    from keras_lsp import find_keras_lsp_bin',
  '    print(find_keras_lsp_bin())',
  'except Exception:',
  '    pass',
  'print(os.path.join(sysconfig.get_path("scripts"), "keras-lsp" + (sysconfig.get_config_var("EXE") or "")))',
].join('\n');

export function askInterpreter(python: string, cwd: string = os.tmpdir(), timeoutMs = 10000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', ASK_INTERPRETER], { cwd, timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`\`${python} -c ...\` failed: ${String(stderr || error.message).trim()}`));
        return;
      }
      resolve(
        String(stdout)
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== ''),
      );
    });
  });
}

export interface FindOptions {
  /** Value of `kerasLsp.server.path` (may be empty). */
  settingPath?: string;
  /** Value of `kerasLsp.importStrategy` (default `fromEnvironment`). */
  importStrategy?: ImportStrategy;
  /** The selected Python environment's interpreter, if any. */
  interpreter?: Interpreter;
  /** Root of the installed extension; the bundled binary is `server/keras-lsp` under it. */
  extensionPath: string;
  workspaceFolder?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  log?: (message: string) => void;
  version?: (bin: string) => Promise<string>;
  /** Asks an interpreter for candidate paths (default: {@link askInterpreter}). */
  ask?: (python: string) => Promise<string[]>;
}

export const HOW_TO_FIX =
  'Install it into the project\'s Python environment with `pip install keras-lsp` (from a clone of the ' +
  'repository: `pip install .`) and select that environment in the Python extension, or set ' +
  '`kerasLsp.server.path` to the binary.';

export async function findServer(options: FindOptions): Promise<FoundServer> {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const version = options.version ?? ((bin: string) => readVersion(bin));
  const ask = options.ask ?? ((python: string) => askInterpreter(python));
  const strategy = options.importStrategy ?? 'fromEnvironment';
  const tried: string[] = [];

  const setting = (options.settingPath ?? '').trim();
  if (setting) {
    const bin = expandPath(setting, options.workspaceFolder);
    tried.push(`${bin} (kerasLsp.server.path)`);
    try {
      return { path: bin, source: 'setting', version: await version(bin), reason: 'kerasLsp.server.path is set' };
    } catch (e) {
      // An explicit setting is not silently replaced by another binary.
      throw new ServerNotFoundError(
        `kerasLsp.server.path is set to "${setting}", but that is not a working keras-lsp binary: ${errorText(e)}. ` +
          'Fix the path in the settings, or clear it to use the Python environment, the bundled binary or keras-lsp on PATH.',
        tried,
      );
    }
  }

  // What was not found, for the reason of the choice finally made.
  const notes: string[] = [];

  const tryCandidate = async (bin: string, source: Source, label: string): Promise<FoundServer | undefined> => {
    tried.push(`${bin} (${label})`);
    try {
      return { path: bin, source, version: await version(bin), reason: '' };
    } catch (e) {
      log(`${label}: ${bin} is unusable: ${errorText(e)}`);
      return undefined;
    }
  };

  const fromEnvironment = async (): Promise<FoundServer | undefined> => {
    const interp = options.interpreter;
    if (!interp || !interp.path.trim()) {
      notes.push('no Python environment is selected');
      return undefined;
    }
    let python = expandPath(interp.path, options.workspaceFolder);
    if (!python.includes('/') && !python.includes('\\')) {
      const onPath = searchPath(python, env, platform);
      if (!onPath) {
        notes.push(`the selected interpreter "${interp.path}" (${interp.origin}) is not on PATH`);
        return undefined;
      }
      python = onPath;
    }
    const where = `the Python environment of ${python} (${interp.origin})`;
    const found = async (bin: string): Promise<FoundServer | undefined> => {
      const f = await tryCandidate(bin, 'environment', 'Python environment');
      if (f) {
        f.reason = `found in ${where}`;
      }
      return f;
    };
    const looked: string[] = [];
    for (const bin of environmentCandidates(python, platform)) {
      looked.push(bin);
      if (isExecutableFile(bin, platform)) {
        const f = await found(bin);
        if (f) {
          return f;
        }
      }
    }
    if (!fs.existsSync(python)) {
      notes.push(`the selected interpreter ${python} (${interp.origin}) does not exist`);
      return undefined;
    }
    try {
      for (const bin of await ask(python)) {
        if (looked.includes(bin)) {
          continue;
        }
        looked.push(bin);
        if (isExecutableFile(bin, platform)) {
          const f = await found(bin);
          if (f) {
            return f;
          }
        }
      }
    } catch (e) {
      log(`asking ${python} where keras-lsp is: ${errorText(e)}`);
    }
    notes.push(`no keras-lsp in ${where}; looked at ${looked.join(', ')}`);
    return undefined;
  };

  const fromBundle = async (): Promise<FoundServer | undefined> => {
    const bundled = path.join(options.extensionPath, 'server', binaryName(platform));
    if (!fs.existsSync(bundled)) {
      notes.push('no binary is bundled with the extension');
      return undefined;
    }
    if (platform !== 'win32') {
      // A .vsix does not always keep the executable bit.
      try {
        fs.accessSync(bundled, fs.constants.X_OK);
      } catch {
        try {
          fs.chmodSync(bundled, 0o755);
        } catch (e) {
          log(`could not make ${bundled} executable: ${errorText(e)}`);
        }
      }
    }
    const f = await tryCandidate(bundled, 'bundled', 'bundled');
    if (f) {
      f.reason = 'the binary bundled with the extension';
    } else {
      notes.push('the bundled binary is unusable');
    }
    return f;
  };

  const fromPath = async (): Promise<FoundServer | undefined> => {
    const onPath = searchPath(binaryName(platform).replace(/\.exe$/, ''), env, platform);
    if (!onPath) {
      tried.push('keras-lsp on PATH (not found)');
      return undefined;
    }
    const f = await tryCandidate(onPath, 'PATH', 'PATH');
    if (f) {
      f.reason = 'keras-lsp on PATH';
    }
    return f;
  };

  const order =
    strategy === 'useBundled' ? [fromBundle, fromEnvironment, fromPath] : [fromEnvironment, fromBundle, fromPath];
  for (const step of order) {
    const f = await step();
    if (f) {
      const why = [`kerasLsp.importStrategy is ${strategy}`, ...notes];
      f.reason = `${f.reason} (${why.join('; ')})`;
      return f;
    }
  }

  throw new ServerNotFoundError(
    `Keras LSP could not find the keras-lsp server (${notes.join('; ')}). ${HOW_TO_FIX}`,
    tried,
  );
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
