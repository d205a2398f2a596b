// The apply-model message format hosted apply APIs use (Morph, Relace): one user message
//   <instruction>...</instruction>
//   <code>...</code>
//   <update>...</update>
// <instruction> is optional. The code is taken byte for byte between <code> and the last </code>
// before <update> (a file may itself contain "</code>"); one newline right after <update> is dropped. specedit also reads an optional <path>...</path> (or <language>) to
// pick the grammar; without it the merge is line-based with generic markers.

export interface ApplyMessage {
  code: string;
  update?: string;
  instruction?: string;
  path?: string;
  language?: string;
}

function between(text: string, tag: string): string | undefined {
  const open = text.indexOf(`<${tag}>`);
  if (open < 0) return undefined;
  const close = text.indexOf(`</${tag}>`, open);
  if (close < 0) return undefined;
  return text.slice(open + tag.length + 2, close);
}

export function parseApplyMessage(text: string): ApplyMessage | null {
  const codeOpen = text.indexOf('<code>');
  if (codeOpen < 0) return null;
  const updateOpen = text.lastIndexOf('<update>');
  const updateClose = text.lastIndexOf('</update>');
  const hasUpdate = updateOpen > codeOpen && updateClose > updateOpen;
  const codeEnd = text.lastIndexOf('</code>', hasUpdate ? updateOpen : text.length);
  if (codeEnd < codeOpen + 6) return null;

  const head = text.slice(0, codeOpen);
  const instruction = between(head, 'instruction')?.trim() || undefined;
  const path = between(head, 'path')?.trim() || undefined;
  const language = between(head, 'language')?.trim() || undefined;
  const code = text.slice(codeOpen + 6, codeEnd);
  let update: string | undefined;
  if (hasUpdate) {
    update = text.slice(updateOpen + 8, updateClose);
    if (update.startsWith('\r\n')) update = update.slice(2);
    else if (update.startsWith('\n')) update = update.slice(1);
    if (update.trim() === '') update = undefined;
  }
  if (update === undefined && instruction === undefined) return null;
  return { code, update, instruction, path, language };
}

/** The message with its <update> snippet replaced (what parseApplyMessage read as the update). */
export function replaceUpdate(text: string, update: string): string {
  const open = text.lastIndexOf('<update>');
  const close = text.lastIndexOf('</update>');
  return open < 0 || close < open ? text : text.slice(0, open + 8) + update + text.slice(close);
}

/** Build the message (what the gateway sends a model backend for POST /apply). */
export function formatApplyMessage(m: ApplyMessage): string {
  return [
    m.instruction !== undefined ? `<instruction>${m.instruction}</instruction>\n` : '',
    `<code>${m.code}</code>\n`,
    m.update !== undefined ? `<update>${m.update}</update>` : '',
  ].join('');
}
