// Finding the keras-lsp binary. No `vscode` import here, so it is unit-tested with node:test.
//
// Order: the `kerasLsp.server.path` setting, then the binary bundled in the extension's
// `server/` folder, then `keras-lsp` on PATH. Each candidate must answer `--version`.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type Source = 'setting' | 'bundled' | 'PATH';

export interface FoundServer {
  path: string;
  source: Source;
  /** First line printed by `--version`, e.g. `keras-lsp 0.1.0`. */
  version: string;
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

function isExecutableFile(p: string, platform: NodeJS.Platform): boolean {
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

export interface FindOptions {
  /** Value of `kerasLsp.server.path` (may be empty). */
  settingPath?: string;
  /** Root of the installed extension; the bundled binary is `server/keras-lsp` under it. */
  extensionPath: string;
  workspaceFolder?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  log?: (message: string) => void;
  version?: (bin: string) => Promise<string>;
}

export const HOW_TO_FIX =
  'Build it with `cargo build --release` in the keras-lsp repository (or `cargo install --path server`) and put ' +
  'the binary on PATH, or set `kerasLsp.server.path` to its full path.';

export async function findServer(options: FindOptions): Promise<FoundServer> {
  const platform = options.platform ?? process.platform;
  const log = options.log ?? (() => undefined);
  const version = options.version ?? ((bin: string) => readVersion(bin));
  const tried: string[] = [];

  const setting = (options.settingPath ?? '').trim();
  if (setting) {
    const bin = expandPath(setting, options.workspaceFolder);
    tried.push(`${bin} (kerasLsp.server.path)`);
    try {
      return { path: bin, source: 'setting', version: await version(bin) };
    } catch (e) {
      // An explicit setting is not silently replaced by another binary.
      throw new ServerNotFoundError(
        `kerasLsp.server.path is set to "${setting}", but that is not a working keras-lsp binary: ${errorText(e)}. ` +
          'Fix the path in the settings, or clear it to use the bundled binary or keras-lsp on PATH.',
        tried,
      );
    }
  }

  const bundled = path.join(options.extensionPath, 'server', binaryName(platform));
  if (fs.existsSync(bundled)) {
    tried.push(`${bundled} (bundled)`);
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
    try {
      return { path: bundled, source: 'bundled', version: await version(bundled) };
    } catch (e) {
      log(`bundled server unusable: ${errorText(e)}`);
    }
  }

  const onPath = searchPath(binaryName(platform).replace(/\.exe$/, ''), options.env ?? process.env, platform);
  if (onPath) {
    tried.push(`${onPath} (PATH)`);
    try {
      return { path: onPath, source: 'PATH', version: await version(onPath) };
    } catch (e) {
      log(`keras-lsp on PATH unusable: ${errorText(e)}`);
    }
  } else {
    tried.push('keras-lsp on PATH (not found)');
  }

  throw new ServerNotFoundError(`Keras LSP could not find the keras-lsp server. ${HOW_TO_FIX}`, tried);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
