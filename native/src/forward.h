// One forward pass over a flattened batch of sequences' new tokens.
#pragma once
#include <cstdint>
#include <vector>
#include "attention.h"
#include "batch.h"
#include "kernels.h"
#include "model.h"
#include "threadpool.h"

namespace se {

// One engine's forward buffers, reused from call to call (calls are serialized per engine):
// fresh multi-MB buffers cost page faults and zero-filling on every forward, and thread-local
// ones were fresh once for each libuv worker thread that happened to run a call.
struct Workspace {
  std::vector<float> bufs[12];
  float* get(int slot, size_t n) {
    if (bufs[slot].size() < n) bufs[slot].resize(n);
    return bufs[slot].data();
  }
};

void forward(const Model& m, KVCache& kv, ThreadPool& pool, const Kernels* K, Workspace& ws, const std::vector<int32_t>& tokens,
             const std::vector<SeqIn>& seqs, const std::vector<OutReq>& outs, ForwardOut& res);

}  // namespace se
