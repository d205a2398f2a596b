// The CUDA engine: weights uploaded once in the device layout (layout.h), the paged KV cache in
// device memory, and forward() as the CPU engine's sequence of steps (forward.cc) on one stream:
// embed → per layer [RMSNorm → q/k/v (+bias) → RoPE → KV write → paged attention → Wo (+residual)
// → RMSNorm → gate, up·silu(gate) → down (+residual)] → the requested rows' norm → logits →
// argmax / top-k. Only ids, the top-k logits and the rows asked for in full come back.
//
// Host↔device traffic per call: one upload of the batch's integers and one download of the
// results, both through pinned buffers, then one stream synchronisation. A shape seen again (the
// steady decode or verification step) replays a captured CUDA graph instead of ~13 launches a layer.
#include <cuda_runtime.h>
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>
#include "api.h"
#include "check.cuh"
#include "kernels.cuh"
#include "model.h"

namespace se {
namespace {

size_t align256(size_t n) { return (n + 255) & ~(size_t)255; }

// A device allocation that grows (contents not kept) and frees itself.
struct DevBuf {
  uint8_t* p = nullptr;
  size_t size = 0;
  unsigned gen = 0;  // allocations so far: a new one may reuse the old address, so compare these
  ~DevBuf() { if (p) cudaFree(p); }
  uint8_t* need(size_t n, const char* what) {
    if (n <= size) return p;
    if (p) { cudaFree(p); p = nullptr; size = 0; }
    const cudaError_t e = cudaMalloc(&p, n);
    if (e != cudaSuccess) {
      p = nullptr;
      throw std::runtime_error(std::string("out of device memory for ") + what + " (" + std::to_string(n >> 20) + " MiB): " +
                               cudaGetErrorString(e));
    }
    size = n;
    gen++;
    return p;
  }
};

// A pinned host buffer that grows: copies from and to it run asynchronously at full speed.
struct PinnedBuf {
  uint8_t* p = nullptr;
  size_t size = 0;
  unsigned gen = 0;
  ~PinnedBuf() { if (p) cudaFreeHost(p); }
  uint8_t* need(size_t n) {
    if (n <= size) return p;
    if (p) { cudaFreeHost(p); p = nullptr; size = 0; }
    CUDA_CHECK(cudaMallocHost(&p, std::max<size_t>(n, 4096)));
    size = std::max<size_t>(n, 4096);
    gen++;
    return p;
  }
};

// Carves aligned pieces out of one buffer, first measuring (base null), then for real.
struct Carver {
  uint8_t* base;
  size_t at = 0;
  template <class T> T* take(size_t n) {
    T* r = base ? reinterpret_cast<T*>(base + at) : nullptr;
    at += align256(n * sizeof(T));
    return r;
  }
};

// The engine's stream, destroyed after its work is done (also when construction fails midway).
struct Stream {
  cudaStream_t s = nullptr;
  ~Stream() { if (s) { cudaStreamSynchronize(s); cudaStreamDestroy(s); } }
};

struct DevLayer {
  GpuMat wq, wk, wv, wo, wgate, wup, wdown;
  const float *attn_norm = nullptr, *ffn_norm = nullptr, *bq = nullptr, *bk = nullptr, *bv = nullptr;
};

// SPECEDIT_CUDA_PROFILE=1: the GPU time of each step of the forward pass (CUDA events between
// launches, so graphs are off) and the host's time per call, printed to stderr when the engine
// closes. For finding where a step's time goes on machines without a profiler.
class Profile {
 public:
  ~Profile() {
    for (auto& [ev, name] : marks_) cudaEventDestroy(ev);
    for (auto& [n, st] : by_n_) {  // one table per batch size
      std::vector<std::pair<double, std::string>> rows;
      double gpu = 0;
      for (auto& [name, ms] : st.gpu_ms) { rows.push_back({ms, name}); gpu += ms; }
      std::sort(rows.rbegin(), rows.rend());
      std::fprintf(stderr, "specedit cuda profile, %d tokens a call: %ld calls, host %.3f ms a call, GPU %.3f ms a call\n", n,
                   st.calls, st.host_ms / st.calls, gpu / st.calls);
      for (auto& [ms, name] : rows)
        std::fprintf(stderr, "  %-16s %9.4f ms a call  %5.1f%%  (%ld launches a call)\n", name.c_str(), ms / st.calls,
                     100 * ms / gpu, st.launches[name] / st.calls);
    }
  }
  void begin(cudaStream_t s, int n) { used_ = 0; n_ = n; mark(s, "start"); t0_ = std::chrono::steady_clock::now(); }
  void mark(cudaStream_t s, const char* what) {
    if (used_ == marks_.size()) {
      cudaEvent_t e;
      CUDA_CHECK(cudaEventCreate(&e));
      marks_.push_back({e, what});
    }
    marks_[used_].second = what;
    CUDA_CHECK(cudaEventRecord(marks_[used_++].first, s));
  }
  void end() {  // after the stream's synchronisation
    Stats& st = by_n_[n_];
    st.host_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
    st.calls++;
    for (size_t i = 1; i < used_; i++) {
      float ms = 0;
      CUDA_CHECK(cudaEventElapsedTime(&ms, marks_[i - 1].first, marks_[i].first));
      st.gpu_ms[marks_[i].second] += ms;
      st.launches[marks_[i].second]++;
    }
  }

 private:
  struct Stats {
    std::map<std::string, double> gpu_ms;
    std::map<std::string, long> launches;
    double host_ms = 0;
    long calls = 0;
  };
  std::vector<std::pair<cudaEvent_t, std::string>> marks_;
  size_t used_ = 0;
  int n_ = 0;
  std::map<int, Stats> by_n_;
  std::chrono::steady_clock::time_point t0_;
};

class CudaEngine final : public DeviceEngine {
 public:
  CudaEngine(const Model& m, int device, int n_blocks, int block_size, bool kv_int8) : c_(m.cfg), dev_(device) {
    if (c_.head_dim % 8 || c_.head_dim > 256)
      throw std::runtime_error("CUDA backend: head dimension " + std::to_string(c_.head_dim) + " (needs a multiple of 8, at most 256)");
    // tensor cores for the quantized matrices unless SPECEDIT_CUDA_MATMUL=fma asks for the f32
    // FMA kernel everywhere (the baseline the benchmarks compare against)
    const char* mm = std::getenv("SPECEDIT_CUDA_MATMUL");
    mma_ = !(mm && std::string(mm) == "fma");
    const char* gr = std::getenv("SPECEDIT_CUDA_GRAPHS");
    use_graphs_ = !(gr && std::string(gr) == "0");
    const char* pr = std::getenv("SPECEDIT_CUDA_PROFILE");
    if (pr && std::string(pr) == "1") { profile_ = std::make_unique<Profile>(); use_graphs_ = false; }
    CUDA_CHECK(cudaSetDevice(device));
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream_.s, cudaStreamNonBlocking));
    upload(m);
    kv_.n_blocks = n_blocks; kv_.block_size = block_size; kv_.kv_heads = c_.kv_heads; kv_.head_dim = c_.head_dim; kv_.i8 = kv_int8;
    const size_t elems = (size_t)c_.layers * n_blocks * c_.kv_heads * kv_.head_elems();
    const size_t scales = (size_t)c_.layers * n_blocks * c_.kv_heads * block_size;
    Carver cv{nullptr};
    cv.take<uint8_t>(elems * kv_.esz()); cv.take<uint8_t>(elems * kv_.esz()); cv.take<float>(scales); cv.take<float>(scales);
    uint8_t* base = kv_buf_.need(cv.at, "the KV cache");
    CUDA_CHECK(cudaMemset(base, 0, cv.at));
    Carver real{base};
    kv_.k = real.take<uint8_t>(elems * kv_.esz()); kv_.v = real.take<uint8_t>(elems * kv_.esz());
    kv_.ks = real.take<float>(scales); kv_.vs = real.take<float>(scales);
    kv_bytes_ = cv.at;
    // the uploads and the memset ran on the legacy default stream, which the engine's non-blocking
    // stream does not wait for: finish them before the first forward can start
    CUDA_CHECK(cudaDeviceSynchronize());
  }

  size_t kv_bytes() const override { return kv_bytes_; }
  const char* matmul_kernel() const override { return mma_ ? "mma" : "fma"; }
  bool graphs() const override { return use_graphs_; }
  size_t weight_bytes() const override { return weight_bytes_; }

  void copy_blocks(const std::vector<int32_t>& pairs) override {
    CUDA_CHECK(cudaSetDevice(dev_));
    const size_t hb = (size_t)kv_.kv_heads * kv_.head_elems() * kv_.esz(), sb = (size_t)kv_.kv_heads * kv_.block_size * sizeof(float);
    for (size_t i = 0; i + 1 < pairs.size(); i += 2)
      for (int l = 0; l < c_.layers; l++) {
        const size_t s = kv_.index(l, pairs[i], 0), d = kv_.index(l, pairs[i + 1], 0);
        const size_t es = kv_.head_elems() * kv_.esz();
        CUDA_CHECK(cudaMemcpyAsync(kv_.k + d * es, kv_.k + s * es, hb, cudaMemcpyDeviceToDevice, stream_.s));
        CUDA_CHECK(cudaMemcpyAsync(kv_.v + d * es, kv_.v + s * es, hb, cudaMemcpyDeviceToDevice, stream_.s));
        CUDA_CHECK(cudaMemcpyAsync(kv_.ks + d * kv_.block_size, kv_.ks + s * kv_.block_size, sb, cudaMemcpyDeviceToDevice, stream_.s));
        CUDA_CHECK(cudaMemcpyAsync(kv_.vs + d * kv_.block_size, kv_.vs + s * kv_.block_size, sb, cudaMemcpyDeviceToDevice, stream_.s));
      }
    CUDA_CHECK(cudaStreamSynchronize(stream_.s));
  }

  void forward(const std::vector<int32_t>& tokens, const std::vector<SeqIn>& seqs, const std::vector<OutReq>& outs,
               ForwardOut& res) override {
    CUDA_CHECK(cudaSetDevice(dev_));
    const int N = (int)tokens.size(), R = (int)outs.size(), D = c_.dim, V = c_.vocab, F = c_.ffn;
    const int qd = c_.heads * c_.head_dim, kvd = c_.kv_heads * c_.head_dim;

    // The batch's integers, laid out as the kernels read them. The block table's room and the
    // attention's partition count are rounded up, so that a decoding sequence keeps one shape
    // (and one captured graph) for 1,024 positions, not 16.
    size_t BT = 0;
    for (auto& s : seqs) BT += s.blocks.size();
    const size_t BTcap = (BT + 63) / 64 * 64;
    std::vector<int32_t> koff(R);
    size_t K = 0;
    for (int r = 0; r < R; r++) { koff[r] = (int32_t)K; K += outs[r].topk; }
    int parts = 1;  // attention partitions: enough for the furthest position in the batch
    for (auto& s : seqs)
      if (s.n > 0) parts = std::max(parts, (s.pos0 + s.n - 1) / ATT_PART + 1);
    parts = (parts + 15) / 16 * 16;
    Carver ci{nullptr};
    ci.take<int32_t>(N); ci.take<int32_t>(N); ci.take<int32_t>(N); ci.take<int32_t>(BTcap);
    ci.take<int32_t>(R); ci.take<int32_t>(R); ci.take<int32_t>(R);
    const size_t in_bytes = ci.at;
    // results: ids and top-k always; full rows for requests that want them or a top-k too large
    // for the device kernel
    std::vector<int> full;
    for (int r = 0; r < R; r++) if (outs[r].logits || outs[r].topk > TOPK_DEVICE_MAX) full.push_back(r);
    Carver co{nullptr};
    co.take<int32_t>(R); co.take<int32_t>(std::max<size_t>(K, 1)); co.take<float>(std::max<size_t>(K, 1));
    co.take<float>(full.size() * (size_t)V);

    // device workspace: the integers, the activations, the results
    Carver cw{nullptr};
    const auto carve = [&](Carver& cv) {
      struct W { uint8_t* in; float *x, *xn, *q, *k, *v, *att, *attw, *g, *u, *xo, *xr, *logits, *tkv; int32_t *am, *tki; } w;
      w.in = cv.take<uint8_t>(in_bytes);
      w.x = cv.take<float>((size_t)N * D); w.xn = cv.take<float>((size_t)N * D);
      w.q = cv.take<float>((size_t)N * qd); w.k = cv.take<float>((size_t)N * kvd); w.v = cv.take<float>((size_t)N * kvd);
      w.att = cv.take<float>((size_t)N * qd); w.attw = cv.take<float>(attention_workspace_floats(N, c_.heads, c_.head_dim, parts));
      w.g = cv.take<float>((size_t)N * F); w.u = cv.take<float>((size_t)N * F);
      w.xo = cv.take<float>((size_t)R * D); w.xr = cv.take<float>((size_t)R * D); w.logits = cv.take<float>((size_t)R * V);
      w.tkv = cv.take<float>(std::max<size_t>(K, 1)); w.am = cv.take<int32_t>(R); w.tki = cv.take<int32_t>(std::max<size_t>(K, 1));
      return w;
    };
    carve(cw);
    // a buffer allocated anew invalidates every captured graph, even at the same address: the graphs
    // hold its addresses, and a copy node holds the pinned allocation it was captured with (a
    // replay after a reallocation at the old address crashed in cuGraphLaunch on the H200)
    const unsigned gens = hin_.gen + hout_.gen + work_.gen;
    uint8_t* hin = hin_.need(in_bytes);
    Carver ho{hout_.need(co.at)};
    Carver real{work_.need(cw.at, "the forward pass's activations")};
    if (hin_.gen + hout_.gen + work_.gen != gens) graphs_.clear();

    Carver hc{hin};
    int32_t *h_tok = hc.take<int32_t>(N), *h_pos = hc.take<int32_t>(N), *h_off = hc.take<int32_t>(N),
            *h_tab = hc.take<int32_t>(BTcap), *h_rows = hc.take<int32_t>(R), *h_k = hc.take<int32_t>(R),
            *h_koff = hc.take<int32_t>(R);
    std::copy(tokens.begin(), tokens.end(), h_tok);
    size_t bt = 0;
    for (auto& s : seqs) {
      for (int i = 0; i < s.n; i++) { h_pos[s.start + i] = s.pos0 + i; h_off[s.start + i] = (int32_t)bt; }
      std::copy(s.blocks.begin(), s.blocks.end(), h_tab + bt);
      bt += s.blocks.size();
    }
    for (int r = 0; r < R; r++) { h_rows[r] = outs[r].row; h_k[r] = outs[r].topk; h_koff[r] = koff[r]; }
    int32_t *h_am = ho.take<int32_t>(R), *h_tki = ho.take<int32_t>(std::max<size_t>(K, 1));
    float *h_tkv = ho.take<float>(std::max<size_t>(K, 1)), *h_full = ho.take<float>(full.size() * (size_t)V);

    const auto w = carve(real);
    Carver dc{w.in};
    const int32_t *d_tok = dc.take<int32_t>(N), *d_pos = dc.take<int32_t>(N), *d_off = dc.take<int32_t>(N),
                  *d_tab = dc.take<int32_t>(BTcap), *d_rows = dc.take<int32_t>(R), *d_k = dc.take<int32_t>(R),
                  *d_koff = dc.take<int32_t>(R);

    // everything a call puts on the stream, from the upload of its integers to the download of its
    // results: launched directly, or captured once into a graph and replayed for a shape seen again
    const auto enqueue = [&](cudaStream_t s) {
      const auto P = [&](const char* what) { if (profile_) profile_->mark(s, what); };
      if (profile_) profile_->begin(s, N);
      CUDA_CHECK(cudaMemcpyAsync(w.in, hin, in_bytes, cudaMemcpyHostToDevice, s)); P("upload");
      launch_embed(s, tok_embd_, d_tok, N, w.x); P("embed");
      for (int l = 0; l < c_.layers; l++) {
        const DevLayer& L = layers_[l];
        launch_rmsnorm(s, w.x, L.attn_norm, N, D, c_.eps, w.xn); P("rmsnorm");
        matmul(s, L.wq, w.xn, N, w.q, qd, L.bq, EP_STORE, nullptr); P("matmul q");
        matmul(s, L.wk, w.xn, N, w.k, kvd, L.bk, EP_STORE, nullptr); P("matmul k, v");
        matmul(s, L.wv, w.xn, N, w.v, kvd, L.bv, EP_STORE, nullptr); P("matmul k, v");
        launch_rope(s, w.q, w.k, d_pos, N, c_.heads, c_.kv_heads, c_.head_dim, c_.rope_dim, c_.neox, inv_freq_); P("rope");
        launch_kv_write(s, kv_, l, w.k, w.v, d_pos, d_off, d_tab, N); P("kv write");
        launch_attention(s, kv_, l, w.q, d_pos, d_off, d_tab, N, c_.heads, parts, w.attw, w.att); P("attention");
        matmul(s, L.wo, w.att, N, w.x, D, nullptr, EP_ADD, nullptr); P("matmul o");
        launch_rmsnorm(s, w.x, L.ffn_norm, N, D, c_.eps, w.xn); P("rmsnorm");
        matmul(s, L.wgate, w.xn, N, w.g, F, nullptr, EP_STORE, nullptr); P("matmul gate, up");
        matmul(s, L.wup, w.xn, N, w.u, F, nullptr, EP_SWIGLU, w.g); P("matmul gate, up");
        matmul(s, L.wdown, w.u, N, w.x, D, nullptr, EP_ADD, nullptr); P("matmul down");
      }
      if (R > 0) {  // a pass that only fills the cache asks for no rows (and a grid of 0 blocks is an error)
        launch_gather_rows(s, w.x, d_rows, R, D, w.xo); P("gather");
        launch_rmsnorm(s, w.xo, out_norm_, R, D, c_.eps, w.xr); P("rmsnorm");
        matmul(s, output_, w.xr, R, w.logits, V, nullptr, EP_STORE, nullptr); P("matmul output");
        launch_argmax(s, w.logits, R, V, w.am); P("argmax");
        if (K) { launch_topk(s, w.logits, R, V, d_k, d_koff, w.tki, w.tkv); P("top-k"); }
        CUDA_CHECK(cudaMemcpyAsync(h_am, w.am, R * sizeof(int32_t), cudaMemcpyDeviceToHost, s));
      }
      if (K) {
        CUDA_CHECK(cudaMemcpyAsync(h_tki, w.tki, K * sizeof(int32_t), cudaMemcpyDeviceToHost, s));
        CUDA_CHECK(cudaMemcpyAsync(h_tkv, w.tkv, K * sizeof(float), cudaMemcpyDeviceToHost, s));
      }
      for (size_t i = 0; i < full.size(); i++)
        CUDA_CHECK(cudaMemcpyAsync(h_full + i * V, w.logits + (size_t)full[i] * V, V * sizeof(float), cudaMemcpyDeviceToHost, s));
      P("download");
    };
    // the shape: what the enqueued work's launches and copies depend on besides the uploaded data
    std::vector<int64_t> shape = {N, R, (int64_t)K, (int64_t)BTcap, parts};
    shape.insert(shape.end(), full.begin(), full.end());
    run(shape, enqueue);

    res.argmax.assign(h_am, h_am + R);
    res.topk_ids.assign(K, 0);
    res.topk_logits.assign(K, 0.f);
    size_t nl = 0;
    for (auto& o : outs) nl += o.logits ? V : 0;
    res.logits.resize(nl);
    for (int r = 0, fi = 0, lo = 0; r < R; r++) {
      const int k = outs[r].topk;
      const float* row = nullptr;
      if (!full.empty() && fi < (int)full.size() && full[fi] == r) row = h_full + (size_t)fi++ * V;
      if (k > TOPK_DEVICE_MAX) {  // the host's partial sort, in the CPU engine's order
        std::vector<int32_t> idx(V);
        std::iota(idx.begin(), idx.end(), 0);
        std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                          [&](int a, int b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
        for (int i = 0; i < k; i++) { res.topk_ids[koff[r] + i] = idx[i]; res.topk_logits[koff[r] + i] = row[idx[i]]; }
      } else if (k > 0) {
        std::copy_n(h_tki + koff[r], k, res.topk_ids.begin() + koff[r]);
        std::copy_n(h_tkv + koff[r], k, res.topk_logits.begin() + koff[r]);
      }
      if (outs[r].logits) { std::copy_n(row, V, res.logits.begin() + lo); lo += V; }
    }
  }

 private:
  // A forward pass's work on the stream. The first call of a shape launches it directly; the
  // second captures it into a graph, kept and replayed for that shape from then on, so a steady
  // decode or verification step is one launch instead of ~13 a layer. (Measured on an H200 it saves
  // little: 7B decode 10.8 -> 10.1 ms; the kernels, not the launches, take the time.)
  // SPECEDIT_CUDA_GRAPHS=0 launches every call directly.
  template <class F>
  void run(const std::vector<int64_t>& shape, const F& enqueue) {
    cudaStream_t s = stream_.s;
    const auto it = use_graphs_ ? graphs_.find(shape) : graphs_.end();
    if (it != graphs_.end()) {  // seen before: capture it the second time, replay it from then on
      if (!it->second.exec) it->second.exec = capture(s, enqueue);
      CUDA_CHECK(cudaGraphLaunch(it->second.exec, s));
      CUDA_CHECK(cudaStreamSynchronize(s));
      return;
    }
    if (use_graphs_) {
      if (graphs_.size() >= 64) graphs_.clear();  // many one-off shapes (prefill chunks): start over
      graphs_[shape];
    }
    enqueue(s);
    CUDA_CHECK(cudaStreamSynchronize(s));
    if (profile_) profile_->end();
  }

  template <class F>
  static cudaGraphExec_t capture(cudaStream_t s, const F& enqueue) {
    cudaGraph_t g = nullptr;
    CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    try {
      enqueue(s);
    } catch (...) {
      cudaStreamEndCapture(s, &g);
      if (g) cudaGraphDestroy(g);
      throw;
    }
    CUDA_CHECK(cudaStreamEndCapture(s, &g));
    cudaGraphExec_t ex = nullptr;
    const cudaError_t e = cudaGraphInstantiate(&ex, g, 0);
    cudaGraphDestroy(g);
    CUDA_CHECK(e);
    return ex;
  }

  void matmul(cudaStream_t s, const GpuMat& w, const float* x, int N, float* y, int ldy, const float* bias, Epilogue ep,
              const float* gate) const {
    if (mma_ && mma_type(w.type) && w.cols % 32 == 0) launch_matmul_mma(s, w, x, N, y, ldy, bias, ep, gate);
    else launch_matmul(s, w, x, N, y, ldy, bias, ep, gate);
  }

  // Weights: every matrix repacked on the host (layout.h) and copied into one device arena; the
  // norms and biases (already floats in the Model) into another. Done once, at load.
  void upload(const Model& m) {
    std::vector<const Tensor*> mats = {&m.tok_embd};
    if (!c_.tied) mats.push_back(&m.output);
    for (auto& L : m.layers) for (const Tensor* t : {&L.wq, &L.wk, &L.wv, &L.wo, &L.wgate, &L.wup, &L.wdown}) mats.push_back(t);
    size_t total = 0, largest = 0;
    for (const Tensor* t : mats) {
      if (!gpu_type_known(t->type)) throw std::runtime_error(std::string("CUDA backend: no kernel for tensor type ") + type_name(t->type));
      if (t->ne0 % 8) throw std::runtime_error("CUDA backend: a matrix's rows must be a multiple of 8 values");
      const size_t b = gpu_layout(t->type, t->ne1, t->ne0).bytes;
      total += b;
      largest = std::max(largest, b);
    }
    uint8_t* arena = weights_.need(total, "the weights");
    weight_bytes_ = total;
    std::vector<uint8_t> staging(largest);
    size_t at = 0;
    auto put = [&](const Tensor& t) {
      const size_t b = gpu_layout(t.type, t.ne1, t.ne0).bytes;
      gpu_repack(t.type, t.ne1, t.ne0, t.data, staging.data());
      CUDA_CHECK(cudaMemcpy(arena + at, staging.data(), b, cudaMemcpyHostToDevice));
      const GpuMat g = gpu_mat(t.type, (int)t.ne1, (int)t.ne0, arena + at);
      at += b;
      return g;
    };
    tok_embd_ = put(m.tok_embd);
    output_ = c_.tied ? tok_embd_ : put(m.output);

    // float vectors and the rope frequencies
    std::vector<const std::vector<float>*> vecs = {&m.out_norm};
    for (auto& L : m.layers) for (auto* v : {&L.attn_norm, &L.ffn_norm, &L.bq, &L.bk, &L.bv}) vecs.push_back(v);
    Carver cv{nullptr};
    for (auto* v : vecs) cv.take<float>(v->size());
    cv.take<double>(c_.rope_dim / 2);
    uint8_t* fb = floats_.need(cv.at, "norms and biases");
    weight_bytes_ += cv.at;
    Carver real{fb};
    auto putf = [&](const std::vector<float>& v) -> const float* {
      float* d = real.take<float>(v.size());
      if (v.empty()) return nullptr;
      CUDA_CHECK(cudaMemcpy(d, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice));
      return d;
    };
    out_norm_ = putf(m.out_norm);
    layers_.resize(m.layers.size());
    for (size_t i = 0; i < m.layers.size(); i++) {
      const Layer& L = m.layers[i];
      DevLayer& d = layers_[i];
      d.wq = put(L.wq); d.wk = put(L.wk); d.wv = put(L.wv); d.wo = put(L.wo);
      d.wgate = put(L.wgate); d.wup = put(L.wup); d.wdown = put(L.wdown);
      d.attn_norm = putf(L.attn_norm); d.ffn_norm = putf(L.ffn_norm);
      d.bq = putf(L.bq); d.bk = putf(L.bk); d.bv = putf(L.bv);
    }
    std::vector<double> inv(c_.rope_dim / 2);
    for (int j = 0; j < c_.rope_dim / 2; j++) inv[j] = std::pow(c_.rope_base, -2.0 * j / c_.rope_dim);
    double* dinv = real.take<double>(inv.size());
    CUDA_CHECK(cudaMemcpy(dinv, inv.data(), inv.size() * sizeof(double), cudaMemcpyHostToDevice));
    inv_freq_ = dinv;
  }

  // a captured forward pass, destroyed with its entry
  struct Graph {
    cudaGraphExec_t exec = nullptr;
    Graph() = default;
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;
    ~Graph() { if (exec) cudaGraphExecDestroy(exec); }
  };

  Config c_;
  int dev_;
  bool mma_ = true, use_graphs_ = true;
  DevBuf weights_, floats_, kv_buf_, work_;
  PinnedBuf hin_, hout_;
  Stream stream_;  // destroyed (after a final sync) before the buffers it used
  std::map<std::vector<int64_t>, Graph> graphs_;  // by shape; declared after the stream: destroyed first
  std::unique_ptr<Profile> profile_;
  GpuMat tok_embd_, output_;
  const float* out_norm_ = nullptr;
  const double* inv_freq_ = nullptr;
  std::vector<DevLayer> layers_;
  DevKV kv_;
  size_t kv_bytes_ = 0, weight_bytes_ = 0;
};

}  // namespace

DeviceEngine* cuda_engine_create(const Model& m, int device, int n_blocks, int block_size, bool kv_int8) {
  const CudaProbe p = cuda_probe(device);
  if (!p.usable) throw std::runtime_error("CUDA device " + std::to_string(device) + " not usable: " + p.reason + " (" + p.detail + ")");
  return new CudaEngine(m, device, n_blocks, block_size, kv_int8);
}

}  // namespace se
