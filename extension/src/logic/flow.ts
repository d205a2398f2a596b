// The three commands, from input to applied edit, over the Host adapter:
// input → POST /apply (streamed, cancellable) → diff review → stale check → one WorkspaceEdit.
import { streamApply, type ApplyFailure, type ApplyRequestBody } from '../../../src/client/apply-client.js';
import { isStale, minimalReplacement, positionAt } from './edit.js';
import { ACTION, type DocSnapshot, type Host, type Settings } from './host.js';
import { describeFailure } from './messages.js';
import { buildRequest, type EditInput } from './request.js';
import { readSettingsSafely } from './settings-guard.js';

export type CommandKind = 'clipboard' | 'selection' | 'instruction';

export type FlowResult =
  | { status: 'applied'; uri: string }
  | { status: 'rejected' | 'unchanged' | 'cancelled' | 'no_input' }
  | { status: 'failed'; failure?: ApplyFailure; reason?: string }
  | { status: 'stale' };

export interface FlowOptions {
  /** Stop after this many Retry rounds (a guard; the user decides each one). */
  maxAttempts?: number;
}

/** Where the edit goes and what it is; undefined: the user was told why (or cancelled). */
async function gather(host: Host, kind: CommandKind): Promise<{ doc: DocSnapshot; input: EditInput } | undefined> {
  if (kind === 'selection') {
    const sel = host.activeSelection();
    if (!sel || sel.text.trim() === '') {
      void host.showError('Select the edit snippet first (in an editor), then run "specedit: Apply Selection as Edit". The file it applies to must be open beside it.', []);
      return undefined;
    }
    const targets = host.visibleDocuments().filter((d) => d.uri !== sel.uri);
    let doc: DocSnapshot | undefined;
    if (targets.length === 1) doc = targets[0];
    else if (targets.length > 1) doc = await host.pickDocument(targets, 'Apply the selected snippet to which file?');
    else {
      void host.showError('Open the file to apply the selected snippet to in another editor group (side by side), then run the command again.', []);
      return undefined;
    }
    return doc ? { doc, input: { update: sel.text } } : undefined;
  }
  const doc = host.activeDocument();
  if (!doc) {
    void host.showError('Open the file to edit in an editor first.', []);
    return undefined;
  }
  if (kind === 'clipboard') {
    const text = await host.readClipboard();
    if (text.trim() === '') {
      void host.showError('The clipboard is empty: copy the edit snippet (changed code with "... existing code ..." markers) first.', []);
      return undefined;
    }
    return { doc, input: { update: text } };
  }
  const instruction = await host.askInstruction(doc.name);
  if (!instruction || instruction.trim() === '') return undefined;
  return { doc, input: { instruction: instruction.trim() } };
}

function progressText(received: number, expected: number): string {
  const pct = expected > 0 ? Math.min(99, Math.floor((received / expected) * 100)) : 0;
  return `receiving the merged file… ${pct}%`;
}

export async function runCommand(host: Host, kind: CommandKind, opts: FlowOptions = {}): Promise<FlowResult> {
  const settings = readSettingsSafely(host);
  if (!settings) return { status: 'failed', reason: 'settings' };
  const got = await gather(host, kind);
  if (!got) return { status: 'no_input' };
  let doc = got.doc;
  const maxAttempts = opts.maxAttempts ?? 5;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = host.settings();
    const body: ApplyRequestBody = buildRequest(doc, got.input, current);
    const apiKey = await host.apiKey();
    const outcome = await host.withProgress(`specedit: applying to ${doc.name}`, (report, signal) => {
      report('sending…');
      return streamApply(body, {
        server: current.serverUrl,
        apiKey,
        signal,
        timeoutMs: current.timeoutSeconds * 1000,
        onDelta: (_t, received) => report(progressText(received, doc.text.length)),
      });
    });

    if (!outcome.ok) {
      if (outcome.kind === 'cancelled') return { status: 'cancelled' };
      const msg = describeFailure(outcome, {
        file: doc.name,
        serverUrl: current.serverUrl,
        timeoutSeconds: current.timeoutSeconds,
        input: 'instruction' in got.input ? 'instruction' : 'update',
        mode: current.mode,
      });
      const choice = await host.showError(msg.message, msg.actions);
      if (choice === ACTION.retry) continue;
      if (choice === ACTION.openSettings) host.openSettings();
      if (choice === ACTION.setApiKey) await host.promptApiKey();
      if (choice === ACTION.showDetails && msg.details) host.showDetails(msg.details);
      return { status: 'failed', failure: outcome };
    }

    if (outcome.content === doc.text) {
      host.showInfo(`specedit: the edit is already in ${doc.name}; nothing to change.`);
      return { status: 'unchanged' };
    }
    const decision = await host.review(doc, outcome.content, `${doc.name} ↔ specedit proposal (${outcome.mode}${outcome.language ? `, ${outcome.language}` : ''})`);
    if (decision === 'reject') return { status: 'rejected' };

    const now = host.document(doc.uri);
    if (isStale(doc, now)) {
      const choice = await host.showError(
        now
          ? `${doc.name} changed after the request was sent, so the proposal no longer fits it; nothing was applied. Retry to merge the edit into the file as it is now.`
          : `${doc.name} was closed; nothing was applied.`,
        now ? [ACTION.retry] : [],
      );
      if (choice === ACTION.retry && now) {
        doc = now;
        continue;
      }
      return { status: 'stale' };
    }
    const r = minimalReplacement(doc.text, outcome.content)!;
    const ok = await host.applyEdit(doc, positionAt(doc.text, r.start), positionAt(doc.text, r.end), r.text);
    if (!ok) {
      void host.showError(`VS Code did not apply the edit to ${doc.name} (is the file read-only?).`, []);
      return { status: 'failed', reason: 'edit_refused' };
    }
    return { status: 'applied', uri: doc.uri };
  }
  return { status: 'failed', reason: 'too_many_attempts' };
}

export type { Settings };
