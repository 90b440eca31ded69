#!/usr/bin/env bash
# SwiftGAN against its peers, one training step (one D and one G update) per model, in float32 and in
# bfloat16 mixed precision.
#
#   scripts/compare/run.sh [--rounds N] [--seconds S] [--no-compile] [--no-bf16] MODEL...
#
# MODEL: mlp-gan, dcgan, acgan, dcgan64, sngan (or "all"). For each model it runs, alternately for N
# rounds (default 3) of S measured seconds each (default 5):
#   swiftgan        .build/release/swiftgan bench MODEL --seconds S --precision fp32  (built with `swift build -c
#                   release` if missing; an older swiftgan without --precision runs fp32 without it)
#   swiftgan-bf16   the same with --precision bf16 (a swiftgan without that option, or one that exits non-zero
#                   because this CPU cannot run bf16, is reported as missing, with its message)
#   pytorch-1t      scripts/compare/pytorch_MODEL.py, eager, 1 thread
#   pytorch         the same with PyTorch's default threads
#   pytorch-bf16    the same with --bf16: forward passes and losses under torch.autocast("cpu", dtype=torch.bfloat16),
#                   float32 weights, gradients and Adam (PyTorch's mixed-precision recipe); default threads
#   pytorch-compile the same as pytorch under torch.compile (--no-compile leaves it out: its first compile takes minutes)
#   keras           scripts/compare/keras_MODEL.py: Keras layers, tf.function custom step, TensorFlow's default threads
#                   (sngan has no Keras peer: reported as missing)
#   keras-bf16      the same with --bf16: the "mixed_bfloat16" global policy (float32 variables; the models'
#                   outputs and the losses in float32, as Keras's mixed-precision guide has them); default threads
# (--no-bf16 leaves out the three bf16 entries.) It prints each JSON line as it comes, then a summary: per
# entry the median steps/s over the rounds, and the ratios of swiftgan and of swiftgan-bf16 (their steps/s ÷
# the entry's: above 1, SwiftGAN is faster) to every entry and to the fastest peer of any precision, which
# it names; with the CPU and whether it has bfloat16 instructions (avx512_bf16, amx_bf16 in /proc/cpuinfo).
# The order of the runs rotates from round to round. A peer whose framework does not import, or whose
# script fails, is reported as missing; the other runs go on.
#
# Environment: PYTHON (default python3); OPENBLAS_NUM_THREADS reaches swiftgan as usual.
# The machine's load matters (uptime is printed before and after): compare ratios measured back to back.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
rounds=3 seconds=5 compile=1 bf16=1 models=()
known=(mlp-gan dcgan acgan dcgan64 sngan)

# The comment block at the top of this file, without its "#".
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
        --rounds=*) rounds=${1#*=}; shift ;;
        --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
        --seconds=*) seconds=${1#*=}; shift ;;
        --no-compile) compile=0; shift ;;
        --no-bf16) bf16=0; shift ;;
        -h|--help) usage 0 ;;
        all) models+=("${known[@]}"); shift ;;
        -*) echo "run.sh: unknown option $1" >&2; usage 2 ;;
        *) models+=("$1"); shift ;;
    esac
done
[ ${#models[@]} -gt 0 ] || { echo "run.sh: name at least one model: ${known[*]} (or all)" >&2; usage 2; }
for m in "${models[@]}"; do
    [[ " ${known[*]} " == *" $m "* ]] || { echo "run.sh: unknown model '$m' (known: ${known[*]})" >&2; exit 2; }
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds must be a positive integer" >&2; exit 2; }
[[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "run.sh: --seconds must be a number" >&2; exit 2; }

swiftgan=$root/.build/release/swiftgan
if [ ! -x "$swiftgan" ]; then
    echo "== $swiftgan is missing: swift build -c release"
    (cd "$root" && swift build -c release) || { echo "run.sh: the release build failed" >&2; exit 1; }
fi

export TF_CPP_MIN_LOG_LEVEL=2
work=$(mktemp -d "${TMPDIR:-/tmp}/swiftgan-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv   # model, peer, JSON line (or "MISSING", reason)
: > "$results"

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
[ -n "$cpu" ] || cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
# bfloat16 instructions: x86's flags (AVX512_BF16: dot products and conversions; AMX_BF16: tile matrix
# products), arm64's Features (BF16).
has() { [[ " $2 " == *" $1 "* ]] && echo yes || echo no; }
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2-)
features=$(grep -m1 '^Features' /proc/cpuinfo 2>/dev/null | cut -d: -f2-)
if [ -n "$flags" ]; then
    bf16_cpu="avx512_bf16 $(has avx512_bf16 "$flags"), amx_bf16 $(has amx_bf16 "$flags")"
elif [ -n "$features" ]; then
    bf16_cpu="bf16 (arm64) $(has bf16 "$features")"
else
    bf16_cpu="unknown (no CPU flags in /proc/cpuinfo)"
fi
echo "== CPU: ${cpu:-unknown}, $(nproc) cores available; bfloat16 instructions: $bf16_cpu"
load_before=$(uptime)
echo "== load before: $load_before"

# Which frameworks import at all (a missing one makes its peers "missing", not a failure of the run).
declare -A broken=()
for module in torch tensorflow; do
    if ! err=$(cd "$work" && "$python" -c "import $module" 2>&1); then
        broken[$module]="import $module failed: $(printf '%s\n' "$err" | tail -1)"
        echo "== $module is missing: ${broken[$module]}"
    fi
done

peers=(swiftgan)
[ "$bf16" = 1 ] && peers+=(swiftgan-bf16)
peers+=(pytorch-1t pytorch)
[ "$bf16" = 1 ] && peers+=(pytorch-bf16)
[ "$compile" = 1 ] && peers+=(pytorch-compile)
peers+=(keras)
[ "$bf16" = 1 ] && peers+=(keras-bf16)

# Entries that cannot run on any model, with the reason (reported as missing).
declare -A unavailable=()
# fp32 named explicitly: where the CPU has bf16, bench's default is bf16.
fp32_option=(--precision fp32)
if ! "$swiftgan" bench model --help 2>&1 | grep -q -- '--precision'; then
    fp32_option=()
    if [ "$bf16" = 1 ]; then
        unavailable[swiftgan-bf16]="this swiftgan's bench has no --precision option (rebuild: swift build -c release)"
        echo "== swiftgan-bf16 is missing: ${unavailable[swiftgan-bf16]}"
    fi
fi

# The command for a peer on a model (one word per line), or nothing if the peer cannot run.
command_for() {
    local peer=$1 model=$2 script=${2//-/_}
    case "$peer" in
        swiftgan) printf '%s\n' "$swiftgan" bench "$model" --seconds "$seconds" "${fp32_option[@]}" ;;
        swiftgan-bf16) printf '%s\n' "$swiftgan" bench "$model" --seconds "$seconds" --precision bf16 ;;
        pytorch-1t) printf '%s\n' "$python" "$here/pytorch_$script.py" --seconds "$seconds" --threads 1 ;;
        pytorch) printf '%s\n' "$python" "$here/pytorch_$script.py" --seconds "$seconds" ;;
        pytorch-bf16) printf '%s\n' "$python" "$here/pytorch_$script.py" --seconds "$seconds" --bf16 ;;
        pytorch-compile) printf '%s\n' "$python" "$here/pytorch_$script.py" --seconds "$seconds" --compile ;;
        keras) printf '%s\n' "$python" "$here/keras_$script.py" --seconds "$seconds" ;;
        keras-bf16) printf '%s\n' "$python" "$here/keras_$script.py" --seconds "$seconds" --bf16 ;;
    esac
}
framework_of() { case "$1" in pytorch*) echo torch ;; keras*) echo tensorflow ;; *) echo "" ;; esac; }
# The peer's script for a model (nothing for swiftgan).
script_of() { case "$1" in pytorch*) echo "pytorch_${2//-/_}.py" ;; keras*) echo "keras_${2//-/_}.py" ;; *) echo "" ;; esac; }

# Generous: torch.compile's first compile of a model takes minutes on a small machine.
limit=$(awk -v s="$seconds" 'BEGIN { printf "%d", 1200 + 3 * s }')

declare -A failed=()
for model in "${models[@]}"; do
    for name in "${peers[@]}"; do
        fw=$(framework_of "$name")
        script=$(script_of "$name" "$model")
        if [ -n "${unavailable[$name]:-}" ]; then
            printf '%s\t%s\tMISSING\t%s\n' "$model" "$name" "${unavailable[$name]}" >> "$results"
            failed[$model/$name]=1
        elif [ -n "$fw" ] && [ -n "${broken[$fw]:-}" ]; then
            printf '%s\t%s\tMISSING\t%s\n' "$model" "$name" "${broken[$fw]}" >> "$results"
            failed[$model/$name]=1
        elif [ -n "$script" ] && [ ! -f "$here/$script" ]; then
            printf '%s\t%s\tMISSING\tno %s\n' "$model" "$name" "$script" >> "$results"
            failed[$model/$name]=1
        fi
    done
    for ((round = 1; round <= rounds; round++)); do
        n=${#peers[@]}
        for ((k = 0; k < n; k++)); do
            name=${peers[$(( (k + round - 1) % n ))]}
            [ -n "${failed[$model/$name]:-}" ] && continue
            mapfile -t cmd < <(command_for "$name" "$model")
            out=$(cd "$here" && timeout "$limit" "${cmd[@]}" 2> "$work/stderr")
            rc=$?
            line=$(printf '%s\n' "$out" | grep '^{' | tail -1)
            if [ $rc -ne 0 ] || [ -z "$line" ]; then
                # The reason: an "Error:" or "Fatal error:" line (swiftgan's, swift-argument-parser's),
                # else the last line on stderr (a Python exception), else the last line on stdout.
                reason=$(grep -m1 -iE '^(error|fatal error)\b' "$work/stderr")
                [ -n "$reason" ] || reason=$(grep -v '^\s*$' "$work/stderr" | tail -1)
                [ -n "$reason" ] || reason=$(printf '%s\n' "$out" | grep -v '^\s*$' | tail -1)
                [ $rc -eq 124 ] && reason="timed out after ${limit}s"
                echo "[$model round $round/$rounds] $name FAILED (exit $rc): ${reason:-no JSON line}" >&2
                tail -5 "$work/stderr" | sed 's/^/    /' >&2
                printf '%s\t%s\tMISSING\tfailed (exit %s): %s\n' "$model" "$name" "$rc" "${reason:-no JSON line}" >> "$results"
                failed[$model/$name]=1
                continue
            fi
            echo "[$model round $round/$rounds] $name: $line"
            printf '%s\t%s\t%s\n' "$model" "$name" "$line" >> "$results"
        done
    done
done

load_after=$(uptime)
echo "== load after: $load_after"

"$python" - "$results" "$rounds" "$seconds" "$cpu" "$bf16_cpu" "$load_before" "$load_after" <<'EOF'
import json
import statistics
import sys

path, rounds, seconds, cpu, bf16_cpu, before, after = sys.argv[1:]
order = ["swiftgan", "swiftgan-bf16", "pytorch-1t", "pytorch", "pytorch-bf16", "pytorch-compile", "keras", "keras-bf16"]
ours = ["swiftgan", "swiftgan-bf16"]  # the ratios' numerators; every other entry is a peer
runs, missing, frameworks, threads, precisions = {}, {}, {}, {}, {}
for row in open(path):
    model, peer, rest = row.rstrip("\n").split("\t", 2)
    if rest.startswith("MISSING\t"):
        missing[(model, peer)] = rest.split("\t", 1)[1]
        continue
    report = json.loads(rest)
    runs.setdefault((model, peer), []).append(report["steps_per_second"])
    frameworks[(model, peer)] = report.get("framework", "swiftgan" if peer in ours else peer)
    threads[(model, peer)] = report.get("threads", "")
    precisions[(model, peer)] = str(report.get("precision", "bf16" if peer.endswith("-bf16") else "fp32"))

models = list(dict.fromkeys(m for m, _ in list(runs) + list(missing)))
print(f"\n== summary: median steps/s over {rounds} round(s) of {seconds} s; "
      "X × = X's steps/s ÷ the row's (above 1: X is faster)")
print(f"   CPU: {cpu}; bfloat16 instructions: {bf16_cpu}\n   load before: {before.strip()}\n   load after:  {after.strip()}")
header = (f"{'model':<8} {'peer':<16} {'precision':<14} {'framework':<34} {'threads':>7} {'runs':>4} {'steps/s':>9} "
          f"{'spread':>13} {'swiftgan ×':>10} {'swiftgan-bf16 ×':>15}")
print(header)
print("-" * len(header))
for model in models:
    medians = {p: statistics.median(v) for (m, p), v in runs.items() if m == model}
    for peer in order:
        if (model, peer) in missing and (model, peer) not in runs:
            print(f"{model:<8} {peer:<16} missing: {missing[(model, peer)]}")
            continue
        if peer not in medians:
            continue
        values = runs[(model, peer)]
        spread = f"{min(values):.2f}–{max(values):.2f}"
        ratios = ["" if p == peer or p not in medians else f"{medians[p] / medians[peer]:.2f}" for p in ours]
        note = "" if (model, peer) not in missing else f"  (then failed: {missing[(model, peer)]})"
        print(f"{model:<8} {peer:<16} {precisions[(model, peer)][:14]:<14} {frameworks[(model, peer)][:34]:<34} "
              f"{threads[(model, peer)]!s:>7} {len(values):>4} {medians[peer]:>9.2f} {spread:>13} "
              f"{ratios[0]:>10} {ratios[1]:>15}{note}")
    others = {p: v for p, v in medians.items() if p not in ours}
    if not any(p in medians for p in ours):
        print(f"{model:<8} no SwiftGAN figure: no ratios")
    elif others:
        fastest = max(others, key=others.get)
        against = "; ".join(f"{p} × fastest = {medians[p] / others[fastest]:.2f}" if p in medians
                            else f"no {p} figure" for p in ours)
        print(f"{model:<8} fastest peer of any precision: {fastest} ({precisions[(model, fastest)]}, "
              f"{others[fastest]:.2f} steps/s); {against}")
    else:
        print(f"{model:<8} no peer figure: no ratios")
    print()
EOF
