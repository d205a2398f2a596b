{
  "targets": [{
    "target_name": "specedit_engine",
    "sources": [
      "src/addon.cc", "src/model.cc", "src/forward.cc", "src/attention.cc", "src/matmul.cc", "src/panels.cc",
      "src/threadpool.cc", "src/fs_exchange.cc", "src/quant.cc", "src/cpu.cc", "src/probes.cc",
      "src/kernels_scalar.cc", "src/kernels_avx2.cc", "src/kernels_avx512.cc"
    ],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++20", "-fexceptions", "-O3", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wno-unused-function", "-Wno-uninitialized", "-Wno-maybe-uninitialized"],
    "ldflags": ["-pthread"]
  }]
}
