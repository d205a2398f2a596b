// Server-Sent Events framing: `event: <name>` and one `data:` line of JSON per event.
import type { Context } from 'hono';

export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Split merged content into delta chunks at line ends (about `size` characters each). */
export function* chunks(text: string, size = 4096): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      const nl = text.indexOf('\n', end);
      end = nl < 0 ? text.length : nl + 1;
    }
    yield text.slice(start, end);
    start = end;
  }
}

/** Headers of an SSE answer (no caching, no proxy buffering: deltas must arrive as written). */
export function sseHeaders(c: Context): void {
  c.header('Content-Type', 'text/event-stream; charset=utf-8');
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
}
