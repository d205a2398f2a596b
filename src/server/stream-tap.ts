// Pass a response body through unchanged, one chunk at a time (nothing is read ahead), while
// watching it: each chunk, and how it ended (done, error, or cancelled by the client).
export type StreamEnd = 'done' | 'error' | 'cancel';

export function tapBody(
  body: ReadableStream<Uint8Array>,
  hooks: { onChunk?: (chunk: Uint8Array) => void; onEnd: (how: StreamEnd) => void },
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (how: StreamEnd) => {
    if (ended) return;
    ended = true;
    hooks.onEnd(how);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            end('done');
            return;
          }
          hooks.onChunk?.(value);
          controller.enqueue(value);
        } catch (e) {
          end('error');
          controller.error(e);
        }
      },
      cancel(reason) {
        // Cancel the source first, so that taps further up the chain have finished before this one reports.
        const done = reader.cancel(reason);
        end('cancel');
        return done;
      },
    },
    { highWaterMark: 0 },
  );
}
