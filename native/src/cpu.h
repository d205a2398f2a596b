// CPU feature detection and kernel selection.
#pragma once
#include <string>
#include "kernels.h"

namespace se {
// "auto" picks the best the CPU supports; "scalar" / "avx2" / "avx512" / "amx" force one (error if unsupported).
const Kernels* select_kernels(const std::string& want);
std::string cpu_features();
}  // namespace se
