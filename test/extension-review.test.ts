// The review of a proposal (extension/src/logic/review.ts) against a fake editor UI: whichever way
// the user decides (a command from the title bar, the status bar or the palette, or closing the
// diff), every control shown for the review and the diff itself are gone afterwards. The real
// VS Code showed why this matters: a notification with Accept/Reject stayed on screen after a
// decision made elsewhere, and VS Code has no API to dismiss it (npm run test:vscode checks the
// real UI; this checks the logic on every run).
import { describe, expect, it } from 'vitest';
import { Reviews, type ReviewUi } from '../extension/src/logic/review.js';
import type { DocSnapshot } from '../extension/src/logic/host.js';

const doc: DocSnapshot = { uri: 'file:///w/app.py', name: 'app.py', path: 'app.py', languageId: 'python', version: 1, text: 'x = 1\n', isUntitled: false };

/** Records what is on screen: live controls, open diffs, and the user's way to close one. */
class FakeUi implements ReviewUi {
  controls = 0;
  diffs = 0;
  reminders = 0;
  reveals = 0;
  opened: { proposed: string; title: string }[] = [];
  closeDiff?: () => void;
  failDiff = false;
  async showControls() {
    this.controls++;
    let live = true;
    let reminding = false;
    return {
      remind: () => {
        if (!reminding) this.reminders++;
        reminding = true;
      },
      dispose: () => {
        if (live) this.controls--;
        if (reminding) this.reminders--;
        live = false;
        reminding = false;
      },
    };
  }
  async openDiff(_doc: DocSnapshot, proposed: string, title: string, onClosed: () => void) {
    if (this.failDiff) throw new Error('no diff');
    this.diffs++;
    this.opened.push({ proposed, title });
    let open = true;
    this.closeDiff = () => {
      if (!open) return;
      open = false;
      this.diffs--;
      onClosed();
    };
    return {
      reveal: async () => {
        this.reveals++;
      },
      dispose: async () => {
        // What tabGroups.close does: the tab closes, and the tab listener (already removed by
        // then in extension.ts) would report it; here onClosed fires to prove it no longer counts.
        if (open) this.closeDiff!();
      },
    };
  }
  get onScreen() {
    return { controls: this.controls, diffs: this.diffs, reminders: this.reminders };
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('extension review: no control outlives the decision', () => {
  for (const [how, decide, expected] of [
    ['Accept (title bar, status bar or palette: the same command)', (r: Reviews) => r.decide('accept'), 'accept'],
    ['Reject command', (r: Reviews) => r.decide('reject'), 'reject'],
    ['closing the diff', (_r: Reviews, ui: FakeUi) => ui.closeDiff!(), 'reject'],
  ] as const) {
    it(`${how}: decides ${expected}, then the diff and every control are gone`, async () => {
      const reviews = new Reviews();
      const ui = new FakeUi();
      const decision = reviews.review(ui, doc, 'x = 2\n', 'app.py ↔ specedit proposal');
      await tick();
      expect(ui.onScreen).toEqual({ controls: 1, diffs: 1, reminders: 0 });
      expect(reviews.pending).toBe(true);
      // Another command meanwhile: the diff comes back and the status bar says why, no notification.
      expect(await reviews.remind()).toBe(true);
      expect(ui.reveals).toBe(1);
      expect(ui.onScreen).toEqual({ controls: 1, diffs: 1, reminders: 1 });
      decide(reviews, ui);
      expect(await decision).toBe(expected);
      expect(ui.onScreen).toEqual({ controls: 0, diffs: 0, reminders: 0 });
      expect(reviews.pending).toBe(false);
      expect(await reviews.remind()).toBe(false);
      expect(ui.reveals).toBe(1);
      expect(ui.opened).toEqual([{ proposed: 'x = 2\n', title: 'app.py ↔ specedit proposal' }]);
    });
  }

  it('only the first decision counts: the diff closing after Accept is not a reject, later commands do nothing', async () => {
    const reviews = new Reviews();
    const ui = new FakeUi();
    const decision = reviews.review(ui, doc, 'x = 2\n', 't');
    await tick();
    expect(reviews.decide('accept')).toBe(true);
    expect(reviews.decide('reject')).toBe(false);
    expect(await decision).toBe('accept');
    expect(reviews.decide('accept')).toBe(false); // a stale palette entry has nothing to act on
  });

  it('one review at a time; the next starts cleanly once the first is decided', async () => {
    const reviews = new Reviews();
    const ui = new FakeUi();
    const first = reviews.review(ui, doc, 'x = 2\n', 't');
    await tick();
    await expect(reviews.review(ui, doc, 'x = 3\n', 't')).rejects.toThrow(/already pending/);
    expect(ui.onScreen).toEqual({ controls: 1, diffs: 1, reminders: 0 });
    reviews.decide('reject');
    expect(await first).toBe('reject');
    const second = reviews.review(ui, doc, 'x = 3\n', 't');
    await tick();
    ui.closeDiff!();
    expect(await second).toBe('reject');
    expect(ui.onScreen).toEqual({ controls: 0, diffs: 0, reminders: 0 });
  });

  it('a diff that cannot open takes its controls down and leaves nothing pending', async () => {
    const reviews = new Reviews();
    const ui = new FakeUi();
    ui.failDiff = true;
    await expect(reviews.review(ui, doc, 'x = 2\n', 't')).rejects.toThrow(/no diff/);
    expect(ui.onScreen).toEqual({ controls: 0, diffs: 0, reminders: 0 });
    expect(reviews.pending).toBe(false);
  });
});
