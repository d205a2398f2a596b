// Persistent thread pool: workers spin briefly between jobs (a forward launches hundreds of
// small parallel loops back to back) and sleep on a condition variable when idle.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace se {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  int size() const { return (int)workers_.size() + 1; }
  // Run fn(i) for i in [0, n) on all threads (the caller included); returns when all are done.
  void parallel_for(int n, const std::function<void(int)>& fn);

 private:
  struct Job {
    const std::function<void(int)>* fn;
    int n;
    std::atomic<int> next{0}, done{0};
  };
  void worker_loop();
  static void run_tasks(Job* j);
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  // the job being run (on the caller's stack); workers register in users_ before reading it,
  // and the caller waits for users_ == 0 after clearing it, so the job outlives every reader
  std::atomic<Job*> cur_{nullptr};
  std::atomic<int> users_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace se
