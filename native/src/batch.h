// What one forward pass takes and returns, shared by the CPU engine and the device backends
// (kept free of CPU kernel headers so the CUDA sources can include it).
#pragma once
#include <cstdint>
#include <vector>

namespace se {

struct SeqIn {
  int start, n, pos0;
  std::vector<int32_t> blocks;
};

struct OutReq {
  int row;     // flat token index whose next-token distribution is wanted
  int topk;    // 0: none
  bool logits; // return the full row
};

struct ForwardOut {
  std::vector<int32_t> argmax;        // per request
  std::vector<int32_t> topk_ids;      // concatenated, each request's k entries by descending logit
  std::vector<float> topk_logits;
  std::vector<float> logits;          // concatenated full rows of requests with logits=true
};

}  // namespace se
