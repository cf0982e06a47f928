import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import {
  ASK_INTERPRETER,
  askInterpreter,
  binaryName,
  environmentCandidates,
  expandPath,
  findServer,
  importStrategy,
  searchPath,
  ServerNotFoundError,
} from '../discovery';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'keras-lsp-vscode-'));
}

function fakeBinary(dir: string, versionLine: string | null, name = 'keras-lsp'): string {
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, name);
  const body = versionLine === null ? 'exit 3' : `echo "${versionLine}"`;
  fs.writeFileSync(bin, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return bin;
}

/** A fake virtualenv: `bin/python` (a script that fails if run) and, optionally, `bin/keras-lsp`. */
function fakeVenv(dir: string, versionLine: string | null | undefined): string {
  const python = fakeBinary(path.join(dir, 'bin'), null, 'python');
  if (versionLine !== undefined) {
    fakeBinary(path.join(dir, 'bin'), versionLine);
  }
  return python;
}

const unix = process.platform !== 'win32';
const noAsk = async () => [] as string[];

test('binaryName adds .exe on Windows only', () => {
  assert.equal(binaryName('linux'), 'keras-lsp');
  assert.equal(binaryName('win32'), 'keras-lsp.exe');
});

test('importStrategy accepts useBundled, anything else is fromEnvironment', () => {
  assert.equal(importStrategy('useBundled'), 'useBundled');
  assert.equal(importStrategy('fromEnvironment'), 'fromEnvironment');
  assert.equal(importStrategy(undefined), 'fromEnvironment');
  assert.equal(importStrategy('bogus'), 'fromEnvironment');
});

test('expandPath expands ~ and ${workspaceFolder}, resolves relative paths in the workspace', () => {
  assert.equal(expandPath('~/bin/keras-lsp', '/ws', '/home/u'), path.join('/home/u', 'bin/keras-lsp'));
  assert.equal(expandPath('${workspaceFolder}/target/release/keras-lsp', '/ws'), '/ws/target/release/keras-lsp');
  assert.equal(expandPath('target/release/keras-lsp', '/ws'), path.join('/ws', 'target/release/keras-lsp'));
  assert.equal(expandPath('.venv/bin/python', '/ws'), path.join('/ws', '.venv/bin/python'));
  assert.equal(expandPath('keras-lsp', '/ws'), 'keras-lsp');
});

test('environmentCandidates: next to the interpreter; on Windows also Scripts\\ below it', () => {
  assert.deepEqual(environmentCandidates('/p/.venv/bin/python', 'linux'), ['/p/.venv/bin/keras-lsp']);
  assert.deepEqual(environmentCandidates('C:\\p\\.venv\\Scripts\\python.exe', 'win32'), [
    'C:\\p\\.venv\\Scripts\\keras-lsp.exe',
  ]);
  assert.deepEqual(environmentCandidates('C:\\Python312\\python.exe', 'win32'), [
    'C:\\Python312\\keras-lsp.exe',
    'C:\\Python312\\Scripts\\keras-lsp.exe',
  ]);
});

test('searchPath finds an executable and skips non-executable files', { skip: !unix }, () => {
  const dir = tempDir();
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  fs.mkdirSync(a);
  fs.writeFileSync(path.join(a, 'keras-lsp'), 'not executable', { mode: 0o644 });
  const bin = fakeBinary(b, 'keras-lsp 9.9.9');
  assert.equal(searchPath('keras-lsp', { PATH: `${a}:${b}` }, 'linux'), bin);
  assert.equal(searchPath('keras-lsp', { PATH: a }, 'linux'), undefined);
});

test('the setting wins over everything, and a broken setting is an error (no silent fallback)', { skip: !unix }, async () => {
  const dir = tempDir();
  const good = fakeBinary(path.join(dir, 'good'), 'keras-lsp 1.2.3');
  const bad = fakeBinary(path.join(dir, 'bad'), null);
  const ext = path.join(dir, 'ext');
  fakeBinary(path.join(ext, 'server'), 'keras-lsp bundled');
  const python = fakeVenv(path.join(dir, 'venv'), 'keras-lsp venv');

  const interpreter = { path: python, origin: 'python.defaultInterpreterPath' };
  const found = await findServer({ settingPath: good, interpreter, extensionPath: ext, env: { PATH: '' }, ask: noAsk });
  assert.deepEqual(
    [found.path, found.source, found.version, found.reason],
    [good, 'setting', 'keras-lsp 1.2.3', 'kerasLsp.server.path is set'],
  );

  await assert.rejects(
    findServer({ settingPath: bad, interpreter, extensionPath: ext, env: { PATH: '' }, ask: noAsk }),
    (e: unknown) => e instanceof ServerNotFoundError && /kerasLsp\.server\.path/.test(e.message),
  );
});

test('fromEnvironment: the selected environment before the bundled binary and PATH', { skip: !unix }, async () => {
  const dir = tempDir();
  const ext = path.join(dir, 'ext');
  fakeBinary(path.join(ext, 'server'), 'keras-lsp bundled');
  const onPath = fakeBinary(path.join(dir, 'bin'), 'keras-lsp on-path');
  const python = fakeVenv(path.join(dir, 'venv'), 'keras-lsp venv');
  const found = await findServer({
    interpreter: { path: python, origin: 'python.defaultInterpreterPath' },
    extensionPath: ext,
    env: { PATH: path.dirname(onPath) },
    ask: noAsk,
  });
  assert.equal(found.path, path.join(dir, 'venv', 'bin', 'keras-lsp'));
  assert.equal(found.source, 'environment');
  assert.equal(found.version, 'keras-lsp venv');
  assert.equal(
    found.reason,
    `found in the Python environment of ${python} (python.defaultInterpreterPath) (kerasLsp.importStrategy is fromEnvironment)`,
  );
});

test('useBundled: the bundled binary before the environment', { skip: !unix }, async () => {
  const dir = tempDir();
  const ext = path.join(dir, 'ext');
  const bundled = fakeBinary(path.join(ext, 'server'), 'keras-lsp bundled');
  const python = fakeVenv(path.join(dir, 'venv'), 'keras-lsp venv');
  const interpreter = { path: python, origin: 'python.defaultInterpreterPath' };
  const found = await findServer({ importStrategy: 'useBundled', interpreter, extensionPath: ext, env: { PATH: '' }, ask: noAsk });
  assert.deepEqual([found.path, found.source], [bundled, 'bundled']);
  assert.match(found.reason, /^the binary bundled with the extension \(kerasLsp\.importStrategy is useBundled\)$/);

  // Nothing bundled (a universal .vsix): the environment is still used.
  const universal = await findServer({
    importStrategy: 'useBundled',
    interpreter,
    extensionPath: path.join(dir, 'no-ext'),
    env: { PATH: '' },
    ask: noAsk,
  });
  assert.equal(universal.source, 'environment');
  assert.match(universal.reason, /no binary is bundled with the extension/);
});

test('an environment without keras-lsp falls back to the bundled binary, and the log says why', { skip: !unix }, async () => {
  const dir = tempDir();
  const ext = path.join(dir, 'ext');
  fakeBinary(path.join(ext, 'server'), 'keras-lsp bundled');
  const python = fakeVenv(path.join(dir, 'venv'), undefined);
  const asked: string[] = [];
  const found = await findServer({
    interpreter: { path: python, origin: 'the environment selected in the Python extension' },
    extensionPath: ext,
    env: { PATH: '' },
    ask: async (p) => {
      asked.push(p);
      return [path.join(dir, 'venv', 'bin', 'keras-lsp'), path.join(dir, 'elsewhere', 'keras-lsp')];
    },
  });
  assert.deepEqual(asked, [python], 'the interpreter is asked when nothing is next to it');
  assert.equal(found.source, 'bundled');
  assert.match(found.reason, /no keras-lsp in the Python environment of .*venv\/bin\/python \(the environment selected in the Python extension\)/);
  assert.match(found.reason, /elsewhere\/keras-lsp/, 'the places looked at are named');
});

test('the interpreter is asked: a keras-lsp it names outside its bin/ is used (pip install --user)', { skip: !unix }, async () => {
  const dir = tempDir();
  const python = fakeVenv(path.join(dir, 'venv'), undefined);
  const userBin = fakeBinary(path.join(dir, 'home', '.local', 'bin'), 'keras-lsp user');
  const found = await findServer({
    interpreter: { path: python, origin: 'python.defaultInterpreterPath' },
    extensionPath: path.join(dir, 'no-ext'),
    env: { PATH: '' },
    ask: async () => [userBin],
  });
  assert.deepEqual([found.path, found.source, found.version], [userBin, 'environment', 'keras-lsp user']);
});

test('a bare interpreter name is looked up on PATH; a missing one is reported', { skip: !unix }, async () => {
  const dir = tempDir();
  const python = fakeVenv(path.join(dir, 'venv'), 'keras-lsp venv');
  const found = await findServer({
    interpreter: { path: 'python', origin: 'python.defaultInterpreterPath' },
    extensionPath: path.join(dir, 'no-ext'),
    env: { PATH: path.dirname(python) },
    ask: noAsk,
  });
  assert.deepEqual([found.source, found.version], ['environment', 'keras-lsp venv']);

  await assert.rejects(
    findServer({
      interpreter: { path: '/nonexistent/bin/python', origin: 'python.defaultInterpreterPath' },
      extensionPath: path.join(dir, 'no-ext'),
      env: { PATH: path.join(dir, 'empty') },
      ask: noAsk,
    }),
    (e: unknown) =>
      e instanceof ServerNotFoundError &&
      /the selected interpreter \/nonexistent\/bin\/python \(python.defaultInterpreterPath\) does not exist/.test(e.message) &&
      /pip install keras-lsp/.test(e.message),
  );
});

test('no environment selected: bundled binary, its lost executable bit restored', { skip: !unix }, async () => {
  const dir = tempDir();
  const ext = path.join(dir, 'ext');
  const bundled = fakeBinary(path.join(ext, 'server'), 'keras-lsp bundled');
  fs.chmodSync(bundled, 0o644);
  const onPath = fakeBinary(path.join(dir, 'bin'), 'keras-lsp on-path');
  const found = await findServer({ extensionPath: ext, env: { PATH: path.dirname(onPath) } });
  assert.equal(found.source, 'bundled');
  assert.equal(found.version, 'keras-lsp bundled');
  assert.match(found.reason, /no Python environment is selected/);
});

test('PATH is used when nothing else is found; a clear error when nothing is found', { skip: !unix }, async () => {
  const dir = tempDir();
  const onPath = fakeBinary(path.join(dir, 'bin'), 'keras-lsp on-path');
  const found = await findServer({ extensionPath: path.join(dir, 'none'), env: { PATH: path.dirname(onPath) } });
  assert.deepEqual([found.path, found.source, found.version], [onPath, 'PATH', 'keras-lsp on-path']);
  assert.equal(
    found.reason,
    'keras-lsp on PATH (kerasLsp.importStrategy is fromEnvironment; no Python environment is selected; no binary is bundled with the extension)',
  );

  await assert.rejects(
    findServer({ extensionPath: path.join(dir, 'none'), env: { PATH: path.join(dir, 'empty') } }),
    (e: unknown) =>
      e instanceof ServerNotFoundError &&
      /could not find/.test(e.message) &&
      /kerasLsp\.server\.path/.test(e.message) &&
      e.tried.includes('keras-lsp on PATH (not found)'),
  );
});

test('a bundled binary that fails --version falls back to PATH', { skip: !unix }, async () => {
  const dir = tempDir();
  const ext = path.join(dir, 'ext');
  fakeBinary(path.join(ext, 'server'), null);
  const onPath = fakeBinary(path.join(dir, 'bin'), 'keras-lsp on-path');
  const logs: string[] = [];
  const found = await findServer({ extensionPath: ext, env: { PATH: path.dirname(onPath) }, log: (m) => logs.push(m) });
  assert.equal(found.source, 'PATH');
  assert.match(logs.join('\n'), /bundled: .* is unusable/);
  assert.match(found.reason, /the bundled binary is unusable/);
});

test('askInterpreter runs the interpreter with the lookup script (a real python3 when there is one)', { skip: !unix }, async (t) => {
  const python3 = searchPath('python3');
  if (!python3) {
    t.skip('no python3 on PATH');
    return;
  }
  const lines = await askInterpreter(python3);
  assert.ok(lines.length >= 1, String(lines));
  assert.ok(lines[lines.length - 1].endsWith(`${path.sep}keras-lsp`), lines.join('\n'));
  assert.match(ASK_INTERPRETER, /find_keras_lsp_bin/);
});
