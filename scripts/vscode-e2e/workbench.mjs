// Driving code-server's workbench through playwright-core: the few gestures the scenarios need,
// each waiting for what the user would see rather than sleeping. Selectors are VS Code's own
// classes (see shared/notes/vscode-e2e.md); a changed one fails loudly with a screenshot.
import { join } from 'node:path';

export class Workbench {
  constructor(page, shotsDir) {
    this.page = page;
    this.shotsDir = shotsDir;
    this.n = 0;
    this.shots = [];
  }

  async shot(name) {
    const file = join(this.shotsDir, `${String(++this.n).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    this.shots.push(file);
    return file;
  }

  async ready(timeoutMs = 180_000) {
    await this.page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
    await this.page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: timeoutMs });
  }

  explorerRow(name) {
    const exact = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
    return this.page.locator('.explorer-folders-view .monaco-list-row').filter({ hasText: exact });
  }

  /** Open a file from the explorer (a double click: pinned, not a preview another open replaces). */
  async open(name) {
    await this.explorerRow(name).dblclick();
    await this.page.locator('.tabs-container .tab.active').filter({ hasText: name }).first().waitFor({ timeout: 30_000 });
  }

  /**
   * Run a palette command by its full title ("specedit: Apply Edit from Clipboard"), clicking its
   * row (Enter could run a fuzzy match above it). Until the extension host has registered the
   * extension's commands (a minute on a cold start) the row is missing, and an open palette does
   * not refresh: reopen it until the row is there.
   */
  async command(title, { timeoutMs = 180_000 } = {}) {
    const until = Date.now() + timeoutMs;
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: title }).first();
    for (;;) {
      await this.page.keyboard.press('F1');
      await input.waitFor({ timeout: 15_000 });
      await input.fill(`>${title}`);
      try {
        await row.waitFor({ timeout: 5_000 });
        await row.click();
        return;
      } catch (e) {
        await this.page.keyboard.press('Escape');
        if (Date.now() > until) throw new Error(`no palette command "${title}" within ${timeoutMs / 1000} s`);
      }
    }
  }

  async setClipboard(text) {
    await this.page.evaluate((t) => navigator.clipboard.writeText(t), text);
  }

  async waitForDiff(timeoutMs = 90_000) {
    await this.page.waitForSelector('.monaco-diff-editor', { timeout: timeoutMs });
  }

  async diffOpen() {
    return (await this.page.locator('.monaco-diff-editor').count()) > 0;
  }

  /** Texts of the notification toasts on screen now. */
  async toasts() {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  }

  /** Wait for a toast whose text matches re; returns its locator. */
  async toast(re, timeoutMs = 60_000) {
    const loc = this.page.locator('.notifications-toasts .notification-toast').filter({ hasText: re }).first();
    await loc.waitFor({ timeout: timeoutMs });
    return loc;
  }

  /** Every notification, toasts that hid themselves included (from the notification center). */
  async allNotifications() {
    await this.command('Notifications: Show Notifications', { timeoutMs: 10_000 });
    const items = this.page.locator('.notifications-center .notification-list-item');
    await this.page.waitForTimeout(500);
    const texts = await items.allInnerTexts();
    await this.page.keyboard.press('Escape');
    return texts.map((t) => t.replace(/\s+/g, ' ').trim());
  }

  async clearNotifications() {
    await this.command('Notifications: Clear All Notifications', { timeoutMs: 10_000 });
  }

  /** After a failed scenario: no dialog, no editor, unsaved changes dropped (the next one starts clean). */
  async reset() {
    for (let i = 0; i < 2; i++) await this.page.keyboard.press('Escape');
    await this.command('View: Close All Editors', { timeoutMs: 15_000 });
    const dontSave = this.page.locator('.monaco-dialog-box .monaco-button').filter({ hasText: "Don't Save" });
    for (let i = 0; i < 5; i++) {
      try {
        await dontSave.first().click({ timeout: 2_000 });
      } catch {
        break;
      }
    }
  }

  async statusItem(text) {
    return this.page.locator('.statusbar-item').filter({ hasText: text });
  }

  titleAction(label) {
    return this.page.locator(`.editor-actions [aria-label*="${label}"]`);
  }

  /** The lines of the visible output channel, with the spaces monaco renders as nbsp put back. */
  async outputLines() {
    const lines = await this.page.locator('.part.panel .monaco-editor .view-lines .view-line').allInnerTexts();
    return lines.map((l) => l.replace(/\u00a0/g, ' '));
  }

  /** Let animations (toasts sliding in) finish before a screenshot. */
  async settle(ms = 800) {
    // Off the last clicked control, whose hover tooltip would cover the screenshot.
    await this.page.mouse.move(700, 500);
    await this.page.waitForTimeout(ms);
  }
}
