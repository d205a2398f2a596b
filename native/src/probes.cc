#include "probes.h"
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace se {

using Clock = std::chrono::steady_clock;

#if defined(__x86_64__)
__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= n; i += 128) {
    a0 = _mm256_xor_si256(a0, _mm256_load_si256((const __m256i*)(p + i)));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256((const __m256i*)(p + i + 32)));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256((const __m256i*)(p + i + 64)));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256((const __m256i*)(p + i + 96)));
  }
  __m256i x = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return (uint64_t)_mm256_extract_epi64(x, 0);
}
#endif

static uint64_t sum_any(const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) return sum_avx2(p, n);
#endif
  uint64_t s = 0;
  for (size_t i = 0; i + 8 <= n; i += 64) { uint64_t v; std::memcpy(&v, p + i, 8); s ^= v; }
  return s;
}

double probe_bandwidth_gbs(ThreadPool& pool, size_t bytes, int reps) {
  uint8_t* buf = (uint8_t*)aligned_alloc(64, bytes);
  const int T = pool.size();
  const size_t part = (bytes / T) & ~(size_t)127;
  pool.parallel_for(T, [&](int t) { std::memset(buf + t * part, t + 1, part); });
  volatile uint64_t sink = 0;
  double best = 0;
  for (int r = 0; r < reps; r++) {
    auto t0 = Clock::now();
    pool.parallel_for(T, [&](int t) { sink = sink ^ sum_any(buf + t * part, part); });
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, part * T / s / 1e9);
  }
  free(buf);
  return best;
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static double loop_vnni(long n) {
  __m512i acc[8];
  for (auto& a : acc) a = _mm512_setzero_si512();
  __m512i x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(5);
  for (long i = 0; i < n; i++) {
    for (int k = 0; k < 8; k++) acc[k] = _mm512_dpbusd_epi32(acc[k], x, y);
    __asm__ volatile("" : "+v"(x));
  }
  int r = 0;
  for (auto& a : acc) r += _mm512_reduce_add_epi32(a);
  return (double)n * 8 * 64 + (r & 1) * 1e-9;
}
// eight independent vpmaddubsw + vpmaddwd chains on distinct inputs (one shared input would let
// the compiler compute the products once for all eight and count them eight times)
__attribute__((target("avx2"))) static double loop_avx2(long n) {
  __m256i acc[8], x[8];
  for (int k = 0; k < 8; k++) { acc[k] = _mm256_setzero_si256(); x[k] = _mm256_set1_epi8((char)(3 + k)); }
  __m256i y = _mm256_set1_epi8(5);
  const __m256i one = _mm256_set1_epi16(1);
  for (long i = 0; i < n; i++) {
    for (int k = 0; k < 8; k++) acc[k] = _mm256_add_epi32(acc[k], _mm256_madd_epi16(_mm256_maddubs_epi16(x[k], y), one));
    __asm__ volatile("" : "+x"(y));
  }
  int r = 0;
  for (auto& a : acc) r += _mm256_extract_epi32(a, 0);
  return (double)n * 8 * 32 + (r & 1) * 1e-9;
}
#endif

double probe_int8_gmacs(ThreadPool& pool, const std::string& isa, double seconds) {
  const int T = pool.size();
  std::vector<double> macs(T);
  auto run = [&](long n) {
    pool.parallel_for(T, [&](int t) {
#if defined(__x86_64__)
      if (isa.find("avx512") != std::string::npos) { macs[t] = loop_vnni(n); return; }
      if (isa == "avx2") { macs[t] = loop_avx2(n); return; }
#endif
      int8_t a[64], b[64];
      for (int i = 0; i < 64; i++) { a[i] = (int8_t)i; b[i] = (int8_t)(3 - i); }
      int s = 0;
      for (long i = 0; i < n; i++) for (int j = 0; j < 64; j++) s += a[j] * b[(j + i) & 63];
      macs[t] = (double)n * 64 + (s & 1) * 1e-9;
    });
  };
  long n = 100000;
  for (;;) {
    auto t0 = Clock::now();
    run(n);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s > seconds || n > (1L << 40)) {
      double total = 0;
      for (double m : macs) total += m;
      return total / s / 1e9;
    }
    n *= 2;
  }
}

}  // namespace se
