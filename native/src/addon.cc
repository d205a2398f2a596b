// Node binding: NativeEngine(path, config, tensors, options) with forward() → Promise
// (run on a libuv worker thread, so the event loop stays free), copyBlocks() and info().
// options.device 'cuda' runs the forward pass on the CUDA backend (native/cuda), 'cpu' (default)
// on the CPU kernels; which one to ask for is decided in TypeScript (src/engine/device.ts).
#include <napi.h>
#include <memory>
#include <mutex>
#include <thread>
#include "../cuda/api.h"
#include "../cuda/layout.h"
#include "cpu.h"
#include "forward.h"
#include "matmul.h"
#include "panels.h"
#include "probes.h"
#include "quant.h"

namespace se {
namespace {

struct State {
  std::unique_ptr<Model> model;
  std::unique_ptr<KVCache> kv;
  std::unique_ptr<ThreadPool> pool;
  Workspace ws;
  const Kernels* K = nullptr;
  std::unique_ptr<DeviceEngine> gpu;  // set: the forward pass runs there (kv and pool unused)
  int block_size = 0, n_blocks = 0;
  std::mutex mu;  // one forward / block copy at a time
};

int geti(const Napi::Object& o, const char* k, int dflt = -1) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined()) {
    if (dflt != -1) return dflt;
    throw Napi::TypeError::New(o.Env(), std::string("missing number ") + k);
  }
  return v.As<Napi::Number>().Int32Value();
}

template <class T>
std::vector<T> vec_of(const Napi::Object& o, const char* k) {
  Napi::Value v = o.Get(k);
  if (!v.IsTypedArray()) throw Napi::TypeError::New(o.Env(), std::string(k) + " must be a typed array");
  auto ta = v.As<Napi::TypedArray>();
  if (ta.ElementSize() != sizeof(T)) throw Napi::TypeError::New(o.Env(), std::string(k) + " has the wrong element type");
  const T* p = reinterpret_cast<const T*>(static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
  return std::vector<T>(p, p + ta.ElementLength());
}

class ForwardWorker : public Napi::AsyncWorker {
 public:
  ForwardWorker(Napi::Env env, std::shared_ptr<State> st, std::vector<int32_t> tokens, std::vector<SeqIn> seqs,
                std::vector<OutReq> outs)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), st_(std::move(st)),
        tokens_(std::move(tokens)), seqs_(std::move(seqs)), outs_(std::move(outs)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      std::lock_guard<std::mutex> lk(st_->mu);
      if (!st_->model) throw std::runtime_error("engine is closed");
      if (st_->gpu) st_->gpu->forward(tokens_, seqs_, outs_, res_);
      else forward(*st_->model, *st_->kv, *st_->pool, st_->K, st_->ws, tokens_, seqs_, outs_, res_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object r = Napi::Object::New(env);
    auto i32 = [&](const std::vector<int32_t>& v) {
      auto a = Napi::Int32Array::New(env, v.size());
      std::copy(v.begin(), v.end(), a.Data());
      return a;
    };
    auto f32 = [&](const std::vector<float>& v) {
      auto a = Napi::Float32Array::New(env, v.size());
      std::copy(v.begin(), v.end(), a.Data());
      return a;
    };
    r.Set("argmax", i32(res_.argmax));
    r.Set("topkIds", i32(res_.topk_ids));
    r.Set("topkLogits", f32(res_.topk_logits));
    r.Set("logits", f32(res_.logits));
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<State> st_;
  std::vector<int32_t> tokens_;
  std::vector<SeqIn> seqs_;
  std::vector<OutReq> outs_;
  ForwardOut res_;
};

class NativeEngine : public Napi::ObjectWrap<NativeEngine> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeEngine",
                       {InstanceMethod("forward", &NativeEngine::Forward), InstanceMethod("copyBlocks", &NativeEngine::CopyBlocks),
                        InstanceMethod("info", &NativeEngine::Info), InstanceMethod("close", &NativeEngine::Close)});
  }

  NativeEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEngine>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsString() || !info[1].IsObject() || !info[2].IsArray() || !info[3].IsObject())
      throw Napi::TypeError::New(env, "NativeEngine(path, config, tensors, options)");
    std::string path = info[0].As<Napi::String>();
    Napi::Object co = info[1].As<Napi::Object>();
    Config c;
    c.vocab = geti(co, "vocab"); c.dim = geti(co, "dim"); c.layers = geti(co, "layers"); c.ffn = geti(co, "ffn");
    c.heads = geti(co, "heads"); c.kv_heads = geti(co, "kvHeads"); c.head_dim = geti(co, "headDim");
    c.rope_dim = geti(co, "ropeDim");
    c.eps = co.Get("eps").As<Napi::Number>().FloatValue();
    c.rope_base = co.Get("ropeBase").As<Napi::Number>().DoubleValue();
    c.neox = co.Get("ropeNeox").ToBoolean(); c.qkv_bias = co.Get("qkvBias").ToBoolean(); c.tied = co.Get("tied").ToBoolean();
    std::vector<TensorDesc> tensors;
    Napi::Array ta = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < ta.Length(); i++) {
      Napi::Object t = ta.Get(i).As<Napi::Object>();
      Napi::Array dims = t.Get("dims").As<Napi::Array>();
      int64_t ne1 = 1;
      for (uint32_t d = 1; d < dims.Length(); d++) ne1 *= dims.Get(d).As<Napi::Number>().Int64Value();
      tensors.push_back({t.Get("name").As<Napi::String>(), geti(t, "type"), dims.Get(0u).As<Napi::Number>().Int64Value(), ne1,
                         (uint64_t)t.Get("offset").As<Napi::Number>().Int64Value(), (uint64_t)t.Get("size").As<Napi::Number>().Int64Value()});
    }
    Napi::Object o = info[3].As<Napi::Object>();
    int threads = geti(o, "threads", (int)std::max(1u, std::thread::hardware_concurrency()));
    int bs = geti(o, "blockSize", 16), nblocks = geti(o, "numBlocks");
    std::string kvType = o.Get("kvType").IsString() ? o.Get("kvType").As<Napi::String>().Utf8Value() : "f16";
    const bool huge = !o.Get("weights").IsString() || o.Get("weights").As<Napi::String>().Utf8Value() != "mmap";
    std::string isa = o.Get("isa").IsString() ? o.Get("isa").As<Napi::String>().Utf8Value() : "auto";
    const std::string device = o.Get("device").IsString() ? o.Get("device").As<Napi::String>().Utf8Value() : "cpu";
    const int cuda_device = geti(o, "cudaDevice", 0);
    if (device != "cpu" && device != "cuda") throw Napi::RangeError::New(env, "device must be cpu or cuda");
    if (bs <= 0 || bs % 16) throw Napi::RangeError::New(env, "blockSize must be a positive multiple of 16");
    if (nblocks <= 0) throw Napi::RangeError::New(env, "numBlocks must be positive");
    if (kvType != "f16" && kvType != "int8") throw Napi::RangeError::New(env, "kvType must be f16 or int8");
    if (threads < 1 || threads > 256) throw Napi::RangeError::New(env, "threads out of range");
    st_ = std::make_shared<State>();
    try {
      st_->block_size = bs;
      st_->n_blocks = nblocks;
      if (device == "cuda") {
        // the mapped file is read once, while the weights are repacked and uploaded
        st_->model = std::make_unique<Model>(path, c, tensors, false);
        st_->gpu.reset(cuda_engine_create(*st_->model, cuda_device, nblocks, bs, kvType == "int8"));
      } else {
        st_->K = select_kernels(isa);
        st_->model = std::make_unique<Model>(path, c, tensors, huge);
        st_->kv = std::make_unique<KVCache>(c, nblocks, bs, kvType == "int8");
        st_->pool = std::make_unique<ThreadPool>(threads);
        if (st_->K->gemm_panels) pack_model_panels(*st_->model, *st_->K, *st_->pool);
      }
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!st_->model) throw Napi::Error::New(env, "engine is closed");
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "forward(batch)");
    Napi::Object b = info[0].As<Napi::Object>();
    auto tokens = vec_of<int32_t>(b, "tokens");
    auto seqPos = vec_of<int32_t>(b, "seqPos"), seqLen = vec_of<int32_t>(b, "seqLen");
    auto bt = vec_of<int32_t>(b, "blockTables"), btStart = vec_of<int32_t>(b, "blockTableStart");
    auto outRows = vec_of<int32_t>(b, "outRows"), outTopK = vec_of<int32_t>(b, "outTopK");
    auto outLogits = vec_of<uint8_t>(b, "outLogits");
    const Config& c = st_->model->cfg;
    const int S = (int)seqPos.size(), N = (int)tokens.size(), bs = st_->block_size, nb = st_->n_blocks;
    auto bad = [&](const std::string& m) { return Napi::RangeError::New(env, m); };
    if (N == 0) throw bad("forward: no tokens");
    if ((int)seqLen.size() != S || (int)btStart.size() != S + 1) throw bad("forward: seqLen/blockTableStart sizes do not match seqPos");
    for (int32_t t : tokens) if (t < 0 || t >= c.vocab) throw bad("forward: token id " + std::to_string(t) + " out of range [0, " + std::to_string(c.vocab) + ")");
    std::vector<SeqIn> seqs(S);
    int start = 0;
    for (int s = 0; s < S; s++) {
      if (seqLen[s] <= 0 || seqPos[s] < 0) throw bad("forward: sequence " + std::to_string(s) + " has no new tokens or a negative position");
      if (btStart[s] < 0 || btStart[s + 1] < btStart[s] || btStart[s + 1] > (int)bt.size()) throw bad("forward: bad blockTableStart");
      const int need = (seqPos[s] + seqLen[s] + bs - 1) / bs;
      if (btStart[s + 1] - btStart[s] < need)
        throw bad("forward: sequence " + std::to_string(s) + " needs " + std::to_string(need) + " blocks for " +
                  std::to_string(seqPos[s] + seqLen[s]) + " tokens, block table has " + std::to_string(btStart[s + 1] - btStart[s]));
      seqs[s].start = start; seqs[s].n = seqLen[s]; seqs[s].pos0 = seqPos[s];
      seqs[s].blocks.assign(bt.begin() + btStart[s], bt.begin() + btStart[s] + need);
      for (int32_t blk : seqs[s].blocks) if (blk < 0 || blk >= nb) throw bad("forward: block id " + std::to_string(blk) + " out of range [0, " + std::to_string(nb) + ")");
      start += seqLen[s];
    }
    if (start != N) throw bad("forward: sequence lengths sum to " + std::to_string(start) + ", batch has " + std::to_string(N) + " tokens");
    if (outTopK.size() != outRows.size() || outLogits.size() != outRows.size()) throw bad("forward: outRows/outTopK/outLogits sizes differ");
    std::vector<OutReq> outs(outRows.size());
    for (size_t r = 0; r < outRows.size(); r++) {
      if (outRows[r] < 0 || outRows[r] >= N) throw bad("forward: output row " + std::to_string(outRows[r]) + " out of range");
      if (outTopK[r] < 0 || outTopK[r] > c.vocab) throw bad("forward: topK out of range");
      outs[r] = {outRows[r], outTopK[r], outLogits[r] != 0};
    }
    auto* w = new ForwardWorker(env, st_, std::move(tokens), std::move(seqs), std::move(outs));
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value CopyBlocks(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!st_->model) throw Napi::Error::New(env, "engine is closed");
    if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(env, "copyBlocks(Int32Array [src, dst, ...])");
    Napi::Object holder = Napi::Object::New(env);
    holder.Set("p", info[0]);
    auto pairs = vec_of<int32_t>(holder, "p");
    if (pairs.size() % 2) throw Napi::RangeError::New(env, "copyBlocks: odd number of entries");
    for (int32_t b : pairs) if (b < 0 || b >= st_->n_blocks) throw Napi::RangeError::New(env, "copyBlocks: block id " + std::to_string(b) + " out of range");
    std::lock_guard<std::mutex> lk(st_->mu);
    if (st_->gpu) {
      try { st_->gpu->copy_blocks(pairs); } catch (const std::exception& e) { throw Napi::Error::New(env, e.what()); }
    } else {
      for (size_t i = 0; i < pairs.size(); i += 2) st_->kv->copy_block(pairs[i], pairs[i + 1]);
    }
    return env.Undefined();
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("device", st_->gpu ? "cuda" : "cpu");
    o.Set("isa", st_->K ? st_->K->name : "none");
    o.Set("cpuFeatures", cpu_features());
    o.Set("threads", st_->pool ? st_->pool->size() : 0);
    o.Set("kvBytes", st_->gpu ? (double)st_->gpu->kv_bytes() : st_->kv ? (double)st_->kv->bytes() : 0.0);
    o.Set("packedWeightBytes", st_->model ? (double)st_->model->panel_bytes : 0.0);
    o.Set("deviceWeightBytes", st_->gpu ? (double)st_->gpu->weight_bytes() : 0.0);
    o.Set("cudaMatmul", st_->gpu ? st_->gpu->matmul_kernel() : "");
    o.Set("cudaGraphs", st_->gpu ? st_->gpu->graphs() : false);
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lk(st_->mu);
    st_->gpu.reset();
    st_->pool.reset();
    st_->kv.reset();
    st_->model.reset();
    st_->ws = Workspace();
    return info.Env().Undefined();
  }

  std::shared_ptr<State> st_;
};

// kernelMatmul(isa, type, weightBytes, rows, cols, x[nTok*cols]) → y[nTok*rows]: one matmul
// through the chosen kernel set, so tests can check every kernel against a float64 reference.
Napi::Value KernelMatmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string isa = info[0].As<Napi::String>();
  int type = info[1].As<Napi::Number>().Int32Value();
  auto w = info[2].As<Napi::Uint8Array>();
  int rows = info[3].As<Napi::Number>().Int32Value(), cols = info[4].As<Napi::Number>().Int32Value();
  auto x = info[5].As<Napi::Float32Array>();
  if (block_bytes(type) == 0) throw Napi::RangeError::New(env, "unsupported type");
  if (cols % block_size(type) || w.ByteLength() != row_bytes(type, cols) * rows || x.ElementLength() % cols)
    throw Napi::RangeError::New(env, "kernelMatmul: size mismatch");
  const Kernels* K;
  try { K = select_kernels(isa); } catch (const std::exception& e) { throw Napi::Error::New(env, e.what()); }
  std::vector<uint8_t> wb(w.Data(), w.Data() + w.ByteLength());
  std::vector<float> xb(x.Data(), x.Data() + x.ElementLength());
  const int N = (int)(xb.size() / cols);
  Tensor t;
  t.type = type; t.ne0 = cols; t.ne1 = rows; t.data = wb.data(); t.row_bytes = row_bytes(type, cols);
  ThreadPool pool(2);
  std::vector<uint8_t> packed;
  if (panel_bytes(t, *K) && K->gemm_panels) {  // the layout the engine uses with this kernel set
    packed.resize(panel_bytes(t, *K) + 64);
    uint8_t* base = (uint8_t*)(((uintptr_t)packed.data() + 63) & ~(uintptr_t)63);
    pack_panels(t, *K, base, 0, panel_count(rows));
    t.panels = base;
  }
  Acts a(xb.data(), N, cols);
  auto y = Napi::Float32Array::New(env, (size_t)N * rows);
  matmul(pool, K, t, a, y.Data(), rows, nullptr);
  return y;
}

// probeCeilings(threads, isa) → { bandwidthGBs, int8GMACs }: this machine's streaming-read
// bandwidth (512 MiB buffer) and int8 multiply-add rate of the kernel set's instruction.
Napi::Value ProbeCeilings(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int threads = info[0].As<Napi::Number>().Int32Value();
  std::string isa = info[1].As<Napi::String>();
  const Kernels* K;
  try { K = select_kernels(isa); } catch (const std::exception& e) { throw Napi::Error::New(env, e.what()); }
  ThreadPool pool(threads);
  Napi::Object o = Napi::Object::New(env);
  o.Set("bandwidthGBs", probe_bandwidth_gbs(pool, (size_t)512 << 20, 5));
  o.Set("int8GMACs", probe_int8_gmacs(pool, K->name, 0.3));
  o.Set("isa", K->name);
  return o;
}

// cudaProbe(device) → { built, usable, code, reason, detail, name, capability, memory, ... }:
// whether the CUDA backend can run here and, if not, why (the first call loads the driver, if any)
Napi::Value CudaProbeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int device = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  const CudaProbe p = cuda_probe(device);
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", p.built);
  o.Set("usable", p.usable);
  o.Set("code", p.code);
  o.Set("reason", p.reason);
  o.Set("detail", p.detail);
  o.Set("name", p.name);
  o.Set("capability", p.major ? std::to_string(p.major) + "." + std::to_string(p.minor) : "");
  o.Set("memory", (double)p.memory);
  o.Set("runtimeVersion", p.runtime_version);
  o.Set("driverVersion", p.driver_version);
  return o;
}

// cudaBandwidth(device, bytes) → GB/s of streaming reads on the device (benchmark ceiling)
Napi::Value CudaBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    return Napi::Number::New(env, cuda_bandwidth_gbs(info[0].As<Napi::Number>().Int32Value(), (size_t)info[1].As<Napi::Number>().Int64Value()));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

// (type, weights, rows, cols) checked against each other, for the two dequantizers below
static void check_matrix(Napi::Env env, int type, const Napi::Uint8Array& w, int rows, int cols) {
  if (block_bytes(type) == 0) throw Napi::RangeError::New(env, "unsupported type");
  if (rows <= 0 || cols <= 0 || cols % block_size(type) || cols % 8 || w.ByteLength() != row_bytes(type, cols) * rows)
    throw Napi::RangeError::New(env, "size mismatch");
}

// dequantize(type, weights, rows, cols) → Float32Array: the CPU engine's dequantize_row
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int type = info[0].As<Napi::Number>().Int32Value(), rows = info[2].As<Napi::Number>().Int32Value(),
            cols = info[3].As<Napi::Number>().Int32Value();
  auto w = info[1].As<Napi::Uint8Array>();
  check_matrix(env, type, w, rows, cols);
  auto y = Napi::Float32Array::New(env, (size_t)rows * cols);
  for (int r = 0; r < rows; r++) dequantize_row(type, w.Data() + r * row_bytes(type, cols), cols, y.Data() + (size_t)r * cols);
  return y;
}

// gpuLayoutDequant(type, weights, rows, cols) → Float32Array: the matrix repacked into the CUDA
// backend's layout (cuda/layout.h) and read back through load8, the kernels' own loader
Napi::Value GpuLayoutDequant(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int type = info[0].As<Napi::Number>().Int32Value(), rows = info[2].As<Napi::Number>().Int32Value(),
            cols = info[3].As<Napi::Number>().Int32Value();
  auto w = info[1].As<Napi::Uint8Array>();
  check_matrix(env, type, w, rows, cols);
  const GpuLayout l = gpu_layout(type, rows, cols);
  std::vector<uint8_t> packed(l.bytes + GPU_SECTION_ALIGN);
  uint8_t* base = (uint8_t*)(((uintptr_t)packed.data() + GPU_SECTION_ALIGN - 1) & ~(uintptr_t)(GPU_SECTION_ALIGN - 1));
  gpu_repack(type, rows, cols, w.Data(), base);
  const GpuMat m = gpu_mat(type, rows, cols, base);
  auto y = Napi::Float32Array::New(env, (size_t)rows * cols);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c += 8) load8(m, r, c, y.Data() + (size_t)r * cols + c);
  Napi::Object o = Napi::Object::New(env);
  o.Set("values", y);
  o.Set("bytes", (double)l.bytes);
  return o;
}

}  // namespace
}  // namespace se

namespace se { Napi::Value ExchangePaths(const Napi::CallbackInfo& info); }

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  se::init_fp16_table();
  exports.Set("NativeEngine", se::NativeEngine::Init(env));
  exports.Set("cpuFeatures", Napi::String::New(env, se::cpu_features()));
  exports.Set("kernelMatmul", Napi::Function::New(env, se::KernelMatmul));
  exports.Set("probeCeilings", Napi::Function::New(env, se::ProbeCeilings));
  exports.Set("exchangePaths", Napi::Function::New(env, se::ExchangePaths));
  exports.Set("cudaProbe", Napi::Function::New(env, se::CudaProbeJs));
  exports.Set("cudaBandwidth", Napi::Function::New(env, se::CudaBandwidth));
  exports.Set("dequantize", Napi::Function::New(env, se::Dequantize));
  exports.Set("gpuLayoutDequant", Napi::Function::New(env, se::GpuLayoutDequant));
  return exports;
}

NODE_API_MODULE(specedit_engine, InitAll)
