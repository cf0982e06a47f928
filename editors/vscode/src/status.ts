// State shown in the LanguageStatusItem. No `vscode` import (unit-tested).

export type State =
  | { kind: 'starting' }
  | { kind: 'indexing'; title: string; message?: string; percentage?: number }
  | { kind: 'ready'; version: string; path: string; source: string }
  | { kind: 'stopped' }
  | { kind: 'error'; message: string };

export interface StatusView {
  text: string;
  detail: string;
  busy: boolean;
  severity: 'information' | 'warning' | 'error';
}

export function render(state: State): StatusView {
  switch (state.kind) {
    case 'starting':
      return { text: 'Keras LSP: starting', detail: '', busy: true, severity: 'information' };
    case 'indexing': {
      const parts = [state.message, state.percentage !== undefined ? `${Math.round(state.percentage)}%` : undefined];
      const detail = parts.filter((p) => p !== undefined && p !== '').join(' ');
      const title = state.title.replace(/^keras[- ]lsp:\s*/i, '') || 'working';
      return { text: `Keras LSP: ${title}`, detail, busy: true, severity: 'information' };
    }
    case 'ready':
      return { text: 'Keras LSP: ready', detail: `${state.version} (${state.source})`, busy: false, severity: 'information' };
    case 'stopped':
      return { text: 'Keras LSP: stopped', detail: 'Keras LSP: Restart Server', busy: false, severity: 'warning' };
    case 'error':
      return { text: 'Keras LSP: error', detail: state.message, busy: false, severity: 'error' };
  }
}
