#include "cpu.h"
#include <stdexcept>

namespace se {

static bool has_avx2() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}
static bool has_avx512() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}

std::string cpu_features() {
  std::string s;
  if (has_avx2()) s += "avx2 ";
  if (has_avx512()) s += "avx512-vnni ";
  if (has_avx512() && kernels_amx()) s += "amx ";
  return s.empty() ? "none" : s.substr(0, s.size() - 1);
}

const Kernels* select_kernels(const std::string& want) {
  if (want == "scalar") return kernels_scalar();
  if (want == "avx2") {
    if (!has_avx2() || !kernels_avx2()) throw std::runtime_error("isa avx2 requested but this CPU lacks AVX2/FMA");
    return kernels_avx2();
  }
  if (want == "avx512") {
    if (!has_avx512() || !kernels_avx512()) throw std::runtime_error("isa avx512 requested but this CPU lacks AVX-512 VNNI");
    return kernels_avx512();
  }
  if (want == "amx") {
    if (!has_avx512() || !kernels_amx()) throw std::runtime_error("isa amx requested but this CPU (or its kernel) offers no AMX-INT8 tiles");
    return kernels_amx();
  }
  if (want != "auto" && !want.empty()) throw std::runtime_error("unknown isa '" + want + "' (auto, scalar, avx2, avx512, amx)");
  if (has_avx512() && kernels_amx()) return kernels_amx();
  if (has_avx512() && kernels_avx512()) return kernels_avx512();
  if (has_avx2() && kernels_avx2()) return kernels_avx2();
  return kernels_scalar();
}

}  // namespace se
