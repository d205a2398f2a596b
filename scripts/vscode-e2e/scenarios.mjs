// What `npm run test:vscode` checks in a real VS Code: each scenario drives the workbench the way a
// user would, takes screenshots, and throws when what is on screen or on disk is not what it should
// be. The file contents are the same as test/extension.test.ts's, so both speak of the same merge.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FILES = {
  'app.py': 'import os\n\n\ndef main():\n    print("hi")\n\n\nif __name__ == "__main__":\n    main()\n',
  'greet.py': 'def greet(name):\n    return "hello " + name\n\n\ndef shout(name):\n    return greet(name).upper()\n',
  // A scratch file holding the snippet for greet.py, for "Apply Selection as Edit".
  'snippet.txt': '# ... existing code ...\ndef shout(name):\n    return greet(name).upper() + "!"\n',
};
const APP_SNIPPET = '# ... existing code ...\ndef main():\n    print("hello")\n# ... existing code ...\n';
const APP_EXPECTED = FILES['app.py'].replace('"hi"', '"hello"');
// Indented lines that match nothing: the indentation must survive into Show Details.
const UNANCHORED = ['    nothing_like_this()', '        still_nothing()'];
const REFUSED_SNIPPET = `# ... existing code ...\n${UNANCHORED.join('\n')}\n# ... existing code ...\n`;

class Failed extends Error {}
const check = (ok, what) => {
  if (!ok) throw new Failed(what);
};

async function waitFor(pred, timeoutMs, what) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > until) throw new Failed(what);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const onDisk = (ws, name) => readFileSync(join(ws, name), 'utf8');

/** After a decision, nothing may still offer one: no prompt, no status-bar item, no title-bar action. */
async function noReviewControlsLeft(wb, how) {
  await waitFor(async () => !(await wb.diffOpen()), 10_000, `${how}: the diff view is still open`);
  await waitFor(async () => (await (await wb.statusItem('Accept specedit change')).count()) === 0, 10_000, `${how}: the status-bar Accept item is still shown`);
  check((await wb.titleAction('Accept Proposed Change').count()) === 0, `${how}: a title-bar Accept action is still shown`);
  check((await (await wb.statusItem('accept or reject the proposed change')).count()) === 0, `${how}: the status-bar reminder is still shown`);
  const stale = (await wb.toasts()).filter((t) => /proposed change/i.test(t));
  check(stale.length === 0, `${how}: a notification about the proposal is still on screen: ${JSON.stringify(stale)}`);
}

export const scenarios = [
  {
    name: 'clipboard apply, Accept from the status bar, saved file is the merge',
    async run(wb, { ws }) {
      await wb.open('app.py');
      await wb.setClipboard(APP_SNIPPET);
      await wb.shot('clipboard-before');
      await wb.command('specedit: Apply Edit from Clipboard');
      await wb.waitForDiff();
      const accept = await wb.statusItem('Accept specedit change');
      await accept.first().waitFor({ timeout: 10_000 });
      check((await wb.titleAction('Accept Proposed Change').count()) > 0, 'the diff has no Accept action in its title bar');
      check((await wb.toasts()).every((t) => !/proposed change/i.test(t)), 'a notification asks about the proposal (it would go stale)');
      await wb.settle();
      await wb.shot('clipboard-diff-with-controls');
      await accept.first().click();
      await noReviewControlsLeft(wb, 'Accept from the status bar');
      await wb.command('File: Save All');
      await waitFor(() => onDisk(ws, 'app.py') === APP_EXPECTED, 15_000, `app.py on disk is not the merge after Accept and save:\n${onDisk(ws, 'app.py')}`);
      await wb.settle();
      await wb.shot('clipboard-accepted-saved');
    },
  },
  {
    name: 'selection apply beside the target, Reject from the diff title bar, file unchanged',
    async run(wb, { ws }) {
      await wb.command('View: Close All Editors');
      await wb.open('greet.py');
      await wb.open('snippet.txt');
      await wb.command('View: Move Editor into Next Group'); // snippet.txt beside greet.py
      await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await wb.page.keyboard.press('Control+A');
      await wb.shot('selection-before');
      await wb.command('specedit: Apply Selection as Edit');
      await wb.waitForDiff();
      await wb.titleAction('Reject Proposed Change').first().waitFor({ timeout: 10_000 });
      await wb.settle();
      await wb.shot('selection-diff');
      await wb.titleAction('Reject Proposed Change').first().click();
      await noReviewControlsLeft(wb, 'Reject from the title bar');
      await wb.command('File: Save All');
      await wb.settle(1500);
      check(onDisk(ws, 'greet.py') === FILES['greet.py'], `greet.py changed on disk after Reject:\n${onDisk(ws, 'greet.py')}`);
      await wb.shot('selection-rejected');
    },
  },
  {
    name: 'closing the diff rejects, and leaves no control behind',
    async run(wb, { ws }) {
      await wb.command('View: Close All Editors');
      await wb.open('greet.py');
      await wb.setClipboard(FILES['snippet.txt']);
      await wb.command('specedit: Apply Edit from Clipboard');
      await wb.waitForDiff();
      await wb.command('View: Close Editor');
      await noReviewControlsLeft(wb, 'closing the diff');
      await wb.settle();
      await wb.shot('diff-closed');
      check(onDisk(ws, 'greet.py') === FILES['greet.py'], 'greet.py changed on disk after closing the diff');
    },
  },
  {
    name: 'Accept from the palette; a second command meanwhile brings the diff back; saved file is the merge',
    async run(wb, { ws }) {
      await wb.command('View: Close All Editors');
      await wb.open('greet.py');
      await wb.setClipboard(FILES['snippet.txt']);
      await wb.command('specedit: Apply Edit from Clipboard');
      await wb.waitForDiff();
      // A second command while the review is pending: the diff stays, the status bar says why,
      // and no notification appears (it would stay on screen after the decision).
      await wb.command('specedit: Apply Edit from Clipboard');
      const reminder = await wb.statusItem('accept or reject the proposed change to greet.py first');
      await reminder.first().waitFor({ timeout: 15_000 });
      check(await wb.diffOpen(), 'the pending diff was closed by a second command');
      check((await wb.toasts()).every((t) => !/proposed change/i.test(t)), 'a notification about the pending proposal appeared');
      await wb.settle();
      await wb.shot('second-command-reminder');
      await wb.command('specedit: Accept Proposed Change');
      await noReviewControlsLeft(wb, 'Accept from the palette');
      await wb.command('File: Save All');
      const want = FILES['greet.py'].replace('upper()\n', 'upper() + "!"\n');
      await waitFor(() => onDisk(ws, 'greet.py') === want, 15_000, `greet.py on disk is not the merge after Accept and save:\n${onDisk(ws, 'greet.py')}`);
      await wb.settle();
      await wb.shot('palette-accepted-saved');
    },
  },
  {
    name: 'a refusal: the notification quotes no snippet text, Show Details keeps the indentation',
    async run(wb, { ws }) {
      await wb.command('View: Close All Editors');
      await wb.open('app.py');
      const before = onDisk(ws, 'app.py');
      await wb.setClipboard(REFUSED_SNIPPET);
      await wb.command('specedit: Apply Edit from Clipboard');
      const toast = await wb.toast(/refused to merge into app\.py \(no_anchor\)/);
      const text = await toast.innerText();
      check(/2 snippet lines match nothing/.test(text), `the refusal does not count the lines: ${text}`);
      check(!/nothing_like_this/.test(text), `the refusal quotes snippet text (its indentation would be lost): ${text}`);
      await wb.settle();
      await wb.shot('refusal-notification');
      await toast.locator('.monaco-button').filter({ hasText: 'Show Details' }).click();
      await wb.command('View: Toggle Maximized Panel'); // monaco renders only the lines in view
      await waitFor(async () => (await wb.outputLines()).some((l) => l.includes('still_nothing()')), 15_000, 'Show Details did not show the snippet lines in the output channel');
      const lines = await wb.outputLines();
      for (const want of UNANCHORED) check(lines.some((l) => l.endsWith(`│ ${want}`)), `the output channel does not show ${JSON.stringify(want)} with its indentation: ${JSON.stringify(lines)}`);
      await wb.settle();
      await wb.shot('refusal-details-output');
      check(onDisk(ws, 'app.py') === before, 'app.py changed on disk after a refusal');
      await wb.command('View: Toggle Maximized Panel');
      await wb.command('View: Hide Panel');
    },
  },
  {
    name: 'an instruction without a model: says a model is needed, not a mode',
    async run(wb) {
      await wb.command('specedit: Edit with Instruction...');
      const input = wb.page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 15_000 });
      await input.fill('greet louder');
      await wb.page.keyboard.press('Enter');
      const toast = await wb.toast(/model_unavailable/);
      const text = await toast.innerText();
      check(/needs a model loaded on the specedit server/.test(text), `model_unavailable does not say a model is needed: ${text}`);
      check(!/specedit\.mode/.test(text), `model_unavailable suggests specedit.mode for an instruction: ${text}`);
      await wb.settle();
      await wb.shot('instruction-model-unavailable');
    },
  },
  {
    name: 'an unreachable server: a clear message with Retry and Open Settings',
    async run(wb, { stopServer, serverUrl }) {
      await stopServer();
      await wb.page.keyboard.press('Escape');
      await wb.setClipboard(APP_SNIPPET.replace('hello', 'hey'));
      await wb.command('specedit: Apply Edit from Clipboard');
      const toast = await wb.toast(/Cannot reach the specedit server/);
      const text = await toast.innerText();
      check(text.includes(serverUrl) && /ECONNREFUSED/.test(text) && /Is the server running/.test(text), `the unreachable message is unclear: ${text}`);
      check((await toast.locator('.monaco-button').allInnerTexts()).join('|').includes('Open Settings'), 'no Open Settings on the unreachable message');
      await wb.settle();
      await wb.shot('unreachable');
    },
  },
];
