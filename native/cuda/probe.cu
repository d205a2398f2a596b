// Device discovery and the bandwidth ceiling. cuda_probe is the first CUDA call an addon makes:
// with cudart linked statically it is also where the driver is looked for, so every failure
// here is a reason to stay on the CPU, never a crash (bounded by nothing: runs once per open).
#include <cuda_runtime.h>
#include <algorithm>
#include "api.h"
#include "check.cuh"

namespace se {

CudaProbe cuda_probe(int device) {
  CudaProbe p;
  p.built = true;
  cudaRuntimeGetVersion(&p.runtime_version);
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  cudaDriverGetVersion(&p.driver_version);  // 0 when no driver is installed
  if (e != cudaSuccess) {
    p.code = (int)e;
    p.detail = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
    // no libcuda at all reads as an insufficient driver of version 0
    if (p.driver_version == 0) p.reason = "no driver";
    else if (e == cudaErrorInsufficientDriver) p.reason = "driver too old";
    else if (e == cudaErrorNoDevice) p.reason = "no device";
    else p.reason = "cuda error";
    cudaGetLastError();  // clear the recorded error so a later call starts clean
    return p;
  }
  if (count == 0 || device < 0 || device >= count) {
    p.code = (int)cudaErrorNoDevice;
    p.reason = "no device";
    p.detail = count == 0 ? "no CUDA device found" : "device " + std::to_string(device) + " of " + std::to_string(count);
    return p;
  }
  cudaDeviceProp prop;
  e = cudaGetDeviceProperties(&prop, device);
  if (e != cudaSuccess) {
    p.code = (int)e;
    p.reason = "cuda error";
    p.detail = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
    return p;
  }
  p.name = prop.name;
  p.major = prop.major;
  p.minor = prop.minor;
  p.memory = prop.totalGlobalMem;
  if (prop.major < CUDA_MIN_MAJOR) {
    p.reason = "capability too old";
    p.detail = "compute capability " + std::to_string(prop.major) + "." + std::to_string(prop.minor) + " (needs " +
               std::to_string(CUDA_MIN_MAJOR) + ".0 or newer)";
    return p;
  }
  p.usable = true;
  return p;
}

// Each thread sums 16-byte words with a grid stride; the sum is written only if it is a value
// no input produces, so the compiler keeps the loads. Bounded by HBM bandwidth by design.
__global__ void read_kernel(const uint4* __restrict__ p, size_t n, unsigned* sink) {
  unsigned s = 0;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    const uint4 v = p[i];
    s ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (s == 0x9e3779b9u) *sink = s;
}

double cuda_bandwidth_gbs(int device, size_t bytes) {
  CUDA_CHECK(cudaSetDevice(device));
  uint4* buf = nullptr;
  unsigned* sink = nullptr;
  CUDA_CHECK(cudaMalloc(&buf, bytes));
  CUDA_CHECK(cudaMalloc(&sink, sizeof(unsigned)));
  double best = 0;
  try {
    CUDA_CHECK(cudaMemset(buf, 1, bytes));
    cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    const int blocks = prop.multiProcessorCount * 8;
    cudaEvent_t a, b;
    CUDA_CHECK(cudaEventCreate(&a));
    CUDA_CHECK(cudaEventCreate(&b));
    for (int rep = 0; rep < 6; rep++) {  // best of several: the first pays for clocks ramping up
      CUDA_CHECK(cudaEventRecord(a));
      read_kernel<<<blocks, 256>>>(buf, bytes / sizeof(uint4), sink);
      CUDA_LAUNCHED("read_kernel");
      CUDA_CHECK(cudaEventRecord(b));
      CUDA_CHECK(cudaEventSynchronize(b));
      float ms = 0;
      CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
      if (ms > 0) best = std::max(best, bytes / (ms * 1e6));
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
  } catch (...) {
    cudaFree(buf);
    cudaFree(sink);
    throw;
  }
  cudaFree(buf);
  cudaFree(sink);
  return best;
}

}  // namespace se
