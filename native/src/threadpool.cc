#include "threadpool.h"
#include <chrono>
#if defined(__x86_64__)
#include <immintrin.h>
#define SE_PAUSE() _mm_pause()
#else
#define SE_PAUSE() std::this_thread::yield()
#endif

namespace se {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
    generation_++;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_tasks(Job* j) {
  for (;;) {
    int i = j->next.fetch_add(1);
    if (i >= j->n) break;
    (*j->fn)(i);
    j->done.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    // spin up to ~2 ms for the next job before sleeping
    auto t0 = std::chrono::steady_clock::now();
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen) {
      SE_PAUSE();
      // after a short spin, yield: on an oversubscribed machine the spinning would take the
      // core from the very thread (ours or not) that has work to do
      if (++spins > 4096) std::this_thread::yield();
      if (spins % 1024 == 0 && std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(2)) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_.load() != seen; });
        break;
      }
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_) return;
    users_.fetch_add(1);
    if (Job* j = cur_.load()) run_tasks(j);
    users_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::parallel_for(int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int i = 0; i < n; i++) fn(i);
    return;
  }
  Job job;
  job.fn = &fn;
  job.n = n;
  cur_.store(&job);
  {
    std::lock_guard<std::mutex> lk(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  run_tasks(&job);
  // a worker holding the last task may have been preempted: yield so it can finish
  for (int spins = 0; job.done.load(std::memory_order_acquire) < n; spins++) {
    if (spins < 4096) SE_PAUSE(); else std::this_thread::yield();
  }
  cur_.store(nullptr);
  for (int spins = 0; users_.load(std::memory_order_acquire) != 0; spins++) {
    if (spins < 4096) SE_PAUSE(); else std::this_thread::yield();
  }
}

}  // namespace se
