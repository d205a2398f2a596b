// Every CUDA runtime call is checked; a failure becomes a std::runtime_error naming the call's
// error and where it happened (the addon turns it into a rejected promise, never exit()).
#pragma once
#include <cuda_runtime.h>
#include <stdexcept>
#include <string>

namespace se {

[[noreturn]] inline void cuda_fail(cudaError_t e, const char* what, const char* file, int line) {
  throw std::runtime_error(std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e) + " (" + what + " at " + file + ":" +
                           std::to_string(line) + ")");
}

}  // namespace se

#define CUDA_CHECK(call)                                                  \
  do {                                                                    \
    cudaError_t e_ = (call);                                              \
    if (e_ != cudaSuccess) ::se::cuda_fail(e_, #call, __FILE__, __LINE__); \
  } while (0)

// after a kernel launch: launch-configuration errors surface here, execution errors at the next sync
#define CUDA_LAUNCHED(name) CUDA_CHECK(cudaGetLastError())
