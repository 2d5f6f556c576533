#!/usr/bin/env bash
# The GPU speed check of the issue "benchmarks for GPU speed work", in ONE call on a lent NVIDIA
# machine (H100): prints each figure beside its target.
#
#   target                                                      figure printed
#   fp32 matmul 4096^3 >= 15 TFLOP/s                            matmul_4096 (chosen fp32 kernel), best fp32 variant
#   mixed matmul 4096^3 >= 100 TFLOP/s                          matmul_4096 (mixed), best mixed variant
#   BERT-base step, mixed >= 1x PyTorch fp32 eager, same run    train_step_base (mixed) / train_step_base_torch (fp32)
#   BERT-base step, fp32 >= 0.5x PyTorch fp32 eager, same run   train_step_base (fp32) / train_step_base_torch (fp32)
# and besides: `deno task doctor --json`, matmul_1024 and matmul_4096 per variant and precision, the
# BERT-base layer's matmul shapes per variant and precision, PyTorch's mixed (autocast fp16) step.
#
# The device machine reaches no network and starts bare: it has python3 with torch (CUDA) and
# transformers, but no Deno, no node_modules and no Vulkan loader. So, in two steps:
#
# 1. HERE (a machine with network, x86-64, repo root, deno on PATH), once (xz takes minutes):
#        bash tasks/bench/device_check.sh prepare
#    It fills .benchkit/ (ignored by .gitignore): deno.xz (the Deno binary, 28.4 MiB),
#    node_modules.tar.xz (5.9 MiB: the packages the bench imports in full, Dawn's linux-x64 binary
#    only; the rest as package.json and markers, since deno refuses to start with one missing), and
#    the Debian package libvulkan1. The tracked tree is ~26 MiB: together under the 64 MiB a call
#    may carry (keep other untracked files out). KIT=/elsewhere puts the kit elsewhere (tests).
#
# 2. On the device, one call (at most ~9.5 minutes; every part has its own timeout, so one hang
#    loses only its own figures; deno runs --cached-only --no-check, tasks as `deno run` lines):
#        run(command="bash tasks/bench/device_check.sh", carry=[".benchkit"], timeout_s=600)
#    Results: the log and every JSON result line go to $OUT (device_check.log, results.jsonl) when
#    OUT is set, else to ./out/device_check/. Environment: BUDGET_S (default 540) caps the whole run,
#    BATCH (default 32) the step benchmarks' batch.
#
# Read the summary at the end of the log: "ok" / "BELOW" per target, "missing" when a part failed
# (its error is in the log above).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KIT=${KIT:-$ROOT/.benchkit}
cd "$ROOT"

prepare() {
  mkdir -p "$KIT"
  local deno_bin
  deno_bin=$(readlink -f "$(command -v deno)")
  if [ "$KIT/deno.xz" -nt "$deno_bin" ]; then
    echo "prepare: keeping $KIT/deno.xz (newer than $deno_bin)"
  else
    echo "prepare: xz -9 $deno_bin -> $KIT/deno.xz (minutes on 2 cores)"
    xz -9 -T0 -c "$deno_bin" >"$KIT/deno.xz.tmp" && mv "$KIT/deno.xz.tmp" "$KIT/deno.xz"
  fi
  # node_modules as deno.json and the lockfile have it (deno refuses to start with a package
  # missing), but only the packages the bench and doctor import in full: the others (vega, d3, ...)
  # as their package.json and markers alone.
  deno cache tasks/bench.ts tasks/doctor.ts >/dev/null 2>&1 || { echo "prepare: deno cache failed" >&2; exit 1; }
  local graph
  graph=$(for e in tasks/bench.ts tasks/doctor.ts; do deno info "$e"; done 2>/dev/null \
    | grep -o 'npm:/[^ ]*' | sed 's|^npm:/||; s|/|+|g' | sed 's|\x1b\[[0-9;]*m||g' | sort -u)
  local paths=(node_modules/.deno/.setup-cache.bin node_modules/.deno/.deno.lock)
  local dir name
  while IFS= read -r dir; do paths+=("$dir"); done < <(find node_modules -maxdepth 2 -type l)
  for dir in node_modules/.deno/*/; do
    name=$(basename "$dir")
    if grep -qxF "$name" <<<"$graph"; then
      paths+=("${dir%/}")
    else
      # its package.json, and deno's markers (.initialized) that say the package is installed
      while IFS= read -r f; do paths+=("$f"); done < <(
        find "$dir" -maxdepth 1 -type f
        find "$dir" -maxdepth 4 -path '*/node_modules/*' -name package.json
      )
    fi
  done
  echo "prepare: node_modules (in full: $(echo $graph | tr '\n' ' '); linux-x64 Dawn only) -> $KIT/node_modules.tar.xz"
  tar -cf - --exclude='*/webgpu/dist/darwin-*' --exclude='*/webgpu/dist/win32-*' \
    --exclude='*/webgpu/dist/linux-arm64' "${paths[@]}" | xz -6 -T0 >"$KIT/node_modules.tar.xz"
  echo "prepare: apt-get download libvulkan1 -> $KIT/"
  rm -f "$KIT"/*.deb
  (cd "$KIT" && apt-get download libvulkan1)
  du -sh "$KIT"/*
  echo "prepare: done; on the device: bash tasks/bench/device_check.sh  (carry .benchkit)"
}

if [ "${1:-}" = "prepare" ]; then
  prepare
  exit 0
fi
if [ $# -gt 0 ]; then
  echo "usage: bash tasks/bench/device_check.sh [prepare]" >&2
  exit 2
fi

# ---- on the device ----
START=$SECONDS
BUDGET_S=${BUDGET_S:-540}
BATCH=${BATCH:-32}
RESULTS_DIR=${OUT:-$ROOT/out/device_check}
mkdir -p "$RESULTS_DIR"
LOG=$RESULTS_DIR/device_check.log
JSONL=$RESULTS_DIR/results.jsonl
: >"$JSONL"
exec > >(tee "$LOG") 2>&1

say() { echo "== $* ($((SECONDS - START)) s)"; }

say "setup"
shopt -s nullglob
for f in "$KIT"/*.deb; do dpkg -x "$f" /; done
shopt -u nullglob
ldconfig
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
DENO=/tmp/benchkit/deno
mkdir -p /tmp/benchkit
[ -x "$DENO" ] || { xz -dc "$KIT/deno.xz" >"$DENO" && chmod +x "$DENO"; }
if [ ! -d node_modules/.deno ]; then tar -xJf "$KIT/node_modules.tar.xz"; fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg} PYTHONUNBUFFERED=1 DENO_NO_UPDATE_CHECK=1
mkdir -p "$XDG_RUNTIME_DIR"
"$DENO" --version | head -1
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
python3 -c 'import torch, transformers; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), "transformers", transformers.__version__)' || true

DENO_RUN=("$DENO" run -A --unstable-webgpu --cached-only --no-check)

# part NAME SECONDS COMMAND...: runs COMMAND under the smaller of SECONDS and the budget left (less
# a reserve for the summary); keeps its JSON lines; never stops the script.
part() {
  local name=$1 want=$2
  shift 2
  local left=$((BUDGET_S - (SECONDS - START) - 15))
  local limit=$((want < left ? want : left))
  if [ "$limit" -lt 10 ]; then
    say "$name: skipped, budget spent"
    return 0
  fi
  say "$name (timeout ${limit} s): $*"
  local rc=0
  timeout -k 5 "$limit" "$@" >"$RESULTS_DIR/part.out" || rc=$?
  cat "$RESULTS_DIR/part.out"
  grep '^{' "$RESULTS_DIR/part.out" >>"$JSONL" || true
  rm -f "$RESULTS_DIR/part.out"
  if [ "$rc" -ne 0 ]; then say "$name: FAILED (exit $rc$([ "$rc" -eq 124 ] && echo ', timed out'))"; fi
  return 0
}

BENCH=("${DENO_RUN[@]}" tasks/bench.ts --backend dawn --json)
part doctor 60 "${DENO_RUN[@]}" tasks/doctor.ts --backend dawn --json
part matmul_fp32 60 "${BENCH[@]}" matmul_1024 matmul_4096 --precision fp32
part matmul_mixed 60 "${BENCH[@]}" matmul_1024 matmul_4096 --precision mixed
part train_step_base_fp32 150 "${BENCH[@]}" train_step_base --precision fp32 --torch --batch "$BATCH"
part train_step_base_mixed 150 "${BENCH[@]}" train_step_base --precision mixed --torch --batch "$BATCH"
part matmul_variants 90 "${BENCH[@]}" matmul_variants --precision both
part matmul_bert 90 "${BENCH[@]}" matmul_bert --precision both

say "summary"
python3 - "$JSONL" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def pick(bench, precision=None, **extra):
    for r in rows:
        if r.get("bench") == bench and (precision is None or r.get("precision") == precision) \
                and all(r.get(k) == v for k, v in extra.items()):
            return r
    return None
def best(prefix, precision):
    cands = [r for r in rows if r.get("bench", "").startswith(prefix) and r.get("precision") == precision]
    return max(cands, key=lambda r: r["value"], default=None)
def line(label, value, target, unit):
    if value is None:
        print(f"{label:58s} {'missing':>12s}   target >= {target:g} {unit}")
    else:
        verdict = "ok" if value >= target else "BELOW"
        print(f"{label:58s} {value:12.2f}   target >= {target:g} {unit}   {verdict}")
def val(r, scale=1.0):
    return None if r is None else r["value"] * scale
print(f"{'figure':58s} {'value':>12s}")
for p, target in (("fp32", 15.0), ("mixed", 100.0)):
    r = pick("matmul_4096", p)
    line(f"matmul_4096 {p} ({r['variant'] if r else '?'}), TFLOP/s", val(r, 1e-3), target, "TFLOP/s")
    b = best("matmul_4096_", p)
    line(f"  best {p} variant at 4096^3 ({b['variant'] if b else '?'}), TFLOP/s", val(b, 1e-3), target, "TFLOP/s")
torch32 = pick("train_step_base_torch", "fp32")
for p, target in (("mixed", 1.0), ("fp32", 0.5)):
    ours = pick("train_step_base", p)
    ratio = ours["value"] / torch32["value"] if ours and torch32 else None
    line(f"train_step_base {p} / PyTorch fp32 eager (x)", ratio, target, "x")
for p in ("fp32", "mixed"):
    for b in ("train_step_base", "train_step_base_torch", "train_step_base_vs_torch", "forward_base",
              "train_step_base_matmul_share"):
        r = pick(b, p)
        if r:
            print(f"  {b:34s} {p:5s} {r['value']:12.2f} {r['unit']}")
print("matmul GFLOP/s per variant and precision:")
for r in rows:
    if r.get("unit") == "GFLOP/s":
        print(f"  {r['bench']:34s} {r.get('variant', ''):8s} {r.get('precision', ''):5s} {r['value']:12.1f}")
EOF
say "done; log and results.jsonl in $RESULTS_DIR"
