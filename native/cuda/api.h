// The boundary between the addon (compiled by the C++ compiler, no CUDA headers) and the CUDA
// backend (compiled by nvcc). Built without CUDA, native/src/cuda_none.cc implements it: the
// probe says why, and creating an engine throws. Nothing here touches the driver until called,
// so the addon loads on machines without a GPU or driver (cudart is linked statically and
// opens libcuda lazily on the first runtime call).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#include "batch.h"

namespace se {

class Model;

struct CudaProbe {
  bool built = false;     // compiled with CUDA at all
  bool usable = false;    // a device this build can run on
  int code = 0;           // cudaError_t of the failing call (0 when usable or not built)
  std::string reason;     // why not usable: "built without CUDA", "no driver", "no device", "capability too old", "cuda error"
  std::string detail;     // the runtime's own message, for logs
  std::string name;       // device name
  int major = 0, minor = 0;
  size_t memory = 0;      // total device memory, bytes
  int runtime_version = 0, driver_version = 0;
};

// Oldest compute capability the kernels are built for (sm_80: the binaries carry sm_80 and sm_90
// code and compute_90 PTX, so 8.x and 9.x run; older GPUs would fail at the first launch).
constexpr int CUDA_MIN_MAJOR = 8;

CudaProbe cuda_probe(int device);

// One engine on one device: weights uploaded once (repacked into the layout of layout.h),
// the paged KV cache in device memory, one stream. Calls are serialized by the caller.
class DeviceEngine {
 public:
  virtual ~DeviceEngine() = default;
  // Same contract and outputs as se::forward (forward.h); inputs already validated.
  virtual void forward(const std::vector<int32_t>& tokens, const std::vector<SeqIn>& seqs, const std::vector<OutReq>& outs,
                       ForwardOut& res) = 0;
  virtual void copy_blocks(const std::vector<int32_t>& pairs) = 0;
  virtual size_t kv_bytes() const = 0;
  virtual size_t weight_bytes() const = 0;
  virtual const char* matmul_kernel() const = 0;  // "mma" (tensor cores) or "fma": for benchmark reports
  virtual bool graphs() const = 0;                 // repeated shapes replay captured CUDA graphs
};

// Throws std::runtime_error (with the CUDA error's name) when the device cannot be used or
// memory runs out. The model's mapped tensors are read during the call only.
DeviceEngine* cuda_engine_create(const Model& m, int device, int n_blocks, int block_size, bool kv_int8);

// Streaming-read bandwidth of the device in GB/s (benchmark ceiling), measured over `bytes`.
double cuda_bandwidth_gbs(int device, size_t bytes);

}  // namespace se
