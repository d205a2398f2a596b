// Deletions a snippet may not mean. Between two kept lines that stand next to each other in the
// snippet, the file may have lines the snippet neither shows nor marks: read literally, they are
// deleted. Models drop blank lines and comments from the context they copy far more often than an
// edit deletes only those, so such a gap is refused rather than read as a deletion (on the real-edit
// eval, 3% of clean snippets delete blank or comment lines alone; 12% of noisy ones drop them). Code
// lines skipped this way stay a deletion: that is how lazy snippets delete. Comments a model
// re-capitalised or re-punctuated are paired with the file's own.
import type { Node } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { documentedPath, inOrderWithin, isBlank, isTrivial, lcsPairs, leadingLength, subjectOf, TABLE_HEADER, withoutProperties } from './lines.js';
import { lastRow } from './closers.js';
import { MARKUP, opensMinusCloses, type OriginalIndex } from './align.js';
import { lineSpan, MergeRefusal } from './refusal.js';

/** A comment line in the language's syntax: a line comment, a block comment's first or last line, a ` * ` continuation. */
export function isCommentLine(line: string, lang: Language): boolean {
  const t = line.trim();
  if (lang.line.some((p) => t.startsWith(p) && !(p === '#' && /^#\s*(?:include|define|if|ifdef|ifndef|else|elif|endif|pragma|import|undef)\b/.test(t)))) return true;
  // (`/** @type {string} */ (path),` is code with a comment in front)
  if (lang.block.some(([open, close]) => (t.startsWith(open) && !codeAfter(t, open, close)) || t.endsWith(close))) return true;
  return lang.block.some(([open]) => open === '/*') && /^\*(?:\s|$)/.test(t);
}

/** A line that opens a block comment, closes it, and goes on with code. */
function codeAfter(t: string, open: string, close: string): boolean {
  const end = t.indexOf(close, open.length);
  return end >= 0 && t.slice(end + close.length).trim() !== '';
}

/**
 * Two kept lines the snippet shows next to each other, the file's lines between them deleted, where
 * one of those sets the name the second sets, to another value (`tokio = { … "full" }` matched in
 * `[dev-dependencies]`, the `[dependencies]` tokio line among the deleted): the snippet's line may
 * be that one edited, not the copy it was matched to. Refused as ambiguous, where the file sets
 * that name at three places at most.
 * `a`, `b`: [snippet line, original line] of the two kept lines.
 */
export function sameNameInGap(seg: string[], original: string[], a: [number, number], b: [number, number]): void {
  // (a name the file sets at three places at most: `err = …` on every other line of a C function
  // says nothing of which one the snippet's is)
  const rare = (l: string) => original.filter((x) => sameSubject(x.trim(), l)).length <= 3;
  // (the line after the gap only: one that sets the name of the line before it, `content: …` after
  // `content: …`, is a repeated setting the edit deletes)
  const shown = seg[b[0]].trim();
  // (or the file's line right after the first kept one is the snippet's line edited, the copy it was
  // matched to one of several: a plist's `<true/>` after its key, over the file's `<false/>`)
  const next = original.slice(a[1] + 1, b[1]).findIndex((l) => !isBlank(l));
  const edited = next < 0 ? '' : original[a[1] + 1 + next].trim();
  const bareTag = (l: string) => /^<[\w.:-]+\s*\/>$/.test(l);
  // (the shown line one of several copies; or the only one, past a blank line and the next
  // block's first lines, the line it reads like ending the statement the first kept line leaves
  // open: `… ON DELETE RESTRICT;` of the next constraint, over this one's `CASCADE;` right under
  // its `ADD CONSTRAINT …`. A whole block deleted starts after a line that ends one.)
  const gap = original.slice(a[1] + 1, b[1]);
  const pastBlock = next === 0 && /[\w(]$/.test(original[a[1]].trim()) && gap.some(isBlank) && gap.filter((l) => !isBlank(l)).length >= 2;
  if (edited !== '' && edited !== shown && (nearEdit(shown, edited) || (bareTag(shown) && bareTag(edited))) && (pastBlock || original.filter((l) => l.trim() === shown).length > 1)) {
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's line "${shown.slice(0, 60)}" was matched at line ${b[1] + 1} of the file${pastBlock ? '' : ', one of its copies'}, deleting lines ${a[1] + 2}-${b[1]} between it and the line it stands next to; line ${a[1] + 2 + next} ("${edited.slice(0, 60)}") reads like it edited: it may be an edit of that line instead. ` +
        'Show the lines around it as they stand in the file.',
      { line: a[1] + 2 + next, candidates: [b[1] + 1, a[1] + 2 + next], kind: 'same_name_in_gap' },
    );
  }
  for (let o = a[1] + 1; o < b[1]; o++) {
    const line = original[o].trim();
    if (line === '' || line === shown || !sameSubject(shown, line) || !rare(line)) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's line "${shown.slice(0, 60)}" was matched at line ${b[1] + 1} of the file, deleting lines ${a[1] + 2}-${b[1]} between it and the line it stands next to, among them line ${o + 1} ("${line.slice(0, 60)}"), which sets the same name: it may be an edit of that line instead. ` +
        'Show the lines around it as they stand in the file.',
      { line: o + 1, candidates: [b[1] + 1, o + 1], kind: 'same_name_in_gap' },
    );
  }
}

/**
 * Original lines [from, to) lie between two kept lines that the snippet shows next to each other.
 * Blank or comment lines alone: refused, they were far likelier dropped than deleted. Code with a
 * blank line on each side, or code with the only blank line between two lines that stay: refused too.
 */
export function unstatedDeletion(original: string[], from: number, to: number, lang: Language, edit?: EditShape): void {
  if (to <= from) return;
  const gap = original.slice(from, to);
  const code = gap.filter((l) => !isBlank(l));
  if (code.length === 0 || code.every((l) => isCommentLine(l, lang))) {
    const what = code.length === 0 ? 'blank' : 'comment';
    // (comments that name what the edit takes out elsewhere are judged once the whole edit is known)
    if (what === 'comment' && edit) return void edit.comments.push({ from, to, refuse: () => unstatedDeletion(original, from, to, lang) });
    // (blank lines alone, by how the snippet treats the blank lines of its context: blanksGoWithEdit)
    if (edit) return void edit.blanks.push({ from, to, refuse: () => unstatedDeletion(original, from, to, lang) });
    throw new MergeRefusal(
      'unstated_deletion',
      `The update shows lines ${from} and ${to + 1} of the file next to each other, which would delete the ${gap.length} ${what} line${gap.length === 1 ? '' : 's'} between them. ` +
        `Models drop such lines from their context by accident, so this is not read as a deletion: include the lines if they are to be kept.`,
      { start_line: from + 1, end_line: to, kind: what },
    );
  }
  // Lines that close the block both kept lines sit in and open another (`</dependency>`,
  // `<dependency>`, …): their deletion fuses two sibling blocks into one. Where the snippet's line
  // after the gap is also a later sibling's (`<optional>true</optional>` added to one dependency
  // and found in the next), the pairing went on to that sibling; a deletion of whole blocks shows
  // the lines around them. (One `} else {` deleted joins a branch to the code before it: an edit.)
  const tags = MARKUP.has(lang.id);
  const fuses = (a: number, b: number) => {
    let depth = 0;
    let closed = false;
    for (const l of original.slice(a, b)) {
      const n = isBlank(l) ? 0 : opensMinusCloses(l, tags);
      depth += n;
      if (depth < 0) closed = true;
      else if (closed && n > 0) return true;
    }
    return false;
  };
  // (at every place the deleted run can slide to and leave the same text: with the stripe bean's
  // last lines equal to the paypal bean's, a deletion of the paypal bean reads as one across them)
  let [a, b] = [from, to];
  while (a > 0 && original[a - 1] === original[b - 1]) [a, b] = [a - 1, b - 1];
  // (likewise a TOML or INI table's header with a key kept right after the stretch: the keys that
  // followed it would join the table before, `max_line_length = 120` of `[*.{java,kt}]` matched
  // for `[*.rs]`'s edited one. Files without a grammar only: C++'s `[[deprecated]]` is code.)
  const keyAfter = to < original.length && !isBlank(original[to]) && !TABLE_HEADER.test(original[to]) && !isCommentLine(original[to], lang);
  const tableCut = lang.grammarPath === null && keyAfter && gap.some((l) => l.startsWith('[') && TABLE_HEADER.test(l));
  let alwaysFuses = tableCut || fuses(a, b);
  while (alwaysFuses && !tableCut && b < original.length && original[a] === original[b]) {
    [a, b] = [a + 1, b + 1];
    alwaysFuses = fuses(a, b);
  }
  if (alwaysFuses) {
    const refuse = () => {
      throw new MergeRefusal(
        'unstated_deletion',
        `The update shows lines ${from} and ${to + 1} of the file next to each other, deleting the ${gap.length} lines between them, which close the block those lines sit in and open another: the two would become one. ` +
          'The update likely adds a line that a later look-alike block has, and was matched there: show the unchanged lines after the new ones.',
        { start_line: from + 1, end_line: to, kind: 'fuses_blocks' },
      );
    };
    // (unless the edit explains it, judged once the whole edit is known: the rule's name deleted
    // everywhere else too, as a cut through a construct is)
    if (edit) return void edit.cuts.push({ from, to, type: 'pair of blocks', start: a, end: b - 1, refuse });
    refuse();
  }
  // Code with a blank line on each side: whether one blank line stays to separate what was on
  // either side, the snippet cannot say (a model drops it as readily as an edit deletes it).
  if (gap.length >= 3 && isBlank(gap[0]) && isBlank(gap[gap.length - 1])) {
    throw new MergeRefusal(
      'unstated_deletion',
      `The update shows lines ${from} and ${to + 1} of the file next to each other, deleting the ${gap.length} lines between them together with the blank lines on both sides. ` +
        'Include the lines around the deletion as they should read afterwards (with or without a blank line between them).',
      { start_line: from + 1, end_line: to, kind: 'blank_separated' },
    );
  }
  // Code deleted with the only blank line that separated the kept lines on either side: the blank
  // stood between the deleted code and a group of lines that stays (`"use strict";`, blank,
  // imports), so an edit deleting the code keeps it; a model that dropped the blank and the
  // snippet that deletes the code read the same. Where a block opens just before (or closes just
  // after), the blank was the deleted code's own separator and goes with it.
  const outer = [original[from - 1], original[to]];
  if (gap.length >= 2 && (isBlank(gap[0]) || isBlank(gap[gap.length - 1])) && outer.every((l) => l !== undefined && !isBlank(l)) && !OPENS.test(outer[0]) && !CLOSES.test(outer[1])) {
    throw new MergeRefusal(
      'unstated_deletion',
      `The update shows lines ${from} and ${to + 1} of the file next to each other, deleting the ${gap.length} lines between them and the blank line that separated them. ` +
        'Models drop such blank lines from their context; include the lines around the deletion as they should read afterwards.',
      { start_line: from + 1, end_line: to, kind: 'blank_separated' },
    );
  }
}

/** What a merge does to the file, for skippedBesideEdit. */
export interface EditShape {
  /** Original lines deleted. */
  deleted: Set<number>;
  /** Where new lines go: between original lines (o + 0.5 follows line o). */
  insertedAt: number[];
  /** The new lines' text. */
  added: string[];
  /** Original stretches [from, to) between two kept lines the snippet shows side by side. */
  silent: [number, number][];
  /** Those of them that hold comment lines only (unstatedDeletion), judged by commentsGoWithEdit. */
  comments: { from: number; to: number; refuse: () => void }[];
  /** Those of them whose deletion takes blank lines between kept ones (unstatedDeletion), judged by blanksGoWithEdit. */
  blanks: { from: number; to: number; refuse: () => void }[];
  /** Single blank lines the snippet shows between two kept lines, where the file has them. */
  faithfulBlanks: number;
  /** Those of them that cut through a construct (cutConstruct), or join two blocks (`refuse` says so). */
  cuts: { from: number; to: number; type: string; start: number; end: number; refuse?: () => void }[];
}

/**
 * Blank lines the snippet drops between two kept lines (alone, or with code it deletes): refused
 * (unstatedDeletion), unless the snippet copies its context's blank lines faithfully elsewhere (a
 * single blank line between two kept lines, as the file has it) and drops blank lines at this one
 * place only. A model that drops blank lines from its context drops them all; one that keeps them
 * and leaves one out means it.
 */
export function blanksGoWithEdit(edit: EditShape): void {
  if (edit.blanks.length === 1 && edit.faithfulBlanks > 0) return;
  for (const { refuse } of edit.blanks) refuse();
}

/**
 * Comment lines alone that the snippet skips between two kept lines: refused (unstatedDeletion),
 * unless they name code the edit takes out elsewhere and puts back nowhere (`/** @import
 * NormalModule *\/` with the last use of `NormalModule` changed): a model copying context drops a
 * comment whatever it says, an edit drops the one that speaks of what it removed.
 */
export function commentsGoWithEdit(original: string[], edit: EditShape, lang: Language): void {
  const gaps = new Set(edit.comments.flatMap(({ from, to }) => Array.from({ length: to - from }, (_, k) => from + k)));
  const removed = [...edit.deleted].filter((o) => !gaps.has(o) && !isCommentLine(original[o], lang)).map((o) => original[o]).join('\n');
  const added = edit.added.join('\n');
  const addedVariables = withoutProperties(added);
  const code = original.filter((l) => !isCommentLine(l, lang)).join('\n');
  for (const { from, to, refuse } of edit.comments) {
    // (blank lines beside the comment are no name's; and prose words such as "import" say nothing:
    // a name is written as code is, camelCase or snake_case)
    const gap = original.slice(from, to);
    if (gap.some(isBlank)) refuse();
    const names = new Set(gap.flatMap((l) => l.match(IDENT) ?? []).filter((w) => /[a-z][A-Z]|_|\d|\$/.test(w)));
    if ([...names].some((w) => usesName(code, w) && usesName(removed, w) && !usesName(added, w))) continue;
    // (a parameter's documentation, `@param {number} count`, goes with the parameter, whatever its
    // name; the new code may still read a property of that name, `options.count`)
    if (gap.map(documentedPath).some((w) => w !== undefined && !w.includes('.') && usesName(code, w) && usesName(removed, w) && !usesName(addedVariables, w))) continue;
    refuse();
  }
}

/**
 * A few code lines the snippet skips silently right beside its real change, sharing nothing with
 * it. A lazy snippet deletes by leaving lines out, so a skipped stretch reads as a deletion; but a
 * model copying context skips lines just the same (the elided-context eval: 2-4 lines dropped from
 * the context around an edit). A deletion that belongs to the edit names what the edit touches
 * (a parameter dropped with its uses, a guard with the variable it checked), and one of its own
 * stands apart from the other changes; an unrelated few lines gone right beside a change are what
 * a skip looks like. Refused.
 */
export function skippedBesideEdit(original: string[], edit: EditShape, lang: Language): void {
  if (edit.silent.length === 0 && edit.cuts.length === 0) return;
  const counts = tally(original);
  const silent = new Set(edit.silent.flatMap(([from, to]) => Array.from({ length: to - from }, (_, k) => from + k)));
  const addedText = edit.added.map((l) => l.trim());
  const addedHeads = new Set(edit.added.map(head).filter((h) => h !== null));
  // A skipped stretch that cuts through a construct, whatever its size, unless the edit explains it.
  for (const cut of edit.cuts) {
    const { from, to } = cut;
    // (code deleted with part of a comment beside it: whatever the code's deletion means, the
    // comment's other part stays, so its lines were skipped, not deleted)
    const halfComment = cut.type.includes('comment') && original.slice(from, to).some((l) => !isBlank(l) && !isCommentLine(l, lang));
    // (a cut that fuses two blocks is explained only by lines deleted outright: lines replaced by
    // new ones may be the same pairing's, a look-alike block's lines rewritten into the new one)
    const explains = (o: number) => (o < from || o >= to) && (cut.type !== 'pair of blocks' || !replaced(edit, o));
    if (!halfComment && deletesWithEdit(original.slice(from, to), addedText, [...edit.deleted].filter(explains).map((o) => original[o]))) continue;
    cut.refuse?.();
    throw new MergeRefusal(
      'unstated_deletion',
      `The update shows lines ${from} and ${to + 1} of the file next to each other, which would delete ${lineSpan(from + 1, to)}, part of ${/^[aeiou]/.test(cut.type) ? 'an' : 'a'} ${cut.type} (${lineSpan(cut.start + 1, cut.end + 1)}). ` +
        'That reads as context skipped by accident rather than a deletion: include the lines if they are to be kept, or the whole construct if it is to go.',
      { start_line: from + 1, end_line: to, kind: 'partial_construct', construct: cut.type },
    );
  }
  for (const [from, to] of edit.silent) {
    const gap = original.slice(from, to);
    if (gap.length < 2 || gap.length > SKIP_MAX || gap.every(isBlank)) continue;
    // The changes the snippet states: new lines, and lines deleted where it puts something else.
    // (Other silent stretches beside this one make a deletion-only edit: unused imports dropped.)
    const stated = [...edit.deleted].filter((o) => !silent.has(o));
    const distance = (c: number) => (c < from ? from - c : c - (to - 1));
    const near = Math.min(...[...stated, ...edit.insertedAt].map(distance));
    if (!(near <= SKIP_NEAR)) continue;
    const beside = (c: number) => distance(c) <= SKIP_NEAR;
    const changes: Changes = {
      added: addedText,
      addedHeads,
      removed: stated.map((o) => original[o]),
      besideAdded: addedText.filter((_, i) => beside(edit.insertedAt[i])),
      besideRemoved: stated.filter(beside).map((o) => original[o]),
    };
    if (relatedToEdit(gap, changes, counts)) continue;
    throw new MergeRefusal(
      'unstated_deletion',
      `The update shows lines ${from} and ${to + 1} of the file next to each other, deleting the ${gap.length} lines between them, ${near < 1 ? 'right' : `${Math.ceil(near)} lines`} away from its other changes and sharing no name with them. ` +
        'Models skip such lines when they copy context: include them if they are to be kept; to delete them, show the lines around the deletion with a comment saying so, or send them as their own edit.',
      { start_line: from + 1, end_line: to, kind: 'skipped_beside_edit' },
    );
  }
}

/** Is deleted line `o` one of a run of deleted lines where new lines go in (replaced, not deleted outright)? */
function replaced(edit: EditShape, o: number): boolean {
  let [a, b] = [o, o];
  while (edit.deleted.has(a - 1)) a--;
  while (edit.deleted.has(b + 1)) b++;
  return edit.insertedAt.some((p) => p > a - 1 && p < b + 1);
}

/** The edit's changes, as relatedToEdit weighs them: all of them, and those beside the skipped stretch. */
interface Changes {
  added: string[];
  addedHeads: Set<string>;
  removed: string[];
  besideAdded: string[];
  besideRemoved: string[];
}

/**
 * Whether skipped lines belong to the edit: a name the file rarely uses, and only code would
 * (CODE_NAME), is in the new or deleted lines beside them (context shares names with far-off
 * changes to the same code whatever a model skipped); a skipped line is among the new ones
 * (moved), or assigns what a new line assigns; or a name the skipped lines use is in lines the
 * edit deletes and in none it adds (its uses removed).
 */
function relatedToEdit(gap: string[], changes: Changes, counts: Tally): boolean {
  const names = new Set(gap.flatMap((l) => l.match(IDENT) ?? []));
  const added = changes.added.join('\n');
  const removed = changes.removed.join('\n');
  const beside = [...changes.besideAdded, ...changes.besideRemoved].join('\n');
  if ([...names].some((w) => CODE_NAME.test(w) && counts.names.get(w)! <= RARE && usesName(beside, w))) return true;
  // (a line the file repeats, `assert(err == 0);`, or a target it assigns again and again, `err =`,
  // moves nowhere: the new lines share it with any context)
  const moved = (l: string) => !isTrivial(l) && changes.added.includes(l.trim()) && counts.lines.get(l.trim())! <= 2;
  const reassigned = (l: string) => { const h = head(l); return h !== null && changes.addedHeads.has(h) && counts.heads.get(h)! <= 3; };
  if (gap.some((l) => moved(l) || reassigned(l))) return true;
  return [...names].some((w) => usesName(removed, w) && !usesName(added, w));
}

/**
 * The stricter tie a skipped stretch that cuts a construct needs: the edit deletes, elsewhere, lines
 * using a name the stretch uses and adds none (a feature taken out in several places), or a line of
 * it is among the new ones (moved). Sharing a name with new code is not enough there: code inside
 * one function shares its names whatever a model skipped.
 */
function deletesWithEdit(gap: string[], addedText: string[], deleted: string[]): boolean {
  const names = new Set(gap.flatMap((l) => l.match(IDENT) ?? []).filter((w) => !KEYWORDS.has(w)));
  const added = addedText.join('\n');
  const removed = deleted.join('\n');
  if (gap.some((l) => !isTrivial(l) && l.trim().length >= 12 && addedText.includes(l.trim()))) return true;
  return [...names].some((w) => usesName(removed, w) && !usesName(added, w));
}

/** Does `text` use the name `w` as a whole word? */
export function usesName(text: string, w: string): boolean {
  return new RegExp(`(?<![\\w$])${w.replace(/\$/g, '\\$')}(?![\\w$])`).test(text);
}

/**
 * A name only code would use (camelCase, snake_case, digits, `$`): a plain word (`result`, `set`,
 * `void`, `top`) may be rare in one file and still say nothing of what the edit touches.
 */
const CODE_NAME = /[a-z][A-Z]|_|\d|\$/;

/** Words too common to tie code together. */
const KEYWORDS = new Set(['if', 'else', 'endif', 'ifdef', 'ifndef', 'define', 'return', 'const', 'let', 'var', 'new', 'this', 'self', 'true', 'false', 'null', 'nil', 'void', 'int', 'for', 'while', 'def', 'end', 'function', 'typedef', 'struct', 'static', 'public', 'private', 'import', 'from', 'export']);

/** What a line assigns or declares: the text before its first ` = `, when it is a plain name or path. */
function head(line: string): string | null {
  const m = line.trim().match(/^((?:(?:const|let|var|val|auto|int|final)\s+)?[\w$.@>-]+)\s*=[^=]/);
  return m ? m[1] : null;
}

/** How often the file uses each name, has each line (trimmed), and assigns each target. */
interface Tally { names: Map<string, number>; lines: Map<string, number>; heads: Map<string, number> }

function tally(original: string[]): Tally {
  const t: Tally = { names: new Map(), lines: new Map(), heads: new Map() };
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const line of original) {
    for (const w of line.match(IDENT) ?? []) add(t.names, w);
    add(t.lines, line.trim());
    const h = head(line);
    if (h !== null) add(t.heads, h);
  }
  return t;
}

/** Identifiers that can tie a deletion to the rest of the edit. */
const IDENT = /[A-Za-z_$][\w$]{2,}/g;
/** A name used at most this often in the file says which code it is. */
const RARE = 6;
/** Skipped stretches up to this long; longer ones are a deliberate deletion more often than not. */
const SKIP_MAX = 4;
/**
 * Other changes within this many lines make a skipped stretch "beside" the edit. (Measured on the
 * five eval sets: 20 rather than 10 lines refuses 7 more skips of context, 4 more clean deletions.)
 */
const SKIP_NEAR = 20;

/** A line that opens a block (`{`, `(`, `:`, `=>`, `do`, `then` at its end); one that closes one. */
const OPENS = /(?:[{([:]|=>|\bdo|\bthen)\s*$/;
export const CLOSES = /^\s*(?:[})\]]|end\b)/;

/**
 * The comment lines right above a kept line (no blank between) are gone while the snippet shows
 * something other than a comment of their kind above that line: new code, a blank, the previous
 * kept line, a line comment where the file had a block comment. Read literally the edit deletes
 * the line's own comment; far more often a model dropped it while copying the line as context
 * (measured: 14 of the comment-drift eval's wrong answers, against two clean edits that delete or
 * restyle a comment this way). Refused like any other unstated deletion.
 * `prev`, `next`: consecutive kept lines as [snippet line, original line].
 */
export function droppedLeadingComment(seg: string[], original: string[], prev: [number, number], next: [number, number], lang: Language, edit?: EditShape): void {
  const [s, o] = next;
  if (o - 1 <= prev[1] || !isCommentLine(original[o - 1], lang)) return;
  // The line's own comment is the run of one kind right above it: a `/** @type */` under a `//`
  // paragraph is its own comment, which a rewritten paragraph does not replace.
  const kind = commentKind(original[o - 1]);
  let c = o;
  while (c - 1 > prev[1] && isCommentLine(original[c - 1], lang) && commentKind(original[c - 1]) === kind) c--;
  if (isCommentLine(seg[s - 1], lang) && commentKind(seg[s - 1]) === kind) return;
  if (edit) return void edit.comments.push({ from: c, to: o, refuse: () => droppedLeadingComment(seg, original, prev, next, lang) });
  throw new MergeRefusal(
    'unstated_deletion',
    `The update drops the comment on ${c + 1 === o ? `line ${o}` : `lines ${c + 1}-${o}`} of the file, right above line ${o + 1}, which it keeps, and shows no comment of that kind in its place. ` +
      'Models leave out such comments when they copy a line as context, so this is not read as a deletion: include the comment if it is to be kept, or say so with a replacement if it is to go.',
    { start_line: c + 1, end_line: o, kind: 'leading_comment' },
  );
}

/**
 * The snippet shows, as the file has it, another comment at the dropped one's indentation that
 * opens with the same word (`// Support trusting hop count` in the next branch, beside a dropped
 * `// Support trusting everything`): it copies such comments, so leaving this one out reads as a
 * slip. (Measured on the five eval sets: 1 comment-drift wrong answer refused, no clean edit.)
 */
function keepsSiblingComment(seg: string[], original: string[], c: number, lang: Language): boolean {
  const lead = (l: string) => commentBody(l).match(/^\p{L}{3,}/u)?.[0]?.toLowerCase();
  const word = lead(original[c]);
  if (word === undefined) return false;
  const sibling = (l: string) => isCommentLine(l, lang) && l.trimEnd() !== original[c].trimEnd() && leadingLength(l) === leadingLength(original[c]) && lead(l) === word;
  return seg.some((l) => sibling(l) && original.some((o) => o.trimEnd() === l.trimEnd()));
}

/**
 * The comment lines at the top of a stretch the snippet replaces (right below a kept line, above
 * the code they document) are gone, the snippet's new lines there hold no comment of their kind,
 * and one of them is the code under the comment, edited: read literally the edit deletes the
 * comment with the code; as often a model dropped the comment while copying the line it edits
 * (comment-drift eval). Judged like droppedLeadingComment: refused unless it names what the edit
 * takes out (commentsGoWithEdit). Measured on the five eval sets: 9 wrong answers refused, 11
 * clean edits that delete such a comment refused with them.
 */
export function droppedCommentOfReplaced(seg: string[], original: string[], prev: [number, number], next: [number, number], lang: Language, edit: EditShape): void {
  const [ps, po] = prev;
  const [ns, no] = next;
  if (ns - ps <= 1 || no - po <= 2) return;
  const c = po + 1;
  if (!isCommentLine(original[c], lang)) return;
  const kind = commentKind(original[c]);
  let e = c;
  while (e + 1 < no && isCommentLine(original[e + 1], lang) && commentKind(original[e + 1]) === kind) e++;
  if (e + 1 >= no || isBlank(original[e + 1])) return;
  const added = seg.slice(ps + 1, ns);
  if (added.some((l) => isCommentLine(l, lang) && commentKind(l) === kind)) return;
  // (only where a new line reads like the code under the comment, edited, or the snippet keeps
  // comments like it elsewhere: code rewritten from scratch takes its comment with it as often as not)
  if (!added.some((l) => likeness(l, original[e + 1]) >= 0.5) && !keepsSiblingComment(seg, original, c, lang)) return;
  edit.comments.push({
    from: c,
    to: e + 1,
    refuse: () => {
      throw new MergeRefusal(
        'unstated_deletion',
        `The update replaces the code below line ${po + 1} of the file but drops the comment above it (${c === e ? `line ${c + 1}` : `lines ${c + 1}-${e + 1}`}) and shows no comment of that kind in its place. ` +
          'Models leave out such comments when they copy the lines around a change: include the comment if it is to be kept, or say so with a replacement if it is to go.',
        { start_line: c + 1, end_line: e + 1, kind: 'comment_of_replaced' },
      );
    },
  });
}

/**
 * The mirror image: a kept comment line whose block goes on in the file (the next lines, no blank
 * between, comments of its kind) while the snippet follows it with something else. The block's end
 * was cut off where a model stopped copying it, more likely than the edit deleting only its last
 * lines. Refused like droppedLeadingComment.
 */
export function droppedTrailingComment(seg: string[], original: string[], prev: [number, number], next: [number, number], lang: Language, edit?: EditShape): void {
  const [s, o] = prev;
  if (o + 1 >= next[1] || !isCommentLine(original[o], lang) || !isCommentLine(original[o + 1], lang)) return;
  const kind = commentKind(original[o]);
  if (commentKind(original[o + 1]) !== kind) return;
  if (isCommentLine(seg[s + 1], lang) && commentKind(seg[s + 1]) === kind && !sentenceCut(original[o], original[o + 1], seg[s + 1])) return;
  let c = o + 1;
  while (c + 1 < next[1] && isCommentLine(original[c + 1], lang) && commentKind(original[c + 1]) === kind) c++;
  if (edit) return void edit.comments.push({ from: o + 1, to: c + 1, refuse: () => droppedTrailingComment(seg, original, prev, next, lang) });
  throw new MergeRefusal(
    'unstated_deletion',
    `The update keeps line ${o + 1} of the file but drops ${c === o + 1 ? `line ${c + 1}` : `lines ${o + 2}-${c + 1}`} right after it, the rest of the same comment, and shows no comment of that kind in its place. ` +
      'Models stop copying a comment part way through, so this is not read as a deletion: include the rest of the comment if it is to be kept.',
    { start_line: o + 2, end_line: c + 1, kind: 'trailing_comment' },
  );
}

/**
 * A new comment line that rewords one of the file's (opens as it does: sameOpening) right beside a
 * kept line, while the file's comment lines of the same block between the two are gone: a model
 * copied the comment, edited one line and dropped its neighbour (comment-drift eval). Refused like
 * droppedLeadingComment, where the gone lines read as a sentence of their own: above, they end one;
 * below, the reworded line leaves its sentence open, or they start a new one. (A rewrite that
 * shortens a sentence deletes the lines that carried its end: `... the` / `` `initialPageParam`. ``)
 * `prev`, `next`: consecutive kept lines as [snippet line, original line].
 */
export function droppedBesideRewordedComment(seg: string[], original: string[], prev: [number, number], next: [number, number], lang: Language, edit: EditShape): void {
  const [ps, po] = prev;
  const [ns, no] = next;
  if (ns - ps <= 1 || no - po <= 2) return;
  const comment = (l: string, kind: 'block' | 'line') => isCommentLine(l, lang) && commentKind(l) === kind && commentBody(l) !== '';
  const sameRun = (from: number, to: number, kind: 'block' | 'line') => original.slice(from, to).every((l) => comment(l, kind));
  const push = (reworded: number, from: number, to: number) =>
    edit.comments.push({
      from,
      to,
      refuse: () => {
        throw new MergeRefusal(
          'unstated_deletion',
          `The update rewords line ${reworded + 1} of the file's comment but drops ${lineSpan(from + 1, to)} beside it, the rest of the same comment, and shows nothing in their place. ` +
            'Models leave out comment lines when they copy a comment to edit one line: include the rest of the comment if it is to be kept.',
          { start_line: from + 1, end_line: to, kind: 'beside_reworded_comment' },
        );
      },
    });
  const rewords = (l: string, o: number) => isCommentLine(l, lang) && comment(original[o], commentKind(l)) && sameOpening(l, original[o]);
  // The new line right below the kept one rewords a file line further down.
  const first = seg[ps + 1];
  let o = po + 1;
  while (o < no && !rewords(first, o)) o++;
  if (o > po + 1 && o < no && sameRun(po + 1, o, commentKind(first)) && ENDS_SENTENCE.test(commentBody(original[o - 1]))) push(o, po + 1, o);
  // The new line right above the kept one rewords a file line further up.
  const last = seg[ns - 1];
  o = no - 1;
  while (o > po && !rewords(last, o)) o--;
  const open = !ENDS_SENTENCE.test(commentBody(last));
  if (o > po && o < no - 1 && sameRun(o + 1, no, commentKind(last)) && (open || /^[\p{Lu}@]/u.test(commentBody(original[o + 1])))) push(o, o + 1, no);
}

/** A sentence's last character (a clause's too: `:`). */
const ENDS_SENTENCE = /[.!?:]$/;

/**
 * Two comment lines of four words or more that open alike: on the same three words, or on the same
 * two and alike for half their length (`Reused across X calls to avoid` made `Reused across Y ...`).
 */
function sameOpening(a: string, b: string): boolean {
  const [x, y] = [commentBody(a).split(/\s+/), commentBody(b).split(/\s+/)];
  if (x.length < 4 || y.length < 4 || x.slice(0, 2).join(' ') !== y.slice(0, 2).join(' ')) return false;
  return x[2] === y[2] || likeness(a, b) >= 0.5;
}

/**
 * A kept comment line that stops mid-sentence (a word or a comma last), whose sentence the file's
 * next line goes on with (in lower case), followed in the snippet by a comment line that cannot go
 * on with it (empty, or a new sentence): the sentence's end was dropped, not rewritten, whatever
 * the snippet adds after it.
 */
function sentenceCut(kept: string, rest: string, next: string): boolean {
  const body = commentBody(kept);
  const after = commentBody(next);
  return /[\p{Ll},]$/u.test(body) && body.split(' ').length >= 4 && /^\p{Ll}/u.test(commentBody(rest)) && (after === '' || /^\p{Lu}/u.test(after));
}

/** A comment line's family: a line comment (`//`, `#`, `--`) or a line of a block comment (opener, ` * ` continuation, closer). */
function commentKind(line: string): 'block' | 'line' {
  const t = line.trim();
  return t.startsWith('/*') || t.startsWith('*') || t.endsWith('*/') || t.startsWith('<!--') ? 'block' : 'line';
}

/** How alike two lines read, 0..1: one less the edit distance of their trimmed text over the longer length. */
export function likeness(a: string, b: string): number {
  const x = a.trim();
  const y = b.trim();
  const n = Math.max(x.length, y.length);
  if (n === 0) return 1;
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return 1 - row[y.length] / n;
}

/**
 * Lines this alike are one line the edit changed (a word, a URL, a number). Set from the eval: at
 * 0.7 the pairing also caught lines real edits rewrote, next to comments they really deleted.
 */
const EDITED = 0.86;

/**
 * Lines of three or more words that differ by one word added or dropped. (Not one replaced: a value
 * swapped for a constant is a real change, whose comment may go with it.)
 */
function oneWordApart(a: string, b: string): boolean {
  // (a list's commas aside: `{ Info }` made `{ Info, Other }` adds one word)
  const x = a.split(/\s+/).map((w) => w.replace(/,$/, ''));
  const y = b.split(/\s+/).map((w) => w.replace(/,$/, ''));
  if (Math.min(x.length, y.length) < 3 || Math.abs(x.length - y.length) !== 1) return false;
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  let j = 0;
  while (j < x.length - i && j < y.length - i && x[x.length - 1 - j] === y[y.length - 1 - j]) j++;
  return Math.max(x.length, y.length) - i - j === 1;
}

/**
 * In a stretch the snippet replaces (snippet lines [s0, s1) for original lines [o0, o1)), the lines
 * that are one line changed a little, paired in order (an LCS over likeness). Short lines (`}`,
 * `end`) say too little to pair. Bounded: a long stretch is a rewrite, not a few edited lines.
 */
export function pairEditedLines(seg: string[], original: string[], s0: number, s1: number, o0: number, o1: number): [number, number][] {
  const n = s1 - s0;
  const m = o1 - o0;
  if (n <= 0 || m <= 0 || n * m > 2500) return [];
  const alike = (i: number, j: number) => {
    const a = seg[s0 + i].trim();
    const b = original[o0 + j].trim();
    // (lines equal but for indentation were re-indented, a reformatting that deletes blank lines freely)
    if (a === b || a.length < 8 || b.length < 8 || a.length > 400 || b.length > 400) return false;
    // A line grown at one end (a clause added to a comment, a guard before a statement) is the same line.
    const [short, long] = a.length < b.length ? [a, b] : [b, a];
    if (short.length >= 12 && (long.startsWith(short) || long.endsWith(short))) return true;
    // One word added or dropped (`int const leftB` made `int leftB`) is the same line too.
    if (oneWordApart(a, b)) return true;
    // The edit distance is at least the difference in length: most pairs are settled without it.
    if (1 - (long.length - short.length) / long.length < EDITED) return false;
    return likeness(a, b) >= EDITED;
  };
  // (each pair judged once: likeness is an edit distance)
  const same = Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => alike(i, j)));
  return lcsPairs(n, m, (i, j) => same[i][j]).map(([i, j]): [number, number] => [s0 + i, o0 + j]);
}

/** One line grown by a piece at one end or within it: `f(a)` made `f(a, b)`, `if (x) {` made `if (x && y) {`. */
export function grownLine(a: string, b: string): boolean {
  return grownFrom(a, b) || grownInside(a, b);
}

/** A line changed a little, looser than the pairing's EDITED (a piece added within it counts). */
export function nearEdit(a: string, b: string): boolean {
  return readsLike(a, b, EDGE_ALIKE) || grownInside(a, b);
}

/**
 * A segment that starts (ends) on a new line right after (before) a marker, placed so that the
 * file's line just outside it stays: when that line reads like the new one changed a little (a URL,
 * a word), the snippet cannot say whether it replaces the line (the model dropped the context above
 * it) or adds a near-copy beside it. Refused: measured, only noisy snippets do this (3 wrong answers
 * in the comment-drift eval), no clean edit.
 * `edge`: [snippet line, original line] of the new line and the file's line beside the placement.
 */
export function editedEdgeLine(seg: string[], original: string[], edge: [number, number] | null, step: 1 | -1): void {
  if (!edge) return;
  const [s, o] = edge;
  if (o < 0 || o >= original.length) return;
  const a = seg[s].trim();
  if (a === '') return;
  const refuse = (at: number, how: string) => {
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's line "${a.slice(0, 80)}" stands next to a marker and ${how} line ${at + 1} of the file, but it shows no unchanged line between them: it may stand for that line or be added beside it. ` +
        'Include the line before (after) it as it stands in the file.',
      { line: at + 1 },
    );
  };
  const b = original[o].trim();
  // (looser than the pairing's EDITED: only a refusal rides on it; `this.redirect(alt || '/', 302)`
  // after a marker, above the file's `this.redirect(alt || '/')`)
  if (b !== '' && a !== b && (nearEdit(a, b) || wordsGrown(a, b) || tokensGrown(a, b) || sameHead(a, b) || sameElement(a, b) || sameMember(a, b) || sameSubject(a, b) || sameArm(a, b) || sameCall(a, b) || sameMessage(a, b))) refuse(o, 'reads like');
  // (a statement that leaves the block where the file has one, right after (before) the same kept
  // line: `case 404:` then `return`, over the file's `throw APIError.notFound`)
  const other = seg[s - step]?.trim();
  if (other && other === original[o - step]?.trim() && bothLeave(a, b)) refuse(o, 'leaves the block as does');
  // The same line a little further on: the snippet may have skipped the lines between (a comment
  // dropped between two rules of dashes), and then it is not new. Lines that say something only.
  if (a.length < 4 || !/[\p{L}\p{N}]/u.test(a)) return;
  for (let d = 1; d <= EDGE_REACH; d++) {
    const q = o + d * step;
    if (q >= 0 && q < original.length && original[q].trim() === a) refuse(q, 'repeats');
  }
}

/**
 * A new line that repeats the kept line right beside it (`//----` over `//----`), where the file has
 * that line again a little further on: the snippet may show the file's two copies with a line
 * between them dropped (a section title), and the pairing is off by one. Refused as ambiguous.
 * Lines that say something: a letter or digit, or a separator of one character repeated (`////`
 * closing one SCSS doc block beside the next's, the blank line between them dropped).
 * `paired`: segment line -> original line.
 */
export function repeatedBesideKept(seg: string[], original: string[], paired: Map<number, number>): void {
  for (const [k, o] of paired) {
    const a = seg[k].trim();
    if (a.length < 4 || !/[\p{L}\p{N}]|(.)\1{3}/u.test(a)) continue;
    for (const step of [-1, 1] as const) {
      const s = k + step;
      if (s < 0 || s >= seg.length || paired.has(s) || seg[s].trim() !== a) continue;
      // the new line would be the file's line o, the kept one its copy further on
      for (let d = 2; d <= EDGE_REACH + 1; d++) {
        const q = o - d * step;
        if (q >= 0 && q < original.length && original[q].trim() === a) {
          throw new MergeRefusal(
            'ambiguous_anchor',
            `The update shows "${a.slice(0, 80)}" twice in a row, and the file has it on lines ${Math.min(o, q) + 1} and ${Math.max(o, q) + 1} with other lines between: it may add a copy, or show both with the lines between dropped. ` +
              'Include the lines between them as they should read.',
            { line: o + 1 },
          );
        }
      }
    }
  }
}

/** Lines this alike, one new beside a marker and the file's line beside it, may be one line edited. Measured: no clean edit on the eval sets at 0.75, one at 0.6. */
const EDGE_ALIKE = 0.75;
/** How many lines past the file's line beside a placement a repeated edge line is looked for. */
const EDGE_REACH = 3;

/** One line grown at one end into the other (a clause added to a comment): long enough to say so. */
function grownFrom(a: string, b: string): boolean {
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return short.length >= 6 && long.length > short.length && (long.startsWith(short) || long.endsWith(short));
}

/**
 * One line grown by a piece inserted within it (`<Button label="Save" onClick={onSave} />` given
 * ` disabled={!dirty}` before its `/>`): the shorter is the longer's start and end, and says enough.
 */
function grownInside(a: string, b: string): boolean {
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  if (short.length < 12) return false;
  let head = 0;
  while (head < short.length && short[head] === long[head]) head++;
  let tail = 0;
  while (tail < short.length - head && short[short.length - 1 - tail] === long[long.length - 1 - tail]) tail++;
  return head + tail === short.length && head >= short.length / 2;
}

/**
 * One line given a word or two more, its own words kept in order (`print(f"Loading {path}...")` over
 * `print("Loading...")`): a statement and its edit, where the edit distance is too large to say so.
 */
export function wordsGrown(a: string, b: string): boolean {
  const words = (l: string) => l.match(/[\p{L}\p{N}_$]+/gu) ?? [];
  return piecesGrown(words(a), words(b));
}

/**
 * The shorter list of a line's pieces kept in order within the longer, which has at most two more;
 * at least two pieces, one past the first of four characters or more. `strict`: one more at least.
 */
function piecesGrown(x: string[], y: string[], strict = false): boolean {
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  if (strict && long.length === short.length) return false;
  return short.length >= 2 && long.length - short.length <= 2 && short.some((w, i) => i > 0 && w.length >= 4) && inOrderWithin(short, long);
}

/**
 * One line given a token or two more, its own whitespace-separated tokens kept in order (`COPY
 * --chown=app:app app/ ./app` over `COPY app/ ./app`): a flag or an argument added where the words
 * inside the new token are too many for wordsGrown.
 */
export function tokensGrown(a: string, b: string): boolean {
  return piecesGrown(a.trim().split(/\s+/), b.trim().split(/\s+/), true);
}

/**
 * Two lines that set the same name the same way (`IMAGE ?= registry…` and `IMAGE ?= ghcr.io/…`, a
 * key, a name declared with the same keywords; not a constructor's parameter `rawDetents: List<…>,`
 * and the property `private val rawDetents` it fills).
 */
export function sameSubject(a: string, b: string): boolean {
  const x = subjectOf(a);
  if (x === null || x !== subjectOf(b)) return false;
  const before = (l: string) => l.trim().slice(0, l.trim().indexOf(x)).trim();
  return before(a) === before(b);
}

/**
 * Two match arms or switch cases for the same pattern (`Some(_) => Err(type_error(…)),` over
 * `Some(_) => Err(ConfigError::Type {`, `case 404: return` over `case 404: throw APIError.notFound`).
 */
export function sameArm(a: string, b: string): boolean {
  const arm = (l: string) => /^(.{3,}?)\s*=>/.exec(l.trim())?.[1] ?? /^((?:case\b.+?|default)\s*):(?!:)/.exec(l.trim())?.[1];
  const x = arm(a);
  return x !== undefined && x === arm(b);
}

/** Two lines that each leave the block (`return`, `throw APIError.notFound`): one after the other, the second could never run. */
export function bothLeave(a: string, b: string): boolean {
  const leaves = (l: string) => /^(?:return|throw|raise|break|continue)\b/.test(l.trim());
  return leaves(a) && leaves(b);
}

/**
 * Two lines that are each one call of the same function or modifier, its arguments rewritten
 * (`delay(DEBOUNCE)` over `delay(300)`, SwiftUI's `.tint(.purple)` over `.tint(.accentColor)`,
 * `Spacer(minLength: 8)` over `Spacer()`, Rails' `format.json { … }` over another). Not calls with a
 * string in their parentheses: those are a list's items more often
 * (`implementation("io.coil-kt:coil-compose:2.5.0")` added under another).
 */
export function sameCall(a: string, b: string): boolean {
  const call = (l: string) => /^(\.?[A-Za-z_$][\w$.]*)\s*(?:\([^"'`]*\)|\{.*\})[;,]?$/.exec(l.trim())?.[1];
  const x = call(a);
  return x !== undefined && a.trim() !== b.trim() && x === call(b);
}

/**
 * Two calls of one function whose first argument is a string, one's text the other's grown
 * (`logger.info("created project %s (%s)", id, name)` over `logger.info("created project %s", id)`):
 * a message rewritten, too far apart by edit distance to read as edited.
 */
export function sameMessage(a: string, b: string): boolean {
  const msg = (l: string) => /^([\w$.]+)\(\s*(["'`])((?:\\.|(?!\2).)*)\2/.exec(l.trim());
  const [x, y] = [msg(a), msg(b)];
  if (!x || !y || x[1] !== y[1] || x[3] === y[3] || a.trim() === b.trim()) return false;
  const [short, long] = x[3].length <= y[3].length ? [x[3], y[3]] : [y[3], x[3]];
  return short.length >= 8 && long.startsWith(short);
}

/**
 * Two lines that say the same up to three quarters of the shorter one and differ after it (`if
 * (!item) return res.status(404).json({ error: 'not found' });` over `if (!item) return
 * res.status(404).end();`): a statement with its tail rewritten, too far apart by edit distance to
 * read as edited. (Not `app.use(express.json());` over `app.use(express.static('public'));`.)
 */
export function sameHead(a: string, b: string): boolean {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return a !== b && k >= 16 && k >= 0.75 * Math.min(a.length, b.length);
}

/**
 * Two lines of markup that are one element rewritten: the same content between its tags
 * (`<h1>{service}</h1>` given a `className`, `<p class="email">{{ user.email }}</p>` made a link), or
 * the same class, id, label, binding or handler (`<button @click="$emit('message', user)">` made a
 * `<BaseButton>`), the same opening tag, one line's the whole element (`<h1>` over
 * `<h1>{service}</h1>`), or the same tag around text mostly said again (a `<title>` or a `<p>`
 * reworded). (Not two siblings: `<li>Old</li>` beside `<li>New</li>`.)
 */
export function sameElement(a: string, b: string): boolean {
  const tag = /^<([A-Za-z][\w.:-]*)\b([^>]*)>(.*?)(?:<\/\1>)?$/;
  const [x, y] = [tag.exec(a.trim()), tag.exec(b.trim())];
  if (!x || !y) return false;
  const content = (m: RegExpExecArray) => m[3].trim();
  if (content(x) !== '' && content(x) === content(y)) return true;
  // (an element made multi-line: its opening tag alone, as the one-line element's opens)
  const opensOnly = (m: RegExpExecArray, l: string) => content(m) === '' && !l.includes('</');
  if (x[1] === y[1] && x[2] === y[2] && opensOnly(x, a) !== opensOnly(y, b)) return true;
  const ids = (m: RegExpExecArray) =>
    [...m[2].matchAll(/(?:^|\s)((?:class|className|id|key|name|@click|v-on:click|onClick|:key|ref|aria-label|bind:value|v-model|data-testid|for)=(?:"[^"]*"|'[^']*'|\{[^}]*\}))/g)].map((k) => k[1]);
  const theirs = new Set(ids(y));
  if (ids(x).some((k) => theirs.has(k))) return true;
  // (the same tag and attributes around text reworded: three words or more of the shorter text,
  // most of it, said again; not `<li>Email support</li>` beside `<li>Community support</li>`)
  if (x[1] !== y[1] || x[2] !== y[2]) return false;
  const words = (m: RegExpExecArray) => new Set(content(m).replace(/<[^>]*>/g, ' ').toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? []);
  const [wx, wy] = [words(x), words(y)];
  const shared = [...wx].filter((w) => wy.has(w)).length;
  return shared >= 3 && shared >= 0.6 * Math.min(wx.size, wy.size);
}

/**
 * The member a line declares, by a shape most languages share: a field `pub port: u16,`, a variant
 * `MissingKey(String),`, a C declaration `enum conn_state state;`, Go's `id, err :=`. Null for
 * other lines.
 */
export function memberOf(line: string): string | null {
  const t = line.trim();
  const m =
    /^(?:pub(?:\([^)]*\))?\s+|(?:public|private|protected|readonly|static)\s+)*([A-Za-z_]\w*)\??\s*:(?!:)\s*\S.*[,;]?$/.exec(t) ??
    /^([A-Z]\w*)\s*[({].*[)}],$/.exec(t) ??
    /^(?!return\b|typedef\b)(?:[A-Za-z_][\w]*\s+\**)+\**([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*;$/.exec(t);
  if (m) return m[1].replace(/\s+/g, '');
  // (Go's `id, err :=` declares `id`; `_, err :=` and `err :=` say nothing, every call has one)
  const go = /^([\w, ]+?)\s*:=/.exec(t)?.[1].split(',').map((n) => n.trim());
  return go && go.some((n) => !['_', 'err', 'ok'].includes(n)) ? go.join(',') : null;
}

/** Two lines that declare the same member, its type or value rewritten (`pub port: NonZeroU16,` over `pub port: u16,`). */
export function sameMember(a: string, b: string): boolean {
  const x = memberOf(a);
  return x !== null && x === memberOf(b);
}

/** Two (trimmed) lines that are one line edited: grown at one end, or at least `alike` by edit distance. */
export function readsLike(a: string, b: string, alike = EDITED): boolean {
  return grownFrom(a, b) || likeness(a, b) >= alike;
}

/** A comment's words, without its delimiters, case, or closing punctuation: what a model "tidies". */
export function commentWords(line: string, lang: Language): string | null {
  if (!isCommentLine(line, lang)) return null;
  const words = commentBody(line).toLowerCase().replace(/[.!:;,]+$/, '').replace(/\s+/g, ' ');
  return /[a-z]{2}/.test(words) ? words : null;
}

/** A comment line's opening delimiter (line comment, block opener, ` * `) and its closer. */
const COMMENT_OPEN = /^(?:\/\/+|#+|\/\*+|\*+|<!--|--)/;
const COMMENT_CLOSE = /(?:\*\/|-->)$/;

/** The delimiters a comment line opens and closes with (`//`, `///`, `/**`, ` * `, `*\/`). */
function commentDelimiters(line: string): string {
  const t = line.trim();
  return `${COMMENT_OPEN.exec(t)?.[0] ?? ''} ${COMMENT_CLOSE.exec(t)?.[0] ?? ''}`;
}

/** A comment line's text without its delimiters (line comment, block opener, ` * ` or closer) or outer spacing. */
function commentBody(line: string): string {
  const t = line.trim();
  const rest = t.slice(COMMENT_OPEN.exec(t)?.[0].length ?? 0).trimStart();
  const close = COMMENT_CLOSE.exec(rest);
  return close ? rest.slice(0, close.index).trimEnd() : rest;
}

/**
 * Snippet line `s` is the file's comment line `line` as a model tidies one it copies: the first
 * letter capitalised where the comment starts, the closing period added or dropped where it ends.
 * Nothing else: spacing inside a comment (aligned `@param` columns) or a period before a sentence
 * the snippet goes on with are an edit.
 */
function tidiedComment(seg: string[], s: number, line: string, lang: Language): boolean {
  if (!isCommentLine(seg[s], lang) || !isCommentLine(line, lang)) return false;
  // (`//` made `///`: a doc comment now, an edit; models tidy the words, not the delimiters)
  if (commentDelimiters(seg[s]) !== commentDelimiters(line)) return false;
  let a = commentBody(seg[s]);
  let b = commentBody(line);
  if (a === b) return /[A-Za-z]{2}/.test(a);
  const closer = (l: string | undefined) => l !== undefined && /^(?:\*+\/|-->)$/.test(l.trim());
  const starts = s === 0 || !isCommentLine(seg[s - 1], lang) || closer(seg[s - 1]);
  const ends = s === seg.length - 1 || !isCommentLine(seg[s + 1], lang) || closer(seg[s + 1]);
  if (ends) {
    const stop = (t: string) => (t.endsWith('.') && !t.endsWith('..') ? t.slice(0, -1) : t);
    a = stop(a);
    b = stop(b);
  }
  if (starts) {
    const lower = (t: string) => t.charAt(0).toLowerCase() + t.slice(1);
    a = lower(a);
    b = lower(b);
  }
  return a === b && /[A-Za-z]{2}/.test(a);
}

/**
 * Pair comment lines that a model reworded while copying them as context (capitalised, a period
 * added or dropped) with the original's: the file keeps its own comment. Within each stretch between
 * kept lines where both sides have lines, and just outside the first and last kept lines.
 * `paired`: segment line -> original line, extended in place; returns the placement's range [from, to]
 * grown over the comments paired outside it.
 */
export function pairRewordedComments(seg: string[], original: string[], paired: Map<number, number>, from: number, to: number, lang: Language): { from: number; to: number } {
  const kept = [...paired.entries()].sort((x, y) => x[0] - y[0]);
  const same = (s: number, o: number) => tidiedComment(seg, s, original[o], lang);
  for (let k = 1; k < kept.length; k++) {
    let o = kept[k - 1][1] + 1;
    for (let s = kept[k - 1][0] + 1; s < kept[k][0]; s++) {
      for (let q = o; q < kept[k][1]; q++) {
        if (same(s, q)) {
          paired.set(s, q);
          o = q + 1;
          break;
        }
      }
    }
  }
  if (kept.length === 0) return { from, to };
  // Edges: a comment among the snippet's lines before its first kept line, against the file's
  // comments just above that line (as many lines up as the snippet has there, and a couple more);
  // likewise after the last kept line. In order, so the lines between them are what the edit changed.
  const first = kept[0];
  let o = first[1] - 1;
  for (let s = first[0] - 1; s >= 0 && o >= 0; s--) {
    for (let q = o; q >= 0 && q >= first[1] - first[0] - 2; q--) {
      if (same(s, q)) {
        paired.set(s, q);
        from = Math.min(from, q);
        o = q - 1;
        break;
      }
    }
  }
  const last = kept[kept.length - 1];
  o = last[1] + 1;
  for (let s = last[0] + 1; s < seg.length && o < original.length; s++) {
    for (let q = o; q < original.length && q <= last[1] + (seg.length - last[0]) + 2; q++) {
      if (same(s, q)) {
        paired.set(s, q);
        to = Math.max(to, q);
        o = q + 1;
        break;
      }
    }
  }
  besideEdit(seg, original, paired, kept.length);
  return { from, to };
}

/**
 * A comment paired as tidied (its case or closing period differs from the file's) right beside a
 * line the snippet adds or changes: the snippet may tidy it as a model copying context does, or
 * the edit may touch it with the code beside it. Measured on real edits outside the developers'
 * eval, both happen; refused. `before`: how many pairs were kept lines (the rest are comments).
 */
function besideEdit(seg: string[], original: string[], paired: Map<number, number>, before: number): void {
  if (paired.size === before) return;
  const isNew = (k: number) => k >= 0 && k < seg.length && !isBlank(seg[k]) && !paired.has(k);
  for (const [k, o] of paired) {
    if (seg[k].trim() === original[o].trim() || !(isNew(k - 1) || isNew(k + 1))) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's comment "${seg[k].trim().slice(0, 80)}" differs from line ${o + 1} of the file only in its case or closing period, right beside a line the update changes: it may be the file's comment copied loosely or part of the edit. ` +
        'Copy the comment as the file has it, or change it visibly.',
      { line: o + 1 },
    );
  }
}

/**
 * Code lines [from, to) the snippet skips between a block's opener and its closer, both kept: the
 * whole body of the block (`return once(() => {` then `})`). An edit that empties a block keeps
 * almost never its braces; a model that elides a body it copies as context does. Refused.
 */
export function emptiedBlock(root: Node | null, original: string[], from: number, to: number, lang: Language): void {
  if (!root || to <= from || to >= original.length || from < 1) return;
  const closer = original[to];
  const t = closer.trim();
  if (!/^(?:[})\]]|<\/)/.test(t)) return;
  if (original.slice(from, to).every((l) => isBlank(l) || isCommentLine(l, lang))) return;
  const token = root.descendantForPosition({ row: to, column: leadingLength(closer) });
  let block = token?.parent ?? null;
  // (an end tag's node is its own: the element it closes is further up, `<button …>` to `</button>`)
  while (t.startsWith('</') && block && block.startPosition.row > from - 1 && lastRow(block) === to) block = block.parent;
  if (!block || block.startPosition.row !== from - 1 || lastRow(block) !== to) return;
  throw new MergeRefusal(
    'unstated_deletion',
    `The update shows lines ${from} and ${to + 1} of the file next to each other, the opening and the closing line of a ${block.type}, which would delete its whole body (${lineSpan(from + 1, to)}). ` +
      'A model that copies a block as context leaves its body out this way; include the body if it is to be kept, or delete the block with its opening and closing lines.',
    { start_line: from + 1, end_line: to, kind: 'emptied_block', construct: block.type },
  );
}

/**
 * Nodes that are no construct to cut: a list of statements (Swift's block content, braces outside),
 * and a parse error's span (the grammar misreading valid code says nothing of where it ends).
 */
const NOT_CONSTRUCT = new Set(['statements', 'ERROR']);

/**
 * Code lines [from, to) the snippet skips with nothing in their place: a deletion, when it takes
 * whole constructs. One that cuts through a construct (a named node of the original starts inside
 * and ends outside, or the reverse) is likelier context a model skipped, unless the rest of the edit
 * explains it (skippedBesideEdit decides). Returns the construct cut, or null.
 */
export function cutConstruct(root: Node | null, from: number, to: number): Cut | null {
  if (!root || to <= from) return null;
  const last = to - 1;
  // (the first construct cut; a comment cut anywhere is reported before it: see skippedBesideEdit)
  let cut: Node | null = null;
  let comment: Node | null = null;
  const visit = (n: Node) => {
    if (comment) return;
    const a = n.startPosition.row;
    const b = lastRow(n);
    if (b < from || a > last) return;
    const startsIn = a >= from && a <= last;
    const endsIn = b >= from && b <= last;
    if (n.isNamed && startsIn !== endsIn && !NOT_CONSTRUCT.has(n.type)) {
      if (n.type.includes('comment')) comment = n;
      cut ??= n;
      return;
    }
    for (const c of n.children) if (c) visit(c);
  };
  visit(root);
  const n = (comment ?? cut) as Node | null;
  return n ? { type: n.type, start: n.startPosition.row, end: lastRow(n) } : null;
}

/** A construct a deleted stretch cuts through: its type and its first and last rows. */
type Cut = { type: string; start: number; end: number };

/**
 * cutConstruct for a stretch between two kept lines, which may slide between equal lines (`/**`
 * kept above it, `/**` its last line) with the same result: the reading that cuts no comment (or
 * nothing) is the one that counts.
 */
export function cutConstructSliding(root: Node | null, original: string[], from: number, to: number): Cut | null {
  let found = cutConstruct(root, from, to);
  const better = (c: Cut | null) => c === null || (found !== null && found.type.includes('comment') && !c.type.includes('comment'));
  for (let f = from - 1, t = to - 1; found && f >= 0 && original[f] === original[t]; f--, t--) {
    const c = cutConstruct(root, f, t);
    if (better(c)) found = c;
  }
  for (let f = from + 1, t = to + 1; found && t <= original.length && original[f - 1] === original[t - 1]; f++, t++) {
    const c = cutConstruct(root, f, t);
    if (better(c)) found = c;
  }
  return found;
}

/**
 * A snippet without markers whose first segment opens on new lines, placed below the file's first
 * lines: as a fragment it inserts its head above the line it anchors on, as the file's new head
 * (its closing marker forgotten) it replaces the lines above. Where a new line reads like one of
 * those lines (`#include <mutex>` over `#include <mutex>  // NOLINT`), the snippet rewrites them
 * and the fragment reading would keep both: refused. `head`: the new lines before the first kept
 * one; `above`: the file's lines above the placement. (Likewise at the end, with `step` 1.)
 */
export function rewritesBeyondFragment(head: string[], above: string[], step: 1 | -1): void {
  for (const line of head) {
    const a = line.trim();
    if (a.length < 4 || !/[\p{L}\p{N}]/u.test(a)) continue;
    const at = above.findIndex((l) => {
      const b = l.trim();
      return b.length >= 4 && (a === b || readsLike(a, b) || sameHead(a, b));
    });
    if (at < 0) continue;
    throw new MergeRefusal(
      'missing_marker',
      `The update has no markers, and its line "${a.slice(0, 80)}" reads like the file's line ${step < 0 ? 'above' : 'below'} where it fits: it may rewrite the file's ${step < 0 ? 'first' : 'last'} lines or be added beside them. ` +
        `${step < 0 ? 'Start' : 'End'} it with a marker line if those lines are to be kept, or include them as they should read.`,
      { line: a },
    );
  }
}

/** How far past a look-alike's first line its other lines may lie. */
const LOOK_ALIKE_SPAN = 200;

/**
 * A segment of context alone (every line of it the file's) that deletes code lines between two of
 * them: where the file has the same lines elsewhere, in order, with no more of its own code lines
 * between them, the deletion reads as well there (`{` / `Assert.Empty(_cart.Items);` / `}` in each
 * of three tests, one deleting a line after the assertion, one the lines before it). Nothing new
 * says which was meant: refused as ambiguous. `kept`: [snippet row, original row], in order.
 */
export function deletionReadsElsewhere(seg: string[], index: OriginalIndex, kept: [number, number][]): void {
  const original = index.lines;
  if (kept.length < 2) return;
  const shown = new Set(kept.map(([s]) => s));
  if (seg.some((l, s) => !isBlank(l) && !shown.has(s))) return;
  const [first, last] = [kept[0][1], kept[kept.length - 1][1]];
  const keptRows = new Set(kept.map(([, o]) => o));
  let deleted = 0;
  for (let o = first; o <= last; o++) if (!isBlank(original[o]) && !keptRows.has(o)) deleted++;
  const want = seg.filter((l) => !isBlank(l)).map((l) => l.trim());
  if (deleted === 0 || !want.some((t) => !isTrivial(t) && /[A-Za-z_]\w{3,}/.test(t))) return;
  for (const o0 of index.positions(want[0], 'trimmed')) {
    if (o0 >= first && o0 <= last) continue;
    // (the earliest copy of each next line: the fewest of the file's lines between)
    let skipped = 0;
    let k = 1;
    let o = o0 + 1;
    for (; k < want.length && o < original.length && o - o0 <= LOOK_ALIKE_SPAN && skipped <= deleted; o++) {
      const t = original[o].trim();
      if (t === want[k]) k++;
      else if (t !== '') skipped++;
    }
    const end = o - 1;
    if (k < want.length || skipped === 0 || skipped > deleted || (end >= first && o0 <= last)) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update shows only lines the file has, deleting ${deleted} line${deleted === 1 ? '' : 's'} between them at lines ${first + 1}-${last + 1}; ` +
        `the same lines stand at lines ${o0 + 1}-${end + 1} too, where deleting ${skipped} line${skipped === 1 ? '' : 's'} reads as well. ` +
        'Show a line that says which place is meant (the function or element it is in).',
      { candidates: [{ start_line: first + 1, end_line: last + 1 }, { start_line: o0 + 1, end_line: end + 1 }], kind: 'deletion_reads_elsewhere' },
    );
  }
}

/**
 * A segment whose new lines stand between two kept lines, the first one the file repeats (`@endif`,
 * `<% end %>`, `}`), the chain pairing lines among the new ones with the file's (`@csrf`, `</form>`,
 * `@endif` of the next look-alike block) and deleting the rest of that block: read so, the new lines
 * rewrite it. Where the file has another copy of the first kept line before the last one, with every
 * line between those two among the snippet's (in order), the same snippet reads as new lines there,
 * nothing deleted. Both fit when every line the chain pairs between them is one the file repeats, or
 * when the rewrite would rename a key that opens a block (a CI job copied from the one it follows):
 * refused. `kept`: [snippet row, original row], in order.
 */
export function insertionReadsAsWell(seg: string[], index: OriginalIndex, kept: [number, number][]): void {
  const original = index.lines;
  const code = kept.filter(([s]) => !isBlank(seg[s]));
  if (code.length < 3) return;
  const [[s1, o1], [s2, o2]] = [code[0], code[code.length - 1]];
  const keptRows = new Set(kept.map(([, o]) => o));
  const shownRows = new Set(kept.map(([s]) => s));
  // (the file's copies of a line, by its text: the merge's index)
  const copies = (t: string) => index.positions(t, 'trimmed');
  // (new text: a line the file does not have; a deletion that moves a closer says nothing of this)
  if (!seg.slice(s1 + 1, s2).some((l, k) => !isBlank(l) && !shownRows.has(s1 + 1 + k) && copies(l.trim()).length === 0)) return;
  // (a rewrite that replaces fewer lines than it pairs is an edit within the block, a value changed
  // among its repeated `"path": "/healthz"` lines; unless it renames the block: a new CI job
  // `e2e-firefox:` built like the file's `e2e:`, read as that job rewritten)
  const gone: number[] = [];
  for (let o = o1 + 1; o < o2; o++) if (!isBlank(original[o]) && !keptRows.has(o)) gone.push(o);
  const inner = code.slice(1, -1);
  const fresh = seg.slice(s1 + 1, s2).filter((l, k) => !isBlank(l) && !shownRows.has(s1 + 1 + k));
  // (a key that opens a block: YAML's `e2e:`, an object's `web: {`)
  const header = (l: string) => /^\s*["']?[\w.-]+["']?\s*:\s*[{[]?\s*$/.test(l);
  const named = (l: string) => /^\W*([\w.-]+)/.exec(l.trim())?.[1];
  const renamed = gone.some((o) => header(original[o]) && fresh.some((l) => header(l) && leadingLength(l) === leadingLength(original[o]) && named(l) !== named(original[o])));
  if (gone.length === 0 || (gone.length < inner.length && !renamed)) return;
  const [first, last] = [seg[s1].trim(), seg[s2].trim()];
  // (lines the file has once among those paired tie the new ones to that block, unless they rename
  // it: a near-copy of a job shares the job's own lines)
  if (copies(first).length < 2 || isTrivial(last) || (!renamed && !inner.every(([s]) => copies(seg[s].trim()).length >= 2))) return;
  // (from the copy at o to the last kept line, each of the file's lines is one of the snippet's, in order)
  const keepsAll = (o: number) => {
    let s = s1 + 1;
    for (let r = o + 1; r < o2; r++) {
      if (isBlank(original[r])) continue;
      while (s < s2 && seg[s].trim() !== original[r].trim()) s++;
      if (s++ >= s2) return false;
    }
    return true;
  };
  for (const o of copies(first)) {
    if (o <= o1 || o >= o2 || !keepsAll(o)) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's new lines between "${first.slice(0, 40)}" and "${last.slice(0, 60)}" were matched as a rewrite of lines ${o1 + 2}-${o2} of the file, whose lines they share only where the file repeats them; ` +
        `read from line ${o + 1}, another copy of "${first.slice(0, 40)}", they go in before line ${o2 + 1} with nothing deleted. ` +
        'Show a line of the code the new lines replace, or one more line before them as it stands in the file.',
      { candidates: [{ start_line: o1 + 1, end_line: o2 + 1 }, { start_line: o + 1, end_line: o2 + 1 }], kind: 'insertion_or_rewrite' },
    );
  }
}

/**
 * New lines before a marker that continue a call chain (`.font(...)`, `.foregroundStyle(...)` under a
 * SwiftUI `Image(...)`), where the file's chain goes on right after them at their depth
 * (`.foregroundColor(.secondary)`): the snippet may show the chain's new tail in place of the file's
 * or add to it, and the marker cannot say which. Refused. `run`: the new lines; `next`: the file's
 * row after the placement.
 */
export function chainGoesOnPastMarker(run: string[], original: string[], next: number): void {
  const code = run.filter((l) => !isBlank(l));
  const link = /^\s*\.[A-Za-z_$][\w$]*\s*\(/;
  if (code.length === 0 || !code.every((l) => link.test(l)) || next >= original.length || !link.test(original[next])) return;
  if (leadingLength(original[next]) !== leadingLength(code[code.length - 1])) return;
  throw new MergeRefusal(
    'ambiguous_anchor',
    `The update's new lines "${code[0].trim().slice(0, 60)}"... continue a chain and stand next to a marker, and the file's chain goes on right after them (line ${next + 1}, "${original[next].trim().slice(0, 60)}"): they may replace its tail or be added to it. ` +
      'Show the line after them as it should read.',
    { line: next + 1, kind: 'chain_goes_on' },
  );
}
