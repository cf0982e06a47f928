import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PythonExtensionExports, PythonExtensionLike, selectedInterpreter } from '../python';

function fakeExtension(exports: PythonExtensionExports | undefined, active = false): PythonExtensionLike & { activations: number } {
  const ext = {
    isActive: active,
    exports: active ? exports : undefined,
    activations: 0,
    activate: async () => {
      ext.activations += 1;
      return exports;
    },
  };
  return ext;
}

const environments = (exe: string | undefined, seen: unknown[] = []) => ({
  getActiveEnvironmentPath: (resource?: unknown) => {
    seen.push(resource);
    return { id: 'venv', path: '/p/.venv' };
  },
  resolveEnvironment: async () => (exe ? { executable: { uri: { fsPath: exe } } } : { executable: {} }),
});

test('the Python extension is activated and its selected environment used', async () => {
  const seen: unknown[] = [];
  const ext = fakeExtension({ environments: environments('/p/.venv/bin/python', seen) });
  const found = await selectedInterpreter({ pythonExtension: ext, resource: 'folder-uri', defaultInterpreterPath: '/other/python' });
  assert.deepEqual(found, { path: '/p/.venv/bin/python', origin: 'the environment selected in the Python extension' });
  assert.equal(ext.activations, 1);
  assert.deepEqual(seen, ['folder-uri'], 'asked for the workspace folder');
});

test('an active Python extension is not activated again', async () => {
  const ext = fakeExtension({ environments: environments('/p/.venv/bin/python') }, true);
  await selectedInterpreter({ pythonExtension: ext });
  assert.equal(ext.activations, 0);
});

test('without the Python extension: python.defaultInterpreterPath', async () => {
  assert.deepEqual(await selectedInterpreter({ defaultInterpreterPath: ' /p/venv/bin/python ' }), {
    path: '/p/venv/bin/python',
    origin: 'python.defaultInterpreterPath',
  });
  assert.equal(await selectedInterpreter({ defaultInterpreterPath: '' }), undefined);
  assert.equal(await selectedInterpreter({}), undefined);
});

test('an environment without an executable, or an API that throws, falls back to the setting', async () => {
  const logs: string[] = [];
  const noExe = fakeExtension({ environments: environments(undefined) });
  assert.deepEqual(await selectedInterpreter({ pythonExtension: noExe, defaultInterpreterPath: 'python3', log: (m) => logs.push(m) }), {
    path: 'python3',
    origin: 'python.defaultInterpreterPath',
  });
  assert.match(logs.join('\n'), /has no Python executable/);

  const throwing = fakeExtension({
    environments: {
      getActiveEnvironmentPath: () => {
        throw new Error('boom');
      },
      resolveEnvironment: async () => undefined,
    },
  });
  const found = await selectedInterpreter({ pythonExtension: throwing, defaultInterpreterPath: '/x/python', log: (m) => logs.push(m) });
  assert.equal(found?.origin, 'python.defaultInterpreterPath');
  assert.match(logs.join('\n'), /boom/);

  const failing: PythonExtensionLike = { isActive: false, exports: undefined, activate: async () => Promise.reject(new Error('no')) };
  assert.equal((await selectedInterpreter({ pythonExtension: failing, defaultInterpreterPath: '/x/python' }))?.path, '/x/python');
});

test('older Python extensions: settings.getExecutionDetails', async () => {
  const ext = fakeExtension({ settings: { getExecutionDetails: () => ({ execCommand: ['/old/bin/python'] }) } });
  assert.deepEqual(await selectedInterpreter({ pythonExtension: ext }), {
    path: '/old/bin/python',
    origin: 'the interpreter selected in the Python extension',
  });
});
