// The thin VS Code adapter: implements Host with the vscode API and registers the commands.
// All decisions live in ./logic (tested with vitest against a real specedit server); this file
// only translates between VS Code objects and the logic's plain ones.
import * as vscode from 'vscode';
import { runCommand, type CommandKind } from './logic/flow.js';
import type { Action, DocSnapshot, Host, Position } from './logic/host.js';
import { Reviews, type ReviewUi } from './logic/review.js';
import { readSettings } from './logic/settings.js';

const SECRET_KEY = 'specedit.apiKey';
const SCHEME = 'specedit-proposal';

const baseName = (doc: vscode.TextDocument) => doc.uri.path.split('/').pop() || doc.fileName;

function snapshot(doc: vscode.TextDocument, editor?: vscode.TextEditor): DocSnapshot {
  const name = baseName(doc);
  return {
    uri: doc.uri.toString(),
    name,
    path: doc.isUntitled ? name : vscode.workspace.asRelativePath(doc.uri, false),
    languageId: doc.languageId,
    version: doc.version,
    text: doc.getText(),
    isUntitled: doc.isUntitled,
    cursorLine: editor?.selection.active.line,
  };
}

const editable = (doc: vscode.TextDocument) => doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled' || doc.uri.scheme === 'vscode-remote';

/** Read-only documents that hold proposals, shown on the right of the diff view. */
class Proposals implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private n = 0;
  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
  add(name: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${name}`, query: String(++this.n) });
    this.texts.set(uri.toString(), text);
    return uri;
  }
  delete(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }
}

const isProposalDiff = (t: vscode.Tab, right: vscode.Uri) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === right.toString();

/**
 * The review controls, all of which the extension can take down again (see logic/review.ts):
 * the diff's title-bar check/close (behind the specedit.reviewing context key) and two
 * status-bar items, there even when the diff is not the active tab. No notification: VS Code
 * offers no way to dismiss one, so it would outlive a decision made anywhere else. A command run
 * while a review is pending brings the diff back and says so in the status bar (gone with it).
 */
function reviewUiFor(proposals: Proposals): ReviewUi {
  return {
    async showControls(doc) {
      const item = (id: string, text: string, command: string, tooltip: string, priority: number) => {
        const it = vscode.window.createStatusBarItem(id, vscode.StatusBarAlignment.Left, priority);
        it.name = tooltip;
        it.text = text;
        it.command = command;
        it.tooltip = tooltip;
        it.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        it.show();
        return it;
      };
      const accept = item('specedit.accept', `$(check) Accept specedit change to ${doc.name}`, 'specedit.acceptProposal', `specedit: apply the proposed change to ${doc.name} (also ✓ in the diff's title bar)`, 1001);
      const reject = item('specedit.reject', '$(close) Reject', 'specedit.rejectProposal', `specedit: drop the proposed change to ${doc.name} (also ✕ in the diff's title bar, or close the diff)`, 1000);
      await vscode.commands.executeCommand('setContext', 'specedit.reviewing', true);
      let reminder: vscode.Disposable | undefined;
      return {
        remind() {
          reminder?.dispose();
          reminder = vscode.window.setStatusBarMessage(`$(info) specedit: accept or reject the proposed change to ${doc.name} first`, 10_000);
        },
        async dispose() {
          reminder?.dispose();
          accept.dispose();
          reject.dispose();
          await vscode.commands.executeCommand('setContext', 'specedit.reviewing', false);
        },
      };
    },
    async openDiff(doc, proposed, title, onClosed) {
      const right = proposals.add(doc.name, proposed);
      const tabs = vscode.window.tabGroups.onDidChangeTabs((e) => {
        if (e.closed.some((t) => isProposalDiff(t, right))) onClosed();
      });
      const dispose = async () => {
        tabs.dispose();
        const open = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => isProposalDiff(t, right));
        if (open.length > 0) await vscode.window.tabGroups.close(open);
        proposals.delete(right);
      };
      // Opening the same pair again focuses the tab that shows it.
      const show = () => Promise.resolve(vscode.commands.executeCommand('vscode.diff', vscode.Uri.parse(doc.uri), right, title, { preview: true })).then(() => undefined);
      try {
        await show();
      } catch (e) {
        await dispose();
        throw e;
      }
      return { dispose, reveal: show };
    },
  };
}

export function activate(context: vscode.ExtensionContext): void {
  const proposals = new Proposals();
  const output = vscode.window.createOutputChannel('specedit');
  const reviews = new Reviews();
  const reviewUi = reviewUiFor(proposals);

  const host: Host = {
    activeDocument() {
      const e = vscode.window.activeTextEditor;
      return e && editable(e.document) ? snapshot(e.document, e) : undefined;
    },
    document(uri) {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      if (!doc || doc.isClosed) return undefined;
      return snapshot(doc, vscode.window.visibleTextEditors.find((e) => e.document === doc));
    },
    visibleDocuments() {
      const seen = new Map<string, DocSnapshot>();
      for (const e of vscode.window.visibleTextEditors) if (editable(e.document) && !seen.has(e.document.uri.toString())) seen.set(e.document.uri.toString(), snapshot(e.document, e));
      return [...seen.values()];
    },
    activeSelection() {
      const e = vscode.window.activeTextEditor;
      if (!e || e.selection.isEmpty) return undefined;
      return { uri: e.document.uri.toString(), text: e.document.getText(e.selection) };
    },
    readClipboard: () => Promise.resolve(vscode.env.clipboard.readText()),
    askInstruction: (fileName) =>
      Promise.resolve(vscode.window.showInputBox({ title: 'specedit: Edit with Instruction', prompt: `Describe the change to ${fileName}`, placeHolder: 'e.g. validate the arguments of parse_config', ignoreFocusOut: true })),
    async pickDocument(docs, placeHolder) {
      const pick = await vscode.window.showQuickPick(
        docs.map((d) => ({ label: d.name, description: d.path, doc: d })),
        { placeHolder },
      );
      return pick?.doc;
    },
    settings: () => readSettings((key) => vscode.workspace.getConfiguration('specedit').get(key)),
    apiKey: () => Promise.resolve(context.secrets.get(SECRET_KEY)),
    withProgress: (title, task) =>
      Promise.resolve(
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          return task((message) => progress.report({ message }), controller.signal);
        }),
      ),
    review: (doc, proposed, title) => reviews.review(reviewUi, doc, proposed, title),
    async applyEdit(doc, start: Position, end: Position, text) {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(vscode.Uri.parse(doc.uri), new vscode.Range(start.line, start.character, end.line, end.character), text);
      return vscode.workspace.applyEdit(edit);
    },
    showInfo: (message) => void vscode.window.showInformationMessage(message),
    showError: (message, actions) => Promise.resolve(vscode.window.showErrorMessage(message, ...actions) as Thenable<Action | undefined>),
    openSettings: () => void vscode.commands.executeCommand('workbench.action.openSettings', 'specedit.'),
    async promptApiKey() {
      const key = await vscode.window.showInputBox({ title: 'specedit: API Key', prompt: 'The key for the specedit server (kept in VS Code SecretStorage). Empty clears it.', password: true, ignoreFocusOut: true });
      if (key === undefined) return;
      if (key.trim() === '') await context.secrets.delete(SECRET_KEY);
      else await context.secrets.store(SECRET_KEY, key.trim());
    },
    showDetails(text) {
      // The output channel keeps the snippet lines' indentation (a notification would not).
      output.appendLine(text);
      output.show(true);
    },
  };

  const command = (kind: CommandKind) => async () => {
    // One review at a time. No warning notification: it would stay after the decision.
    if (await reviews.remind()) return;
    try {
      await runCommand(host, kind);
    } catch (e) {
      output.appendLine(String((e as Error).stack ?? e));
      void vscode.window.showErrorMessage(`specedit: unexpected error: ${(e as Error).message}`);
    }
  };

  context.subscriptions.push(
    output,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, proposals),
    vscode.commands.registerCommand('specedit.applyClipboard', command('clipboard')),
    vscode.commands.registerCommand('specedit.applySelection', command('selection')),
    vscode.commands.registerCommand('specedit.editWithInstruction', command('instruction')),
    vscode.commands.registerCommand('specedit.acceptProposal', () => reviews.decide('accept')),
    vscode.commands.registerCommand('specedit.rejectProposal', () => reviews.decide('reject')),
    vscode.commands.registerCommand('specedit.setApiKey', () => host.promptApiKey()),
    vscode.commands.registerCommand('specedit.clearApiKey', async () => {
      await context.secrets.delete(SECRET_KEY);
      void vscode.window.showInformationMessage('specedit: API key cleared.');
    }),
  );
}

export function deactivate(): void {}
