// Activation quantization (once per matmul input row) and weight-row dequantization.
#pragma once
#include "common.h"

namespace se {
void init_fp16_table();
constexpr int ACT_GROUP = 256;  // activation values sharing one int8 scale (32-value block types)
void quantize_act_q8(const float* x, int n, ActQ8* out);    // n % 32 == 0
void quantize_act_q8k(const float* x, int n, ActQ8K* out);  // n % 256 == 0
// Dequantize n values of a row of any supported type into floats.
void dequantize_row(int type, const void* row, int n, float* out);
}  // namespace se
