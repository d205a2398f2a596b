// Machine ceilings measured in the benchmark's own run: streaming-read bandwidth and
// int8 multiply-add throughput of the selected kernel set, on all pool threads.
#pragma once
#include <string>
#include "threadpool.h"

namespace se {
double probe_bandwidth_gbs(ThreadPool& pool, size_t bytes, int reps);
double probe_int8_gmacs(ThreadPool& pool, const std::string& isa, double seconds);
}  // namespace se
