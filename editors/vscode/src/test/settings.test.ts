import assert from 'node:assert/strict';
import { test } from 'node:test';

import { settingsPayload } from '../settings';
import { render } from '../status';

function getter(values: Record<string, unknown>) {
  return <T>(key: string, fallback: T): T => (key in values ? (values[key] as T) : fallback);
}

test('settings are sent under kerasLsp with defaults', () => {
  assert.deepEqual(settingsPayload(getter({})), {
    kerasLsp: {
      inlayHints: { enabled: true, showDefaults: true },
      keras: 'auto',
      diagnostics: { select: [], ignore: [] },
    },
  });
});

test('settings carry the user values; an unknown keras version becomes auto', () => {
  const p = settingsPayload(getter({ 'inlayHints.enabled': false, 'inlayHints.showDefaults': false, keras: '2' }));
  assert.deepEqual(p.kerasLsp, {
    inlayHints: { enabled: false, showDefaults: false },
    keras: '2',
    diagnostics: { select: [], ignore: [] },
  });
  assert.equal(settingsPayload(getter({ keras: '4' })).kerasLsp.keras, 'auto');
});

test('diagnostic codes to turn on and off are forwarded; unknown codes are dropped', () => {
  const p = settingsPayload(
    getter({ 'diagnostics.ignore': ['shared-initializer', 'nope', 3], 'diagnostics.select': ['unresolved-initializer'] }),
  );
  assert.deepEqual(p.kerasLsp.diagnostics, { select: ['unresolved-initializer'], ignore: ['shared-initializer'] });
});

test('status rendering', () => {
  assert.equal(render({ kind: 'starting' }).busy, true);
  const indexing = render({ kind: 'indexing', title: 'keras-lsp: indexing', message: '3/10 files', percentage: 30 });
  assert.deepEqual([indexing.text, indexing.detail, indexing.busy], ['Keras LSP: indexing', '3/10 files 30%', true]);
  const ready = render({ kind: 'ready', version: 'keras-lsp 0.1.0', path: '/x', source: 'PATH' });
  assert.deepEqual([ready.text, ready.detail, ready.busy], ['Keras LSP: ready', 'keras-lsp 0.1.0 (PATH)', false]);
  assert.equal(render({ kind: 'error', message: 'boom' }).severity, 'error');
});
