"""Shared by the PyTorch reference benchmarks: time a training step the way `swiftgan bench` does."""
import argparse
import json
import time

import torch


def setup(batch_size):
    """Parses the shared options (--seconds, --batch-size, --threads), applies them, seeds torch."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    return args


def report(step, seconds, batch_size, warmup=10):
    """Runs `step` `warmup` times, then for at least `seconds` (and 5 steps); prints one JSON line."""
    for _ in range(warmup):
        step()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 5:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(),
                      "batch_size": batch_size, "steps_per_second": len(times) / sum(times),
                      "median_step_ms": times[len(times) // 2] * 1e3}))
