// The CUDA entry points of a build without CUDA (nvcc not found, or SPECEDIT_CUDA=0): the probe
// says so, so `auto` falls back to the CPU with that reason and an explicit `cuda` fails clearly.
#include <stdexcept>
#include "../cuda/api.h"

namespace se {

CudaProbe cuda_probe(int) {
  CudaProbe p;
  p.reason = "built without CUDA";
  p.detail = "the addon was compiled without nvcc (SPECEDIT_CUDA=0, or nvcc not found at build time)";
  return p;
}

DeviceEngine* cuda_engine_create(const Model&, int, int, int, bool) {
  throw std::runtime_error("built without CUDA");
}

double cuda_bandwidth_gbs(int, size_t) { throw std::runtime_error("built without CUDA"); }

}  // namespace se
