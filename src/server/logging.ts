// Structured request logs: one JSON line per request with ids, sizes, timings and outcome.
// Callers pass only metadata; code, snippets and messages are never handed to the logger.

export interface RequestLog {
  request_id: string;
  key_id: string;
  method: string;
  route: string;
  status: number;
  bytes_in: number;
  bytes_out?: number;
  duration_ms: number;
  ttfb_ms?: number;
  model?: string;
  mode?: string;
  language?: string;
  outcome: string;
  code?: string;
  backend?: string;
  attempts?: number;
  tokens_in?: number;
  tokens_out?: number;
  cost_usd?: number;
  accepted_prediction_tokens?: number;
  rejected_prediction_tokens?: number;
  stream?: boolean;
}

export type Logger = (record: RequestLog) => void;

export function jsonLogger(write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  return (record) => write(`${JSON.stringify({ ts: new Date().toISOString(), level: 'info', msg: 'request', ...record })}\n`);
}

export const silentLogger: Logger = () => {};
