// The VS Code extension's logic, driven through a fake Host (the adapter's contract) against real
// specedit servers: streaming, review, stale documents, one edit, and every kind of failure shown
// with its action. VS Code itself cannot run here; extension-package.test.ts compiles the adapter
// against the real @types/vscode and packages the .vsix.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, plainKey } from '../src/config.js';
import { startServer, type Running } from '../src/server/serve.js';
import { runCommand } from '../extension/src/logic/flow.js';
import { applyReplacement, isStale, minimalReplacement, positionAt } from '../extension/src/logic/edit.js';
import { ACTION, type Action, type DocSnapshot, type Host, type Position, type ReviewDecision, type Settings } from '../extension/src/logic/host.js';
import { readSettings } from '../extension/src/logic/settings.js';
import { buildRequest, languageFor } from '../extension/src/logic/request.js';
import { formatDetails } from '../extension/src/logic/details.js';

const original = 'import os\n\n\ndef main():\n    print("hi")\n\n\nif __name__ == "__main__":\n    main()\n';
const snippet = '# ... existing code ...\ndef main():\n    print("hello")\n# ... existing code ...\n';
const expected = original.replace('"hi"', '"hello"');

let server: Running;
let authed: Running;
let limited: Running;
let hanging: { url: string; closed: () => number; close(): Promise<void> };
let failing: { url: string; close(): Promise<void> };
let deadUrl: string;

function rawServer(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) {
  const srv: Server = createServer(handler);
  return new Promise<{ url: string; srv: Server; close(): Promise<void> }>((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
        srv,
        close: () => new Promise<void>((done) => { srv.closeAllConnections(); srv.close(() => done()); }),
      }),
    ),
  );
}

beforeAll(async () => {
  server = await startServer({ ...DEFAULTS, port: 0 });
  authed = await startServer({ ...DEFAULTS, port: 0, auth: { ...DEFAULTS.auth, keys: [plainKey('s3cret-key')] } });
  limited = await startServer({ ...DEFAULTS, port: 0, rateLimits: { requestsPerMinute: 1, tokensPerMinute: 0 } });
  let closed = 0;
  const h = await rawServer((req, res) => {
    req.resume();
    res.on('close', () => closed++); // never answers: the client must give up or cancel
  });
  hanging = { url: h.url, closed: () => closed, close: h.close };
  failing = await rawServer((req, res) => {
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'internal', message: 'Internal error.' } }));
  });
  const dead = await rawServer(() => {});
  deadUrl = dead.url;
  await dead.close();
});
afterAll(async () => {
  await Promise.all([server.close(), authed.close(), limited.close(), hanging.close(), failing.close()]);
});

/** A VS Code stand-in: documents with versions, scripted user answers, every call recorded. */
class FakeHost implements Host {
  docs = new Map<string, DocSnapshot>();
  visible: string[] = [];
  active?: string;
  selection?: { uri: string; text: string };
  clipboard = '';
  instruction?: string;
  conf: Record<string, unknown> = {};
  key?: string;
  errors: { message: string; actions: Action[] }[] = [];
  errorAnswers: (Action | undefined)[] = [];
  infos: string[] = [];
  progress: string[] = [];
  edits: { uri: string; start: Position; end: Position; text: string }[] = [];
  reviews: { uri: string; proposed: string; title: string }[] = [];
  onReview: (doc: DocSnapshot, proposed: string) => ReviewDecision = () => 'accept';
  cancelAfterMs?: number;
  picks: DocSnapshot[][] = [];
  settingsOpened = 0;
  details: string[] = [];
  keyPromptAnswer?: string;

  open(uri: string, text: string, extra: Partial<DocSnapshot> = {}): DocSnapshot {
    const name = uri.split('/').pop()!;
    const d: DocSnapshot = { uri, name, path: name, languageId: 'python', version: 1, text, isUntitled: false, ...extra };
    this.docs.set(uri, d);
    this.visible.push(uri);
    this.active = uri;
    return d;
  }
  type(uri: string, text: string) {
    const d = this.docs.get(uri)!;
    this.docs.set(uri, { ...d, text, version: d.version + 1 });
  }
  text(uri: string) {
    return this.docs.get(uri)!.text;
  }

  activeDocument() {
    return this.active ? this.docs.get(this.active) : undefined;
  }
  document(uri: string) {
    return this.docs.get(uri);
  }
  visibleDocuments() {
    return this.visible.map((u) => this.docs.get(u)!);
  }
  activeSelection() {
    return this.selection;
  }
  async readClipboard() {
    return this.clipboard;
  }
  async askInstruction() {
    return this.instruction;
  }
  async pickDocument(docs: DocSnapshot[]) {
    this.picks.push(docs);
    return docs[docs.length - 1];
  }
  settings(): Settings {
    return readSettings((k) => this.conf[k]);
  }
  async apiKey() {
    return this.key;
  }
  async withProgress<T>(_title: string, task: (report: (m: string) => void, signal: AbortSignal) => Promise<T>) {
    const c = new AbortController();
    if (this.cancelAfterMs !== undefined) setTimeout(() => c.abort(), this.cancelAfterMs);
    return task((m) => this.progress.push(m), c.signal);
  }
  async review(doc: DocSnapshot, proposed: string, title: string) {
    this.reviews.push({ uri: doc.uri, proposed, title });
    return this.onReview(doc, proposed);
  }
  async applyEdit(doc: DocSnapshot, start: Position, end: Position, text: string) {
    this.edits.push({ uri: doc.uri, start, end, text });
    const cur = this.docs.get(doc.uri)!;
    // What VS Code does with a WorkspaceEdit: positions → offsets in the current text.
    const offset = (p: Position) => {
      const lines = cur.text.split('\n');
      return lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    };
    this.docs.set(doc.uri, { ...cur, text: cur.text.slice(0, offset(start)) + text + cur.text.slice(offset(end)), version: cur.version + 1 });
    return true;
  }
  showInfo(m: string) {
    this.infos.push(m);
  }
  async showError(message: string, actions: Action[]) {
    this.errors.push({ message, actions });
    return this.errorAnswers.shift();
  }
  openSettings() {
    this.settingsOpened++;
  }
  async promptApiKey() {
    this.key = this.keyPromptAnswer;
  }
  showDetails(t: string) {
    this.details.push(t);
  }
}

const hostFor = (url: string, extra: Record<string, unknown> = {}) => {
  const h = new FakeHost();
  h.conf = { serverUrl: url, ...extra };
  return h;
};

describe('extension: Apply Edit from Clipboard', () => {
  it('streams the merge, shows it for review, and applies it as one edit on Accept', async () => {
    const h = hostFor(server.url);
    h.open('file:///w/app.py', original);
    h.clipboard = snippet;
    expect(await runCommand(h, 'clipboard')).toEqual({ status: 'applied', uri: 'file:///w/app.py' });
    expect(h.reviews).toHaveLength(1);
    expect(h.reviews[0].proposed).toBe(expected);
    expect(h.reviews[0].title).toMatch(/app\.py ↔ specedit proposal \(structural, python\)/);
    expect(h.progress[0]).toBe('sending…');
    expect(h.progress.some((p) => /receiving the merged file… \d+%/.test(p))).toBe(true);
    expect(h.edits).toHaveLength(1); // one WorkspaceEdit: one undo step
    expect(h.edits[0]).toEqual({ uri: 'file:///w/app.py', start: { line: 4, character: 12 }, end: { line: 4, character: 13 }, text: 'ello' });
    expect(h.text('file:///w/app.py')).toBe(expected);
    expect(h.errors).toEqual([]);
  });

  it('Reject leaves the document alone', async () => {
    const h = hostFor(server.url);
    h.open('file:///w/app.py', original);
    h.clipboard = snippet;
    h.onReview = () => 'reject';
    expect(await runCommand(h, 'clipboard')).toEqual({ status: 'rejected' });
    expect(h.edits).toEqual([]);
    expect(h.text('file:///w/app.py')).toBe(original);
  });

  it('a document changed during review is not overwritten: it says so, and Retry merges into the new text', async () => {
    const h = hostFor(server.url);
    const uri = 'file:///w/app.py';
    h.open(uri, original);
    h.clipboard = snippet;
    let round = 0;
    h.onReview = () => {
      if (round++ === 0) h.type(uri, original + '# typed while reviewing\n');
      return 'accept';
    };
    h.errorAnswers = [ACTION.retry];
    expect(await runCommand(h, 'clipboard')).toEqual({ status: 'applied', uri });
    expect(h.errors[0].message).toMatch(/app\.py changed after the request was sent.*nothing was applied/);
    expect(h.errors[0].actions).toEqual([ACTION.retry]);
    expect(h.reviews).toHaveLength(2);
    expect(h.text(uri)).toBe(expected + '# typed while reviewing\n');
    expect(h.edits).toHaveLength(1);
  });

  it('without Retry a stale proposal is dropped', async () => {
    const h = hostFor(server.url);
    const uri = 'file:///w/app.py';
    h.open(uri, original);
    h.clipboard = snippet;
    h.onReview = () => (h.type(uri, 'x = 1\n'), 'accept');
    expect(await runCommand(h, 'clipboard')).toEqual({ status: 'stale' });
    expect(h.text(uri)).toBe('x = 1\n');
    expect(h.edits).toEqual([]);
  });

  it('the cursor line breaks a tie between two equally good places', async () => {
    const code = 'def a():\n    x = 1\n    return x\n\n\ndef b():\n    x = 1\n    return x\n';
    const h = hostFor(server.url);
    h.open('file:///w/m.py', code, { cursorLine: 6 });
    h.clipboard = '# ... existing code ...\n    x = 1\n    y = 2\n    return x\n# ... existing code ...\n';
    expect((await runCommand(h, 'clipboard')).status).toBe('applied');
    expect(h.text('file:///w/m.py')).toBe(code.replace(/(def b\(\):\n    x = 1\n)/, '$1    y = 2\n'));
    // Without it the refusal names both places.
    const h2 = hostFor(server.url);
    h2.open('file:///w/m.py', code);
    h2.clipboard = h.clipboard;
    expect((await runCommand(h2, 'clipboard')).status).toBe('failed');
    expect(h2.errors[0].message).toMatch(/ambiguous_anchor.*fits 2 places equally \(lines 2-3, lines 7-8\)/);
  });

  it('an edit already in the file: says so, no review', async () => {
    const h = hostFor(server.url);
    h.open('file:///w/app.py', expected);
    h.clipboard = snippet;
    expect(await runCommand(h, 'clipboard')).toEqual({ status: 'unchanged' });
    expect(h.infos[0]).toMatch(/already in app\.py/);
    expect(h.reviews).toEqual([]);
  });

  it('an empty clipboard or no open file is explained, no request made', async () => {
    const h = hostFor(server.url);
    expect(await runCommand(h, 'clipboard')).toEqual({ status: 'no_input' });
    expect(h.errors[0].message).toMatch(/Open the file to edit/);
    h.open('file:///w/app.py', original);
    expect(await runCommand(h, 'clipboard')).toEqual({ status: 'no_input' });
    expect(h.errors[1].message).toMatch(/clipboard is empty/);
  });
});

describe('extension: Apply Selection as Edit and Edit with Instruction', () => {
  it('applies the selected snippet to the other visible editor', async () => {
    const h = hostFor(server.url);
    h.open('file:///w/app.py', original);
    h.open('untitled:Untitled-1', snippet, { isUntitled: true, languageId: 'plaintext' });
    h.selection = { uri: 'untitled:Untitled-1', text: snippet };
    expect(await runCommand(h, 'selection')).toEqual({ status: 'applied', uri: 'file:///w/app.py' });
    expect(h.text('file:///w/app.py')).toBe(expected);
    expect(h.picks).toEqual([]);
  });

  it('asks which file when several are visible; explains when none is', async () => {
    const h = hostFor(server.url);
    h.open('file:///w/other.py', 'x = 1\n');
    h.open('file:///w/app.py', original);
    h.open('untitled:Untitled-1', snippet, { isUntitled: true });
    h.selection = { uri: 'untitled:Untitled-1', text: snippet };
    expect((await runCommand(h, 'selection')).status).toBe('applied');
    expect(h.picks[0].map((d) => d.name)).toEqual(['other.py', 'app.py']);
    const lone = hostFor(server.url);
    lone.open('untitled:Untitled-1', snippet, { isUntitled: true });
    lone.selection = { uri: 'untitled:Untitled-1', text: snippet };
    expect(await runCommand(lone, 'selection')).toEqual({ status: 'no_input' });
    expect(lone.errors[0].message).toMatch(/Open the file to apply the selected snippet to/);
  });

  it('an instruction without a model: says a model must be loaded on the server, not to change the mode', async () => {
    for (const mode of ['auto', 'structural', 'model']) {
      const h = hostFor(server.url, { mode });
      h.open('file:///w/app.py', original);
      h.instruction = 'greet louder';
      h.errorAnswers = [ACTION.showDetails];
      const r = await runCommand(h, 'instruction');
      expect(r).toMatchObject({ status: 'failed', failure: { kind: 'model_unavailable', status: 501 } });
      expect(h.errors[0].message).toMatch(/Editing with an instruction needs a model loaded on the specedit server at http:\/\/127\.0\.0\.1:\d+, and it has none \(model_unavailable\): start it with a model \(specedit serve --model FILE\.gguf\)/);
      expect(h.errors[0].message).toMatch(/Apply Edit from Clipboard/);
      // No mode makes an instruction work without a model: the message must not send the user there.
      expect(h.errors[0].message).not.toMatch(/specedit\.mode/);
      expect(h.errors[0].actions).toEqual([ACTION.showDetails]);
      expect(h.settingsOpened).toBe(0);
      expect(h.details[0]).toMatch(/model_unavailable \(HTTP 501\)/);
    }
  });

  it('a snippet with specedit.mode "model" and no model: suggests "auto", with Open Settings', async () => {
    const h = hostFor(server.url, { mode: 'model' });
    h.open('file:///w/app.py', original);
    h.clipboard = snippet;
    h.errorAnswers = [ACTION.openSettings];
    expect(await runCommand(h, 'clipboard')).toMatchObject({ status: 'failed', failure: { kind: 'model_unavailable' } });
    expect(h.errors[0].message).toMatch(/specedit\.mode is "model", which needs a model loaded on the specedit server .* Set specedit\.mode to "auto"/);
    expect(h.errors[0].actions).toEqual([ACTION.openSettings, ACTION.showDetails]);
    expect(h.settingsOpened).toBe(1);
    // and with "auto" the same snippet merges
    h.conf.mode = 'auto';
    expect(await runCommand(h, 'clipboard')).toMatchObject({ status: 'applied' });
  });

  it('cancelling the input box does nothing', async () => {
    const h = hostFor(server.url);
    h.open('file:///w/app.py', original);
    expect(await runCommand(h, 'instruction')).toEqual({ status: 'no_input' });
    expect(h.errors).toEqual([]);
  });
});

describe('extension: failures are clear messages with an action', () => {
  const run = async (url: string, setup: (h: FakeHost) => void = () => {}) => {
    const h = hostFor(url);
    h.open('file:///w/app.py', original);
    h.clipboard = snippet;
    setup(h);
    const result = await runCommand(h, 'clipboard');
    return { h, result };
  };

  it('422 refusal: the notification counts the lines, Show Details quotes them with their indentation', async () => {
    const lines = ['    nothing_like_this()', '        still_nothing()'];
    const { h, result } = await run(server.url, (h) => {
      h.clipboard = `# ...\n${lines.join('\n')}\n# ...\n`;
      h.errorAnswers = [ACTION.showDetails];
    });
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'refused', code: 'no_anchor' } });
    expect(h.errors[0].message).toMatch(/refused to merge into app\.py \(no_anchor\): 2 snippet lines match nothing in the file \(Show Details lists them as written\)/);
    // A notification collapses whitespace: no snippet text there, where its indentation would be lost.
    expect(h.errors[0].message).not.toMatch(/nothing_like_this|still_nothing/);
    expect(h.errors[0].actions).toEqual([ACTION.showDetails]);
    const details = h.details[0];
    expect(details).toMatch(/app\.py: no_anchor \(HTTP 422\), request \S+/);
    // Last, where the output channel (scrolled to its end) shows them.
    expect(details.endsWith(`Snippet lines that match nothing in the file (snippet lines 2-3), as written:\n    │ ${lines[0]}\n    │ ${lines[1]}\n`)).toBe(true);
    const answer = details.split('\n').find((l) => l.startsWith('The service answered: '))!;
    expect(JSON.parse(answer.slice('The service answered: '.length))).toMatchObject({ status: 422, code: 'no_anchor', details: { lines } });
    expect(h.text('file:///w/app.py')).toBe(original);
  });

  it('401: Set API Key stores it, and the next run goes through', async () => {
    const { h, result } = await run(authed.url, (h) => {
      h.errorAnswers = [ACTION.setApiKey];
      h.keyPromptAnswer = 's3cret-key';
    });
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'unauthorized', status: 401 } });
    expect(h.errors[0].message).toMatch(/did not accept the API key .*specedit: Set API Key/);
    expect(h.errors[0].actions).toEqual([ACTION.setApiKey, ACTION.openSettings]);
    expect(h.key).toBe('s3cret-key');
    expect(await runCommand(h, 'clipboard')).toMatchObject({ status: 'applied' });
  });

  it('429: says when to retry, offers Retry', async () => {
    const first = await run(limited.url);
    expect(first.result.status).toBe('applied');
    const { h, result } = await run(limited.url);
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'rate_limited', status: 429 } });
    expect(h.errors[0].message).toMatch(/rate limit was reached; retry in \d+ s/);
    expect(h.errors[0].actions).toEqual([ACTION.retry]);
  });

  it('unreachable server: Retry tries again, Open Settings is offered', async () => {
    const { h, result } = await run(deadUrl, (h) => (h.errorAnswers = [ACTION.retry, undefined]));
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'unreachable' } });
    expect(h.errors).toHaveLength(2);
    expect(h.errors[0].message).toMatch(/Cannot reach the specedit server at http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)\. Is the server running/);
    expect(h.errors[0].actions).toEqual([ACTION.retry, ACTION.openSettings]);
  });

  it('5xx: the status and code, Retry', async () => {
    const { h, result } = await run(failing.url);
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'server_error', status: 500 } });
    expect(h.errors[0].message).toMatch(/server failed \(HTTP 500, internal\)/);
    expect(h.errors[0].actions).toEqual([ACTION.retry, ACTION.showDetails]);
  });

  it('cancel in the progress notification aborts the request; nothing shown, nothing changed', async () => {
    const before = hanging.closed();
    const { h, result } = await run(hanging.url, (h) => (h.cancelAfterMs = 100));
    expect(result).toEqual({ status: 'cancelled' });
    expect(h.errors).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    expect(hanging.closed()).toBe(before + 1); // the connection was closed by the client
  });

  it('timeout: names the setting', async () => {
    const { h, result } = await run(hanging.url, (h) => (h.conf.timeoutSeconds = 0.3));
    expect(result).toMatchObject({ status: 'failed', failure: { kind: 'timeout' } });
    expect(h.errors[0].message).toMatch(/no complete answer within 0\.3 s \(specedit\.timeoutSeconds\)/);
    expect(h.errors[0].actions).toEqual([ACTION.retry, ACTION.openSettings]);
  });

  it('a bad setting is named, with Open Settings', async () => {
    const h = hostFor('localhost:8787');
    h.open('file:///w/app.py', original);
    expect(await runCommand(h, 'clipboard')).toMatchObject({ status: 'failed' });
    expect(h.errors[0]).toEqual({ message: expect.stringMatching(/specedit\.serverUrl must be an http\(s\) URL/), actions: [ACTION.openSettings] });
    expect(() => readSettings((k) => ({ mode: 'fast' })[k])).toThrow(/specedit\.mode must be one of auto, structural, model/);
    expect(readSettings(() => undefined)).toEqual({ serverUrl: 'http://127.0.0.1:8787', mode: 'auto', timeoutSeconds: 120 });
  });
});

describe('extension: request building and edit construction', () => {
  it('sends the path, the mode, the cursor as a hint; a language only when the path has none', () => {
    const doc: DocSnapshot = { uri: 'u', name: 'a.ts', path: 'src/a.ts', languageId: 'typescript', version: 1, text: 'x', isUntitled: false, cursorLine: 4 };
    expect(buildRequest(doc, { update: 'y' }, { serverUrl: 'http://x', mode: 'structural', timeoutSeconds: 1 })).toEqual({ code: 'x', update: 'y', path: 'src/a.ts', mode: 'structural', line_hints: [5] });
    expect(buildRequest(doc, { instruction: 'z' }, { serverUrl: 'http://x', mode: 'auto', timeoutSeconds: 1 })).not.toHaveProperty('line_hints');
    expect(languageFor({ path: 'Untitled-1', languageId: 'typescriptreact', isUntitled: true })).toBe('tsx');
    expect(languageFor({ path: 'Dockerfile', languageId: 'dockerfile', isUntitled: false })).toBeUndefined();
  });

  it('Show Details text: one named line verbatim, the places an ambiguous snippet fits, the JSON answer', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const lost = formatDetails({ ok: false, kind: 'refused', status: 422, code: 'snippet_lines_lost', message: 'A line of the update would be missing.', details: { line: '\t  x = 1' } }, 'a.py', at);
    expect(lost.split('\n')).toEqual([
      '[2026-01-02T03:04:05.000Z] a.py: snippet_lines_lost (HTTP 422)',
      'The service answered: {"status":422,"code":"snippet_lines_lost","message":"A line of the update would be missing.","details":{"line":"\\t  x = 1"}}',
      'A line of the update would be missing.',
      'Line, as written:',
      '    │ \t  x = 1',
      '',
    ]);
    const amb = formatDetails({ ok: false, kind: 'refused', status: 422, code: 'ambiguous_anchor', message: 'fits twice', details: { candidates: [{ start_line: 2, end_line: 3 }, { start_line: 7, end_line: 7 }] } }, 'a.py', at);
    expect(amb).toContain('Places it fits equally: lines 2-3, lines 7.');
    expect(amb).not.toContain('as written');
    const plain = formatDetails({ ok: false, kind: 'server_error', code: 'internal', message: 'boom' }, 'a.py', at);
    expect(plain).toBe('[2026-01-02T03:04:05.000Z] a.py: internal\nThe service answered: {"code":"internal","message":"boom"}\nboom\n');
  });

  it('the replacement is the changed middle only, never splitting CRLF or a surrogate pair', () => {
    expect(minimalReplacement('a\r\nb\r\n', 'a\r\nb\r\nc\r\n')).toEqual({ start: 6, end: 6, text: 'c\r\n' });
    const crlf = minimalReplacement('x\r\ny\r\n', 'x\ny\r\n')!;
    expect(applyReplacement('x\r\ny\r\n', crlf)).toBe('x\ny\r\n');
    expect(crlf.start).toBe(1);
    const emoji = minimalReplacement('a😀b', 'a😃b')!;
    expect(emoji).toEqual({ start: 1, end: 3, text: '😃' });
    expect(positionAt('ab\r\ncd\nef', 6)).toEqual({ line: 1, character: 2 });
    expect(minimalReplacement('same', 'same')).toBeUndefined();
  });

  it('positions and replacement reproduce the merged text (random edits)', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const alphabet = ['a', 'b', '\n', '\r\n', ' ', '😀', 'x'];
    const gen = (n: number) => Array.from({ length: n }, () => alphabet[rand(alphabet.length)]).join('');
    for (let i = 0; i < 300; i++) {
      const before = gen(rand(30));
      const after = before.slice(0, rand(before.length + 1)) + gen(rand(6)) + before.slice(rand(before.length + 1));
      const r = minimalReplacement(before, after);
      if (!r) {
        expect(after).toBe(before);
        continue;
      }
      expect(applyReplacement(before, r)).toBe(after);
      const s = positionAt(before, r.start);
      const lines = before.split('\n');
      expect(lines.slice(0, s.line).reduce((n, l) => n + l.length + 1, 0) + s.character).toBe(r.start);
    }
  });

  it('stale: another version with other text; the same text at a new version (undo) is fine', () => {
    expect(isStale({ version: 1, text: 'a' }, { version: 1, text: 'a' })).toBe(false);
    expect(isStale({ version: 1, text: 'a' }, { version: 3, text: 'a' })).toBe(false);
    expect(isStale({ version: 1, text: 'a' }, { version: 2, text: 'b' })).toBe(true);
    expect(isStale({ version: 1, text: 'a' }, undefined)).toBe(true);
  });
});
