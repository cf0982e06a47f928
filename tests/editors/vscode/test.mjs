// Drives the real VS Code workbench (code-server) in headless Chromium with playwright-core.
// Started by run.sh:  node test.mjs URL WORKSPACE SCREENSHOT_PNG CODE_SERVER_LOGS_DIR
// with VENV (the virtualenv the wheel was installed into, python.defaultInterpreterPath), EMPTY_VENV
// (one without keras-lsp) and SETTINGS_FILE (the user settings.json) in the environment.
// Prints `ok - NAME` / `FAIL - NAME: DETAIL` per check and `N passed, N failed` last.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, workspace, screenshot, logsDir] = process.argv.slice(2);
const { VENV: venv, EMPTY_VENV: emptyVenv, SETTINGS_FILE: settingsFile } = process.env;
if (!url || !workspace || !screenshot || !logsDir || !venv || !emptyVenv || !settingsFile) {
  console.error('usage: VENV=.. EMPTY_VENV=.. SETTINGS_FILE=.. node test.mjs URL WORKSPACE SCREENSHOT_PNG CODE_SERVER_LOGS_DIR');
  process.exit(2);
}
const venvBin = `${venv}/bin/keras-lsp`;

const started = Date.now();
let passed = 0;
let failed = 0;
const out = (line) => process.stdout.write(line + '\n');
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);

function check(name, cond, detail) {
  if (cond) {
    passed += 1;
    out(`ok - ${name} (${elapsed()} s)`);
  } else {
    failed += 1;
    out(`FAIL - ${name}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
  }
  return cond;
}

function missingFrom(text, needles) {
  return needles.filter((n) => !text.includes(n));
}

/** The extension's own log ("Keras LSP" output channel) as written to disk by the extension host. */
function extensionLog() {
  try {
    return readdirSync(logsDir, { recursive: true })
      .filter((f) => String(f).endsWith('Keras LSP.log'))
      .map((f) => readFileSync(join(logsDir, String(f)), 'utf8'))
      .join('\n');
  } catch {
    return '';
  }
}

const count = (text, needle) => text.split(needle).length - 1;

/** The extension's "using keras-lsp ... at PATH (SOURCE): REASON" lines, in order. */
const usingLines = () => extensionLog().split('\n').filter((l) => l.includes('using keras-lsp'));

/**
 * Changes user settings as a person edits settings.json: "Preferences: Open User Settings (JSON)", the
 * whole text replaced (one line, so that no auto-indent applies; run.sh turns auto-closing off), saved,
 * closed.
 * (Writing the file behind VS Code's back is not noticed by code-server.) `undefined` removes a key.
 */
async function editUserSettings(patch) {
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) {
      delete settings[key];
    } else {
      settings[key] = value;
    }
  }
  await runCommand('Preferences: Open User Settings (JSON)');
  // A modal editor in recent versions, an editor tab in older ones; it opens with the focus in it.
  await page.locator('.view-line', { hasText: 'workbench.startupEditor' }).first().waitFor({ timeout: 10000 });
  await page.waitForTimeout(500);
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(JSON.stringify(settings));
  await page.keyboard.press('Control+S');
  const saved = await poll(async () => {
    try {
      return JSON.stringify(JSON.parse(readFileSync(settingsFile, 'utf8'))) === JSON.stringify(settings);
    } catch {
      return false;
    }
  }, 10000);
  await debugShot('settings-json');
  // Close it: the modal editor's close button ("Close Modal Editor"; Escape goes to the text editor
  // while it has the focus), or, in versions that open an editor tab, "View: Close Editor".
  const open = page.locator('.view-line:visible', { hasText: 'workbench.startupEditor' });
  const modalClose = page.locator('.modal-editor-action-container .codicon-close:visible');
  if (await modalClose.count()) {
    await modalClose.first().click();
  } else {
    await runCommand('View: Close Editor');
  }
  if (!(await poll(async () => (await open.count()) === 0, 5000))) {
    throw new Error('settings.json did not close');
  }
  if (!saved) {
    throw new Error(`settings.json was not saved with ${JSON.stringify(patch)}: ${readFileSync(settingsFile, 'utf8')}`);
  }
}

/** Applies `patch` to the user settings and waits for the next server start; its "using" line. */
async function restartWith(patch) {
  const before = usingLines().length;
  await editUserSettings(patch);
  const line = await poll(async () => usingLines()[before] ?? '', 20000);
  return line || '';
}

async function poll(fn, timeoutMs, intervalMs = 200) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) {
      return last;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return last;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const consoleErrors = [];
let page;

async function editorLines() {
  // Visible lines of the active editor, with injected inlay hint text, top to bottom.
  return page.evaluate(() => {
    const editor = document.querySelector('.editor-group-container.active .monaco-editor .view-lines');
    if (!editor) {
      return [];
    }
    return [...editor.querySelectorAll('.view-line')]
      .map((el) => ({ top: parseFloat(el.style.top || '0'), text: el.textContent.replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text);
  });
}

let shots = 0;
async function debugShot(name) {
  if (process.env.DEBUG_SHOTS) {
    shots += 1;
    await page.screenshot({ path: `${process.env.DEBUG_SHOTS}/${String(shots).padStart(2, '0')}-${name}.png` });
  }
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await input.fill('>' + title);
  await debugShot('command-palette');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title.split(': ').pop() }).first().waitFor({ timeout: 10000 });
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
}

async function openFile(name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await input.fill(name);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ timeout: 15000 });
  await debugShot('quick-open');
  await row.click();
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 15000 });
}

/** Changes a setting through the Settings editor (user scope), as a person would. */
async function setSetting(id, value) {
  await runCommand('Preferences: Open User Settings');
  const search = page.locator('.settings-editor .suggest-input-container .monaco-editor, .settings-editor .search-container input').first();
  await search.waitFor({ timeout: 10000 });
  await search.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(`@id:${id}`);
  const item = page.locator('.settings-editor .setting-item-contents').first();
  await page.waitForTimeout(700);
  if ((await item.count()) === 0) {
    // Machine-scoped settings (kerasLsp.server.path) live in the Remote tab under code-server / Remote-SSH.
    await page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: 'Remote' }).first().click();
  }
  await item.waitFor({ timeout: 10000 });
  await page.waitForTimeout(500);
  await debugShot(`setting-found-${id}`);
  if (typeof value === 'boolean') {
    const box = item.locator('.setting-value-checkbox');
    const checked = (await box.getAttribute('aria-checked')) === 'true';
    if (checked !== value) {
      await box.click();
    }
  } else {
    const input = item.locator('input, textarea').first();
    await input.click();
    await page.keyboard.press('Control+A');
    if (value === '') {
      await page.keyboard.press('Delete');
    } else {
      await page.keyboard.type(String(value));
    }
    await page.waitForTimeout(1000); // the Settings editor saves text after a pause
  }
  await page.waitForTimeout(500);
  await debugShot(`setting-${id}`);
  // Close the Settings editor (a modal in recent versions, an editor tab in older ones).
  await page.keyboard.press('Escape');
  await page.waitForTimeout(300);
  if (await page.locator('.settings-editor:visible').count()) {
    await runCommand('View: Close Editor');
  }
}

/** Bounding box of the first occurrence of `needle` inside the editor line containing `lineText`. */
async function textBox(lineText, needle) {
  return page.evaluate(
    ({ lineText, needle }) => {
      const lines = [...document.querySelectorAll('.editor-group-container.active .monaco-editor .view-line')];
      const line = lines.find((l) => l.textContent.replace(/\u00a0/g, ' ').includes(lineText));
      if (!line) {
        return null;
      }
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.replace(/\u00a0/g, ' ');
        const i = text.indexOf(needle);
        if (i >= 0) {
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + needle.length);
          const r = range.getBoundingClientRect();
          return { x: r.x, y: r.y, width: r.width, height: r.height };
        }
      }
      return null;
    },
    { lineText, needle },
  );
}

async function run() {
  const context = await browser.newContext({ viewport: { width: 1600, height: 720 } });
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      consoleErrors.push(msg.text());
    }
  });

  await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
  await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60000 });
  check('workbench loaded with the fixture workspace', true);

  // The extension is installed (Extensions view would need the network; ask the command palette).
  await openFile('model.py');
  check('model.py opened', true);

  // Inlay hints: injected text in the editor lines.
  const wanted = {
    'keras.layers.Conv2D(': ['kernel=he_uniform', 'bias=zeros'],
    'keras.layers.LSTM(': ['kernel=glorot_uniform', 'recurrent_kernel=orthogonal'],
    'keras.layers.Dense(64': ['kernel=he_normal bias=zeros'],
    'inits.MyInit(': ['kernel=MyInit(scale=0.5'],
  };
  let lines = [];
  await poll(async () => {
    lines = await editorLines();
    return Object.entries(wanted).every(([key, needles]) => {
      const line = lines.find((l) => l.includes(key));
      return line && missingFrom(line, needles).length === 0;
    });
  }, 30000);
  for (const [key, needles] of Object.entries(wanted)) {
    const line = lines.find((l) => l.includes(key)) ?? '';
    const missing = missingFrom(line, needles);
    check(`inlay hint on the ${key} line shows ${needles.join(', ')}`, missing.length === 0, { line, missing });
  }

  // Hover the Dense layer with the mouse (side bar closed to give the editor the width).
  await page.keyboard.press('Control+B');
  await page.waitForTimeout(300);
  let hover = '';
  const box = await textBox('keras.layers.Dense(64', 'Dense');
  if (check('found the Dense layer name on screen', box !== null, lines)) {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    hover = await poll(async () => {
      const h = page.locator('.monaco-hover:visible').first();
      if ((await h.count()) === 0) {
        return '';
      }
      const text = await h.innerText().catch(() => '');
      return text.includes('Dense') ? text : '';
    }, 10000);
    hover = hover || '';
    const missing = missingFrom(hover, ['keras.layers.Dense', 'kernel', 'HeNormal', 'bias', 'Zeros']);
    check('hover over Dense shows the resolved kernel and bias initializers', missing.length === 0, {
      hover,
      missing,
    });
    await page.waitForTimeout(300);
    await page.screenshot({ path: screenshot });
    check(`screenshot saved to ${screenshot}`, true);
    await page.mouse.move(5, 300);
  }

  // Go to definition on the custom initializer's use (F12).
  const myInit = await textBox('inits.MyInit(', 'MyInit');
  if (check('found MyInit on screen', myInit !== null)) {
    await page.mouse.click(myInit.x + myInit.width / 2, myInit.y + myInit.height / 2);
    await page.keyboard.press('F12');
    let where = null;
    const landed = await poll(async () => {
      where = await page.evaluate(() => ({
        tabs: [...document.querySelectorAll('.tabs-container .tab.active')].map((t) => t.textContent.trim()),
        selection: document.getElementById('status.editor.selection')?.textContent.trim() ?? '',
      }));
      return where.tabs.some((t) => t.includes('inits.py')) && /Ln 4\b/.test(where.selection);
    }, 10000);
    const visible = (await editorLines()).join('\n');
    check(
      'go to definition opens inits.py at class MyInit',
      landed && visible.includes('class MyInit'),
      { where, visible },
    );
  }

  // The binary is the one pip installed into the selected Python environment (the virtualenv in
  // python.defaultInterpreterPath), not the one bundled in the .vsix.
  const first = (await poll(async () => usingLines()[0] ?? '', 10000)) || '';
  check(
    'the server is keras-lsp from the selected Python environment (python.defaultInterpreterPath), not the bundled one',
    first.includes(`at ${venvBin} (environment): found in the Python environment of ${venv}/bin/python (python.defaultInterpreterPath)`) &&
      first.includes('kerasLsp.importStrategy is fromEnvironment'),
    usingLines(),
  );

  // "Keras LSP: Show Output" opens the log, which names the server binary it found.
  await runCommand('Keras LSP: Show Output');
  const outputEditor = page.locator('.part.panel .monaco-editor').first();
  await outputEditor.waitFor({ timeout: 10000 });
  await outputEditor.click();
  await page.keyboard.press('Control+Home');
  await debugShot('output');
  const outputText = await poll(async () => {
    const t = (await page.locator('.part.panel .monaco-editor .view-lines').allInnerTexts().catch(() => []))
      .join('\n')
      .replace(/\u00a0/g, ' ');
    return /using keras-lsp[\s\S]*\(environment\): found in the Python environment/.test(t) ? t : '';
  }, 10000);
  check('"Keras LSP: Show Output" shows the log naming the binary chosen and why', Boolean(outputText), outputText);

  // Settings changed in the Settings editor reach the running server (didChangeConfiguration).
  const denseHint = async () => (await editorLines()).find((l) => l.includes('keras.layers.Dense(64')) ?? '';
  await page.locator('.part.panel .codicon-panel-close, .part.panel .codicon-close').first().click().catch(() => {});
  await setSetting('kerasLsp.inlayHints.enabled', false);
  await openFile('model.py');
  const hidden = await poll(async () => !(await denseHint()).includes('kernel=he_normal'), 10000);
  check('unticking kerasLsp.inlayHints.enabled hides the hints without a restart', hidden, await denseHint());
  await setSetting('kerasLsp.inlayHints.enabled', true);
  await openFile('model.py');
  const shown = await poll(async () => (await denseHint()).includes('kernel=he_normal'), 10000);
  check('ticking it again brings them back', shown, await denseHint());

  // A broken kerasLsp.server.path: a clear error, then recovery when it is cleared.
  await setSetting('kerasLsp.server.path', '/nonexistent/keras-lsp');
  const toast = await poll(async () => {
    const t = (await page.locator('.notifications-toasts').allInnerTexts().catch(() => [])).join('\n');
    return t.includes('kerasLsp.server.path') ? t : '';
  }, 10000);
  check(
    'a broken kerasLsp.server.path shows an error naming the setting and how to fix it',
    /kerasLsp\.server\.path is set to "\/nonexistent\/keras-lsp"[\s\S]*Fix the path/.test(toast || ''),
    toast,
  );
  await debugShot('server-path-error');
  const usedBefore = usingLines().length;
  await setSetting('kerasLsp.server.path', '');
  await openFile('model.py');
  const back = await poll(async () => (await denseHint()).includes('kernel=he_normal'), 15000);
  const again = usingLines()[usedBefore] ?? '';
  check(
    "clearing the setting restarts the environment's server (hints again)",
    back && again.includes(`at ${venvBin} (environment)`),
    { hint: await denseHint(), log: usingLines() },
  );

  // kerasLsp.importStrategy: useBundled takes the binary in the .vsix, fromEnvironment the venv's.
  let line = await restartWith({ 'kerasLsp.importStrategy': 'useBundled' });
  check(
    'kerasLsp.importStrategy = useBundled restarts with the bundled binary',
    /at \S+\/server\/keras-lsp \(bundled\): the binary bundled with the extension \(kerasLsp\.importStrategy is useBundled\)/.test(line),
    line,
  );
  const bundledHints = await poll(async () => (await denseHint()).includes('kernel=he_normal'), 15000);
  check('the bundled binary answers (hints)', bundledHints, await denseHint());
  line = await restartWith({ 'kerasLsp.importStrategy': undefined });
  check('back to fromEnvironment: the environment\'s binary again', line.includes(`at ${venvBin} (environment)`), line);

  // Selecting an environment without keras-lsp: the bundled binary, and the log says why.
  line = await restartWith({ 'python.defaultInterpreterPath': `${emptyVenv}/bin/python` });
  check(
    'an environment without keras-lsp falls back to the bundled binary, saying why',
    line.includes('(bundled)') && line.includes(`no keras-lsp in the Python environment of ${emptyVenv}/bin/python`),
    line,
  );
  line = await restartWith({ 'python.defaultInterpreterPath': `${venv}/bin/python` });
  check('selecting the virtualenv again brings its keras-lsp back', line.includes(`at ${venvBin} (environment)`), line);
  const envHints = await poll(async () => (await denseHint()).includes('kernel=he_normal'), 15000);
  check('and it answers (hints)', envHints, await denseHint());

  // "Keras LSP: Restart Server": a new server is initialized and answers again.
  const before = count(extensionLog(), 'server initialized in');
  await runCommand('Keras LSP: Restart Server');
  const reinit = await poll(async () => count(extensionLog(), 'server initialized in') > before, 15000);
  const restarted = reinit && (await poll(async () => (await denseHint()).includes('kernel=he_normal'), 15000));
  check('"Keras LSP: Restart Server" starts a new server that answers', restarted, {
    initializedBefore: before,
    log: extensionLog().split('\n').slice(-8),
    hint: await denseHint(),
  });

  // The language status item (the "{}" next to the language name in the status bar).
  const langStatus = page.locator('[id="status.languageStatus"]').first();
  let statusText = '';
  await poll(async () => {
    if ((await langStatus.count()) === 0) {
      return false;
    }
    await langStatus.click();
    await page.waitForTimeout(300);
    statusText = (await page.locator('.monaco-hover:visible, .context-view:visible').allInnerTexts().catch(() => [])).join('\n');
    await page.keyboard.press('Escape');
    return statusText.includes('Keras LSP: ready') && statusText.includes('(environment)');
  }, 10000, 500);
  check(
    'language status item shows "Keras LSP: ready" and the binary\'s source (environment)',
    (statusText || '').includes('Keras LSP: ready') && statusText.includes('(environment)'),
    statusText,
  );

  await diagnosticsAndQuickFix();
}

/**
 * diagnostics.py: the error squiggle of `unknown-initializer` on the misspelt identifier, its message
 * and code in the Problems panel, then the quick fix applied from the light bulb menu (Ctrl+.), which
 * changes the text and clears the diagnostic; undo restores both.
 */
async function diagnosticsAndQuickFix() {
  const lineKey = 'kernel_initializer="he_normall"';
  const fixedKey = 'kernel_initializer="he_normal")';
  const squiggles = () =>
    page.evaluate(() => document.querySelectorAll('.editor-group-container.active .monaco-editor .squiggly-error').length);
  await openFile('diagnostics.py');
  const shown = await poll(async () => (await squiggles()) > 0, 20000);
  check('diagnostics.py shows an error squiggle (a keras-lsp diagnostic)', shown, await editorLines());

  await runCommand('View: Toggle Problems');
  const problems = await poll(async () => {
    const t = (await page.locator('.markers-panel').allInnerTexts().catch(() => [])).join('\n');
    return t.includes('he_normall') ? t : '';
  }, 10000);
  check(
    'the Problems panel lists the unknown-initializer error with its message',
    /'he_normall' is not an initializer identifier[\s\S]*did you mean 'he_normal'/.test(problems || '') &&
      (problems || '').includes('unknown-initializer'),
    problems,
  );
  await page.locator('.part.panel .codicon-panel-close, .part.panel .codicon-close').first().click().catch(() => {});
  await debugShot('problems');

  const target = await textBox(lineKey, 'he_normall');
  if (!check('found the misspelt identifier on screen', target !== null, await editorLines())) {
    return;
  }
  await page.mouse.click(target.x + target.width / 2, target.y + target.height / 2);
  await page.keyboard.press('Control+.');
  const item = page.locator('.action-widget .monaco-list-row', { hasText: "Replace with 'he_normal'" }).first();
  const offered = await item
    .waitFor({ timeout: 10000 })
    .then(() => true)
    .catch(() => false);
  await debugShot('quick-fix-menu');
  check('Ctrl+. offers the quick fix "Replace with \'he_normal\'"', offered);
  if (!offered) {
    return;
  }
  await item.click();
  const fixed = await poll(async () => (await editorLines()).some((l) => l.includes(fixedKey)), 10000);
  check('applying the quick fix changes the text to "he_normal"', fixed, await editorLines());
  const cleared = await poll(async () => (await squiggles()) === 0, 10000);
  check('the diagnostic goes away after the fix', cleared, await squiggles());

  // Leave the fixture as it is on disk: undo the fix (the diagnostic comes back).
  await page.keyboard.press('Control+Z');
  const undone = await poll(async () => (await editorLines()).some((l) => l.includes(lineKey)), 5000);
  const back = undone && (await poll(async () => (await squiggles()) > 0, 10000));
  check('undo restores the text and the diagnostic', back, await editorLines());
}

try {
  await run();
} catch (e) {
  check('test script ran without error', false, String(e && e.stack ? e.stack : e));
} finally {
  if (failed > 0 && page && process.env.FAILURE_DIR) {
    await page.screenshot({ path: `${process.env.FAILURE_DIR}/failure.png` }).catch(() => {});
  }
  await browser.close().catch(() => {});
}
if (failed > 0 && consoleErrors.length) {
  out('# console errors:');
  for (const e of consoleErrors.slice(0, 20)) {
    out('#   ' + e.slice(0, 300));
  }
}
for (const line of extensionLog().split('\n').filter((l) => /using keras-lsp|initialized in/.test(l))) {
  out(`# extension log: ${line.trim()}`);
}
out(`# ${elapsed()} s in the browser`);
out(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
