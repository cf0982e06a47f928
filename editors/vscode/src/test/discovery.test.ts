import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { binaryName, expandPath, findServer, searchPath, ServerNotFoundError } from '../discovery';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'keras-lsp-vscode-'));
}

function fakeBinary(dir: string, versionLine: string | null): string {
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'keras-lsp');
  const body = versionLine === null ? 'exit 3' : `echo "${versionLine}"`;
  fs.writeFileSync(bin, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return bin;
}

const unix = process.platform !== 'win32';

test('binaryName adds .exe on Windows only', () => {
  assert.equal(binaryName('linux'), 'keras-lsp');
  assert.equal(binaryName('win32'), 'keras-lsp.exe');
});

test('expandPath expands ~ and ${workspaceFolder}, resolves relative paths in the workspace', () => {
  assert.equal(expandPath('~/bin/keras-lsp', '/ws', '/home/u'), path.join('/home/u', 'bin/keras-lsp'));
  assert.equal(expandPath('${workspaceFolder}/target/release/keras-lsp', '/ws'), '/ws/target/release/keras-lsp');
  assert.equal(expandPath('target/release/keras-lsp', '/ws'), path.join('/ws', 'target/release/keras-lsp'));
  assert.equal(expandPath('keras-lsp', '/ws'), 'keras-lsp');
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

test('the setting wins, and a broken setting is an error (no silent fallback)', { skip: !unix }, async () => {
  const dir = tempDir();
  const good = fakeBinary(path.join(dir, 'good'), 'keras-lsp 1.2.3');
  const bad = fakeBinary(path.join(dir, 'bad'), null);
  const ext = path.join(dir, 'ext');
  fakeBinary(path.join(ext, 'server'), 'keras-lsp bundled');

  const found = await findServer({ settingPath: good, extensionPath: ext, env: { PATH: '' } });
  assert.deepEqual(found, { path: good, source: 'setting', version: 'keras-lsp 1.2.3' });

  await assert.rejects(
    findServer({ settingPath: bad, extensionPath: ext, env: { PATH: '' } }),
    (e: unknown) => e instanceof ServerNotFoundError && /kerasLsp\.server\.path/.test(e.message),
  );
});

test('bundled binary before PATH; its lost executable bit is restored', { skip: !unix }, async () => {
  const dir = tempDir();
  const ext = path.join(dir, 'ext');
  const bundled = fakeBinary(path.join(ext, 'server'), 'keras-lsp bundled');
  fs.chmodSync(bundled, 0o644);
  const onPath = fakeBinary(path.join(dir, 'bin'), 'keras-lsp on-path');
  const found = await findServer({ extensionPath: ext, env: { PATH: path.dirname(onPath) } });
  assert.equal(found.source, 'bundled');
  assert.equal(found.version, 'keras-lsp bundled');
});

test('PATH is used when nothing is bundled; a clear error when nothing is found', { skip: !unix }, async () => {
  const dir = tempDir();
  const onPath = fakeBinary(path.join(dir, 'bin'), 'keras-lsp on-path');
  const found = await findServer({ extensionPath: path.join(dir, 'none'), env: { PATH: path.dirname(onPath) } });
  assert.deepEqual(found, { path: onPath, source: 'PATH', version: 'keras-lsp on-path' });

  await assert.rejects(
    findServer({ extensionPath: path.join(dir, 'none'), env: { PATH: path.join(dir, 'empty') } }),
    (e: unknown) =>
      e instanceof ServerNotFoundError && /could not find/.test(e.message) && /kerasLsp\.server\.path/.test(e.message),
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
  assert.match(logs.join('\n'), /bundled server unusable/);
});
