// The thin adapter's contract: everything the extension's logic needs from VS Code, and nothing
// more. extension.ts implements it with the vscode API; tests implement it with plain objects.
import type { ApplyMode } from '../../../src/client/apply-client.js';

/** A document as the logic sees it, captured at one moment. */
export interface DocSnapshot {
  /** VS Code's uri, as a string (the adapter maps it back). */
  uri: string;
  /** File name for messages (basename). */
  name: string;
  /** Path sent to the server (workspace-relative, or the file name): it picks the grammar. */
  path: string;
  languageId: string;
  version: number;
  text: string;
  isUntitled: boolean;
  /** 0-based line of the cursor, if the document is in an editor. */
  cursorLine?: number;
}

export interface Settings {
  serverUrl: string;
  mode: ApplyMode;
  timeoutSeconds: number;
}

/** Replace [start, end) (UTF-16 offsets into the snapshot's text) with text. */
export interface Replacement {
  start: number;
  end: number;
  text: string;
}

export interface Position {
  line: number;
  character: number;
}

export type ReviewDecision = 'accept' | 'reject';

export const ACTION = {
  retry: 'Retry',
  openSettings: 'Open Settings',
  setApiKey: 'Set API Key',
  showDetails: 'Show Details',
} as const;
export type Action = (typeof ACTION)[keyof typeof ACTION];

export interface Host {
  /** The document in the active editor (undefined: none, or not a text editor). */
  activeDocument(): DocSnapshot | undefined;
  /** The same document as it is now (undefined: closed). */
  document(uri: string): DocSnapshot | undefined;
  /** Text documents shown in editors right now. */
  visibleDocuments(): DocSnapshot[];
  /** Selected text in the active editor, with its document's uri. */
  activeSelection(): { uri: string; text: string } | undefined;
  readClipboard(): Promise<string>;
  askInstruction(fileName: string): Promise<string | undefined>;
  pickDocument(docs: DocSnapshot[], placeHolder: string): Promise<DocSnapshot | undefined>;
  settings(): Settings;
  apiKey(): Promise<string | undefined>;
  /** Run task under a cancellable progress notification; cancelling aborts the signal. */
  withProgress<T>(title: string, task: (report: (message: string) => void, signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Show the proposed text against the document (a diff view) until the user accepts or rejects. */
  review(doc: DocSnapshot, proposed: string, title: string): Promise<ReviewDecision>;
  /** Apply one replacement as one WorkspaceEdit (one undo step); false if VS Code refused it. */
  applyEdit(doc: DocSnapshot, start: Position, end: Position, text: string): Promise<boolean>;
  showInfo(message: string): void;
  showError(message: string, actions: Action[]): Promise<Action | undefined>;
  openSettings(): void;
  promptApiKey(): Promise<void>;
  /** Longer details (the service's JSON) for "Show Details". */
  showDetails(text: string): void;
}
