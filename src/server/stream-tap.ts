// Pass a response body through unchanged, one chunk at a time (nothing is read ahead), while
// watching it: each chunk, how it ended (done, error, cancelled by the client), and whether the
// client stopped reading: the next chunk is pulled only once the last one was taken, so a chunk
// not taken within `stall.ms` means a client that holds the stream without reading it.
export type StreamEnd = 'done' | 'error' | 'cancel' | 'stalled';

export function tapBody(
  body: ReadableStream<Uint8Array>,
  hooks: { onChunk?: (chunk: Uint8Array) => void; onEnd: (how: StreamEnd) => void; stall?: { ms: number; onStall: () => void } },
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const end = (how: StreamEnd) => {
    clearTimeout(timer);
    if (ended) return;
    ended = true;
    hooks.onEnd(how);
  };
  const watch = () => {
    const stall = hooks.stall;
    if (!stall) return;
    timer = setTimeout(() => {
      end('stalled');
      void reader.cancel('client stopped reading').catch(() => {});
      stall.onStall();
    }, stall.ms);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        clearTimeout(timer);
        if (ended) return;
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            end('done');
            return;
          }
          hooks.onChunk?.(value);
          controller.enqueue(value);
          watch();
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
