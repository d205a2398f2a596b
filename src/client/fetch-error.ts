// Why a fetch got no HTTP answer, in words. undici's fetch rejects with only "fetch failed" and keeps
// the reason in err.cause: a system error code, a TLS error, or an AggregateError of every address it
// tried. No Node or DOM imports (shared with the VS Code extension).

const WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'DNS lookup failed, no such host',
  EAI_AGAIN: 'DNS lookup failed, the resolver did not answer',
  EAI_FAIL: 'DNS lookup failed',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed before an answer',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the answer',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPROTO: 'TLS handshake failed (an http:// server addressed as https://?)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (an http:// server addressed as https://?)',
};

interface Cause {
  code?: unknown;
  message?: unknown;
  errors?: Cause[];
}

const isTls = (code: string) => /CERT|SSL|TLS|SIGNATURE|ISSUER/.test(code);

/** "connection refused (ECONNREFUSED)", "TLS failed: <why> (CERT_HAS_EXPIRED)", or the error's own message. */
export function fetchFailure(e: unknown): string {
  const err = e as Cause & { cause?: Cause };
  const cause: Cause = err?.cause ?? err ?? {};
  const first = cause.errors?.find((x) => typeof x?.code === 'string');
  const code = typeof cause.code === 'string' ? cause.code : typeof first?.code === 'string' ? first.code : undefined;
  const message = typeof cause.message === 'string' && cause.message ? cause.message : typeof err?.message === 'string' ? err.message : String(e);
  // undici refuses the Fetch standard's "bad ports" (9, 25, 6000, ...) before connecting
  if (!code) return message === 'bad port' ? 'a port fetch never connects to (on the Fetch standard\'s list of bad ports)' : message;
  const words = WORDS[code] ?? (isTls(code) ? `TLS failed: ${message}` : message || code);
  return `${words} (${code})`;
}
