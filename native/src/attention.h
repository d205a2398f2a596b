// Paged causal attention: each sequence's new tokens attend to all its cached tokens
// (read through its block table) and causally among themselves.
#pragma once
#include <cstdint>
#include <vector>
#include "kernels.h"
#include "model.h"
#include "threadpool.h"

namespace se {

struct SeqSpan {
  int start;  // index of its first new token in the flat batch
  int n;      // new tokens
  int pos0;   // position of the first new token
  const int32_t* blocks;
  int n_blocks;
};

// q: [N][heads*head_dim] (rope applied), out: same shape
void attention(ThreadPool& pool, const Kernels* K, const Config& c, KVCache& kv, int layer,
               const std::vector<SeqSpan>& seqs, const float* q, float* out);

}  // namespace se
