{
  "variables": {
    "with_cuda%": "<!(sh cuda/detect.sh enabled)",
    "cuda_home%": "<!(sh cuda/detect.sh home)"
  },
  "targets": [{
    "target_name": "specedit_engine",
    "sources": [
      "src/addon.cc", "src/model.cc", "src/forward.cc", "src/attention.cc", "src/matmul.cc", "src/panels.cc",
      "src/threadpool.cc", "src/fs_exchange.cc", "src/quant.cc", "src/cpu.cc", "src/probes.cc",
      "src/kernels_scalar.cc", "src/kernels_avx2.cc", "src/kernels_avx512.cc", "src/kernels_amx.cc", "cuda/repack.cc"
    ],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src", "cuda"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++20", "-fexceptions", "-O3", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wno-unused-function", "-Wno-uninitialized", "-Wno-maybe-uninitialized"],
    "ldflags": ["-pthread"],
    "conditions": [
      ["with_cuda==1", {
        "sources": [
          "cuda/probe.cu", "cuda/engine.cu", "cuda/matmul.cu", "cuda/norm.cu", "cuda/rope.cu", "cuda/kvcache.cu",
          "cuda/attention.cu", "cuda/sample.cu", "cuda/matmul_mma.cu"
        ],
        "defines": ["SPECEDIT_WITH_CUDA"],
        "rules": [{
          "rule_name": "nvcc",
          "extension": "cu",
          "inputs": ["<(RULE_INPUT_PATH)"],
          "outputs": ["<(INTERMEDIATE_DIR)/<(RULE_INPUT_ROOT).cu.o"],
          "action": [
            "<(cuda_home)/bin/nvcc", "-c", "<(RULE_INPUT_PATH)", "-o", "<@(_outputs)", "-std=c++17", "-O3",
            "-Isrc", "-Icuda", "-Xcompiler", "-fPIC", "--threads", "0",
            "-gencode", "arch=compute_80,code=sm_80", "-gencode", "arch=compute_90,code=sm_90",
            "-gencode", "arch=compute_90,code=compute_90"
          ],
          "message": "NVCC <(RULE_INPUT_PATH)",
          "process_outputs_as_sources": 1
        }],
        "libraries": ["-L<(cuda_home)/lib64", "-lcudart_static", "-ldl", "-lrt", "-lpthread"]
      }, {
        "sources": ["src/cuda_none.cc"]
      }]
    ]
  }]
}
