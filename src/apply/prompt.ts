// The apply prompt: the common fast-apply layout (<code>, <update>, <instruction>) with the
// answer wrapped in a known tag. The model's own chat format is used when its GGUF chat
// template names one we know (ChatML for Qwen, Llama 3 headers); the answer's opening tag is
// part of the prompt, so the output starts with the file and ends at the closing tag.
export const OPEN_TAG = '<updated-code>';
export const CLOSE_TAG = '</updated-code>';

const SYSTEM = `You merge an update snippet into a code file. Answer with the complete updated file inside ${OPEN_TAG} tags, changing nothing else.`;

export interface PromptTokenizer {
  encode(text: string, opts?: { special?: boolean; addBos?: boolean }): number[];
  readonly chatTemplate?: string;
  readonly bos?: number;
  readonly addBos: boolean;
}

export interface PromptInput {
  code: string;
  update?: string;
  instruction?: string;
}

export type TemplateKind = 'chatml' | 'llama3' | 'plain';

export function templateKind(chatTemplate: string | undefined): TemplateKind {
  if (!chatTemplate) return 'plain';
  if (chatTemplate.includes('<|im_start|>')) return 'chatml';
  if (chatTemplate.includes('<|start_header_id|>')) return 'llama3';
  return 'plain';
}

/** Prompt token ids. User text is encoded without special tokens, so a file that contains
 *  `<|im_end|>` cannot end the turn; only the template's own markers are special. */
export function buildPrompt(tok: PromptTokenizer, p: PromptInput): { tokens: number[]; kind: TemplateKind } {
  // the file comes first after the fixed system text, so another edit of the same file finds
  // its KV blocks in the prefix cache; what changes per request (snippet, instruction) comes last
  const body =
    `<code>${p.code}</code>\n` +
    (p.update !== undefined ? `<update>${p.update}</update>\n` : '') +
    `<instruction>${p.instruction ?? 'Apply the update to the code.'}</instruction>\n`;
  const kind = templateKind(tok.chatTemplate);
  const parts: [string, boolean][] =
    kind === 'chatml'
      ? [[`<|im_start|>system\n${SYSTEM}<|im_end|>\n<|im_start|>user\n`, true], [body, false], [`<|im_end|>\n<|im_start|>assistant\n`, true]]
      : kind === 'llama3'
        ? [[`<|start_header_id|>system<|end_header_id|>\n\n${SYSTEM}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n`, true], [body, false], [`<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`, true]]
        : [[`${SYSTEM}\n\n`, false], [body, false]];
  parts.push([`${OPEN_TAG}\n`, false]);
  const tokens: number[] = [];
  if (tok.addBos && tok.bos !== undefined) tokens.push(tok.bos);
  for (const [text, special] of parts) tokens.push(...tok.encode(text, { special, addBos: false }));
  return { tokens, kind };
}

/** What the model should write after the prompt when the draft is right: the draft then the closing tag. */
export function draftAnswer(text: string): string {
  return text + CLOSE_TAG;
}
