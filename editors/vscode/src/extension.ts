import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  InlayHintRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State as ClientState,
  StaticFeature,
  WorkDoneProgress,
  WorkDoneProgressBegin,
  WorkDoneProgressCreateRequest,
  WorkDoneProgressReport,
} from 'vscode-languageclient/node';

import { errorText, findServer, FoundServer, importStrategy, ServerNotFoundError } from './discovery';
import { PYTHON_EXTENSION_ID, PythonExtensionExports, pythonApi, selectedInterpreter } from './python';
import { RESTART_KEYS, SERVER_KEYS, settingsPayload } from './settings';
import { render, State } from './status';

const SECTION = 'kerasLsp';

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let traceOutput: vscode.OutputChannel;
let status: vscode.LanguageStatusItem;
let found: FoundServer | undefined;
/** Serializes start/stop/restart. */
let lifecycle: Promise<void> = Promise.resolve();
/** Whether we listen to the Python extension's changes of the selected environment. */
let watchingPython = false;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('Keras LSP', { log: true });
  traceOutput = vscode.window.createOutputChannel('Keras LSP Trace');
  status = vscode.languages.createLanguageStatusItem('kerasLsp.status', { language: 'python' });
  status.name = 'Keras LSP';
  status.command = { title: 'Show Output', command: 'kerasLsp.showOutput' };
  context.subscriptions.push(output, traceOutput, status);

  context.subscriptions.push(
    vscode.commands.registerCommand('kerasLsp.restartServer', () => restart(context)),
    vscode.commands.registerCommand('kerasLsp.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => onConfigurationChanged(e, context)),
  );

  await restart(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}

function setState(state: State): void {
  const view = render(state);
  status.text = view.text;
  status.detail = view.detail;
  status.busy = view.busy;
  status.severity =
    view.severity === 'error'
      ? vscode.LanguageStatusSeverity.Error
      : view.severity === 'warning'
        ? vscode.LanguageStatusSeverity.Warning
        : vscode.LanguageStatusSeverity.Information;
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function payload() {
  const cfg = config();
  return settingsPayload(<T>(key: string, fallback: T) => cfg.get<T>(key, fallback));
}

function restart(context: vscode.ExtensionContext): Promise<void> {
  lifecycle = lifecycle.then(async () => {
    await stop();
    await start(context);
  });
  return lifecycle;
}

async function stop(): Promise<void> {
  const old = client;
  client = undefined;
  if (!old) {
    return;
  }
  try {
    await old.dispose(2000);
  } catch (e) {
    output.warn(`stopping the server: ${errorText(e)}`);
  }
}

/** Restart when the environment selected in the Python extension changes (subscribed once). */
async function watchPythonEnvironment(context: vscode.ExtensionContext): Promise<void> {
  if (watchingPython) {
    return;
  }
  const ext = vscode.extensions.getExtension<PythonExtensionExports>(PYTHON_EXTENSION_ID);
  const api = await pythonApi(ext, (m) => output.info(m));
  const onChange = api?.environments?.onDidChangeActiveEnvironmentPath;
  if (!onChange) {
    return;
  }
  watchingPython = true;
  context.subscriptions.push(
    onChange.call(api.environments, () => {
      if (importStrategy(config().get<string>('importStrategy')) === 'fromEnvironment' && !config().get<string>('server.path')) {
        output.info('the Python environment selected in the Python extension changed: restarting the server');
        void restart(context);
      }
    }),
  );
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  setState({ kind: 'starting' });
  const folder = vscode.workspace.workspaceFolders?.[0];
  const workspaceFolder = folder?.uri.fsPath;
  try {
    const strategy = importStrategy(config().get<string>('importStrategy', 'fromEnvironment'));
    // The selected environment is looked at unless kerasLsp.server.path decides (useBundled too:
    // its fallback when no binary is bundled).
    const interpreter = !config().get<string>('server.path', '').trim()
        ? await selectedInterpreter({
            pythonExtension: vscode.extensions.getExtension<PythonExtensionExports>(PYTHON_EXTENSION_ID),
            resource: folder?.uri,
            defaultInterpreterPath: vscode.workspace
              .getConfiguration('python', folder?.uri)
              .get<string>('defaultInterpreterPath'),
            log: (m) => output.info(m),
          })
        : undefined;
    await watchPythonEnvironment(context);
    found = await findServer({
      settingPath: config().get<string>('server.path', ''),
      importStrategy: strategy,
      interpreter,
      extensionPath: context.extensionPath,
      workspaceFolder,
      log: (m) => output.info(m),
    });
  } catch (e) {
    const message = errorText(e);
    output.error(message);
    if (e instanceof ServerNotFoundError) {
      output.info(`tried: ${e.tried.join('; ')}`);
    }
    setState({ kind: 'error', message });
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'kerasLsp.server.path');
      } else if (choice === 'Show Output') {
        output.show(true);
      }
    });
    return;
  }
  output.info(`using ${found.version} at ${found.path} (${found.source}): ${found.reason}`);

  const serverOptions: ServerOptions = { command: found.path, args: [], options: { env: process.env } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    initializationOptions: payload(),
    outputChannel: output,
    traceOutputChannel: traceOutput,
  };
  const next = new LanguageClient('kerasLsp', 'Keras LSP', serverOptions, clientOptions);
  const progress = new ProgressToStatus(next, setState, () => showReady(next, progress));
  next.registerFeature(progress);
  next.onDidChangeState((e) => {
    if (e.newState === ClientState.Stopped && client === next) {
      setState({ kind: 'stopped' });
    }
  });
  client = next;
  const t0 = Date.now();
  try {
    await next.start();
    output.info(`server initialized in ${Date.now() - t0} ms`);
  } catch (e) {
    const message = `Keras LSP: the server failed to start: ${errorText(e)}`;
    output.error(message);
    setState({ kind: 'error', message });
    void vscode.window.showErrorMessage(message, 'Show Output').then((c) => c && output.show(true));
    return;
  }
  showReady(next, progress);
}

function showReady(lc: LanguageClient, progress: ProgressToStatus): void {
  if (!found || client !== lc || !lc.isRunning()) {
    return;
  }
  if (progress.active > 0) {
    output.debug(`still indexing (${progress.active} progress token(s) open)`);
    return;
  }
  const info = lc.initializeResult?.serverInfo;
  setState({
    kind: 'ready',
    version: info ? `${info.name} ${info.version ?? ''}`.trim() : found.version,
    path: found.path,
    source: found.source,
  });
}

function onConfigurationChanged(e: vscode.ConfigurationChangeEvent, context: vscode.ExtensionContext): void {
  const changed = RESTART_KEYS.filter((k) => e.affectsConfiguration(k));
  if (changed.length > 0) {
    output.info(`${changed.join(', ')} changed: restarting the server`);
    void restart(context);
    return;
  }
  if (!SERVER_KEYS.some((k) => e.affectsConfiguration(k)) || !client?.isRunning()) {
    return;
  }
  const settings = payload();
  output.info(`settings changed: ${JSON.stringify(settings)}`);
  const running = client;
  void running.sendNotification(DidChangeConfigurationNotification.type, { settings }).then(() => {
    // Ask VS Code for fresh hints even if the server sends no workspace/inlayHint/refresh.
    const feature = running.getFeature(InlayHintRequest.method);
    for (const editor of vscode.window.visibleTextEditors) {
      feature?.getProvider(editor.document)?.onDidChangeInlayHints.fire();
    }
  });
}

/**
 * Shows the server's work-done progress ($/progress, e.g. indexing the workspace) in the
 * language status item. Registered after the built-in progress feature, so its
 * window/workDoneProgress/create handler is the one in effect.
 */
class ProgressToStatus implements StaticFeature {
  /** Progress tokens begun and not yet ended. */
  active = 0;

  constructor(
    private readonly lc: LanguageClient,
    private readonly show: (state: State) => void,
    private readonly done: () => void,
  ) {}

  fillClientCapabilities(): void {}

  getState() {
    return { kind: 'static' as const };
  }

  initialize(): void {
    this.lc.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
      let title = 'working';
      const disposable = this.lc.onProgress(
        WorkDoneProgress.type,
        params.token,
        (value: WorkDoneProgressBegin | WorkDoneProgressReport | { kind: 'end' }) => {
          if (value.kind === 'begin') {
            this.active += 1;
            title = value.title;
            this.show({ kind: 'indexing', title, message: value.message, percentage: value.percentage });
          } else if (value.kind === 'report') {
            this.show({ kind: 'indexing', title, message: value.message, percentage: value.percentage });
          } else {
            disposable.dispose();
            this.active = Math.max(0, this.active - 1);
            this.done();
          }
        },
      );
    });
  }

  clear(): void {}
}
