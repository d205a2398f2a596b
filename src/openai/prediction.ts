// Predicted outputs accounting: how much of a prediction (draft) the answer used. The prediction and
// the output are cut into estimated tokens (tokens.ts) and diffed; tokens of the prediction kept in
// the output, in order, are accepted, the others rejected. This is what a draft-and-verify decoder
// fed the same prediction would accept at best; until such a model path exists it is an estimate.
import { diffArrays, diffLines } from 'diff';
import { estimateTokens, pieces } from './tokens.js';

export interface PredictionUsage {
  accepted_prediction_tokens: number;
  rejected_prediction_tokens: number;
}

export function predictionUsage(prediction: string, output: string): PredictionUsage {
  const total = estimateTokens(prediction);
  if (total === 0) return { accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 };
  if (prediction === output) return { accepted_prediction_tokens: total, rejected_prediction_tokens: 0 };
  let accepted = 0;
  // Token-level diff, bounded; on a very different pair fall back to whole lines.
  const parts = diffArrays(pieces(prediction), pieces(output), { maxEditLength: 4000, timeout: 200 });
  if (parts) {
    for (const p of parts) if (!p.added && !p.removed) accepted += p.count ?? p.value.length;
  } else {
    for (const p of diffLines(prediction, output) ?? []) if (!p.added && !p.removed) accepted += estimateTokens(p.value);
  }
  return { accepted_prediction_tokens: accepted, rejected_prediction_tokens: total - accepted };
}
