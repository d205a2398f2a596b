// The review of a proposal: a diff view plus controls that decide it, one review at a time.
//
// Why this shape: VS Code cannot dismiss a notification from the API, so a notification with
// Accept/Reject buttons outlived every decision made elsewhere (the diff's title bar, the palette,
// closing the diff) and its buttons then did nothing. Every control here is something the
// extension can take down again (the title-bar actions behind a context key, status-bar items),
// and all of them, and the diff, are taken down on whichever decision comes first, so nothing that
// looks like a pending question is left behind.
import type { DocSnapshot, ReviewDecision } from './host.js';

export interface Disposable {
  dispose(): void | Promise<void>;
}

export interface Controls extends Disposable {
  /** Point at the pending decision (a status-bar message, gone with the controls). */
  remind(): void;
}

export interface Diff extends Disposable {
  /** Bring the diff to the front again. */
  reveal(): Promise<void>;
}

/** What a review needs from the editor; extension.ts implements it with the vscode API. */
export interface ReviewUi {
  /** Show the controls that decide (title-bar actions, status-bar items) until disposed. */
  showControls(doc: DocSnapshot): Promise<Controls>;
  /**
   * Open the diff of doc against proposed. onClosed: the user closed the diff (a reject).
   * Disposing closes the diff if it is still open and forgets the proposal.
   */
  openDiff(doc: DocSnapshot, proposed: string, title: string, onClosed: () => void): Promise<Diff>;
}

export class Reviews {
  private settle?: (d: ReviewDecision) => void;
  private shown?: { controls?: Controls; diff?: Diff };

  /** Is a review waiting for a decision? (A new command must not start another one.) */
  get pending(): boolean {
    return this.settle !== undefined;
  }

  /** A decision from a command (title bar, status bar, palette); false when nothing is pending. */
  decide(d: ReviewDecision): boolean {
    const settle = this.settle;
    if (!settle) return false;
    settle(d);
    return true;
  }

  /**
   * Another command while a review is pending: show the pending diff again and point at its
   * controls, rather than a notification that would outlive the decision. False: none pending.
   */
  async remind(): Promise<boolean> {
    const shown = this.settle ? this.shown : undefined;
    if (!shown) return false;
    shown.controls?.remind();
    await shown.diff?.reveal();
    return true;
  }

  /** Show the proposal until the first decision; everything shown for it is gone on return. */
  async review(ui: ReviewUi, doc: DocSnapshot, proposed: string, title: string): Promise<ReviewDecision> {
    if (this.settle) throw new Error('specedit: a review is already pending');
    let resolve!: (d: ReviewDecision) => void;
    const decided = new Promise<ReviewDecision>((r) => (resolve = r));
    // Only the first decision counts: closing the diff after an Accept must not turn it into a reject.
    const settle = (d: ReviewDecision) => {
      if (this.settle !== settle) return;
      this.settle = undefined;
      resolve(d);
    };
    this.settle = settle;
    const shown: { controls?: Controls; diff?: Diff } = {};
    this.shown = shown;
    try {
      shown.controls = await ui.showControls(doc);
      shown.diff = await ui.openDiff(doc, proposed, title, () => settle('reject'));
      return await decided;
    } finally {
      if (this.settle === settle) this.settle = undefined;
      if (this.shown === shown) this.shown = undefined;
      const { controls, diff } = shown;
      // Controls first: once the diff closes, nothing may still offer a decision.
      await controls?.dispose();
      await diff?.dispose();
    }
  }
}
