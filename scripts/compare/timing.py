"""Shared by the PyTorch reference benchmarks: time a training step the way `swiftgan bench` does.

Each pytorch_*.py script calls `setup(batch_size)` first, builds its networks and a `step()` function,
then calls `report(step, args.seconds, batch_size, warmup, modules=(generator, discriminator))`. The step
runs its forward passes and losses inside `with autocast():` (and backward() and the optimizer steps
outside it), so that `--bf16` gives PyTorch's mixed-precision recipe.

Options every script takes:
  --seconds S          measure for at least S seconds, after the warm-up (default 5)
  --batch-size N       default: the model's own
  --threads N          torch.set_num_threads (0: PyTorch's default, one per core)
  --compile [KIND]     run under torch.compile instead of eagerly. KIND:
                         step     compile the whole step function with torch.compile: forward passes,
                                  losses and both Adam updates are traced; Dynamo breaks the graph at
                                  each .backward() and AOTAutograd compiles the matching backward graphs
                         modules  compile only G's and D's forward (nn.Module.compile, backward through
                                  AOTAutograd); zero_grad, backward() and the optimizers stay eager
                         auto     (a bare --compile) try `step`; if compiling it fails, fall back to `modules`
                       The JSON says which was used, in "compile", and how long the compiled warm-up took.
  --compile-mode M     torch.compile's mode (default: its default; "max-autotune" tunes longer)
  --bf16               mixed precision: forward passes and losses under torch.autocast("cpu", dtype=torch.bfloat16)
                       (convolutions and matrix products in bfloat16, losses and reductions in float32 as autocast
                       decides); weights, gradients and Adam's state stay float32. Combines with --compile.

The JSON's "framework" is "pytorch X eager" or "pytorch X compile"; its "precision" is "fp32" or
"bf16-autocast".
"""
import argparse
import json
import sys
import time

import torch

_args = None


def setup(batch_size, add_options=None):
    """Parses the shared options (and a script's own, which `add_options(parser)` adds), applies them,
    seeds torch; returns the parsed options."""
    global _args
    parser = argparse.ArgumentParser(description="PyTorch reference timing of one SwiftGAN training step.")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    parser.add_argument("--compile", nargs="?", const="auto", default=None, choices=["auto", "step", "modules"],
                        help="torch.compile the whole step ('step'), only G's and D's forward ('modules'), "
                             "or the step with a fallback to the modules ('auto', a bare --compile)")
    parser.add_argument("--compile-mode", default=None, help="torch.compile mode (default: torch's default)")
    parser.add_argument("--bf16", action="store_true",
                        help="mixed precision: forward passes and losses under torch.autocast('cpu', bfloat16); "
                             "float32 weights, gradients and optimizer")
    if add_options:
        add_options(parser)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    _args = args
    return args


def autocast():
    """The context a script's forward passes and losses run in: bfloat16 autocast with --bf16, else a
    context that changes nothing. backward() and the optimizer steps stay outside it, as PyTorch's
    mixed-precision recipe has them."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(_args is not None and _args.bf16))


def _warm(step, n):
    for _ in range(n):
        step()


def _first_line(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _compile(step, modules, kind, mode, warmup):
    """Compiles as `kind` says and runs the warm-up (compilation happens on the first calls).
    Returns the step to time and what was compiled ("step" or "modules")."""
    import torch._dynamo

    # Compiled code recompiles once the optimizers have state (after the first step); warm past that.
    warmup = max(warmup, 5)
    if kind in ("auto", "step"):
        compiled = torch.compile(step, mode=mode)
        try:
            _warm(compiled, warmup)
            return compiled, "step"
        except Exception as error:  # noqa: BLE001 - any compiler failure means: try the other way
            if kind == "step":
                raise
            print(f"torch.compile of the whole step failed ({_first_line(error)}); compiling G and D instead",
                  file=sys.stderr)
            torch._dynamo.reset()
    if not modules:
        raise SystemExit("--compile modules: this script does not pass its modules to report()")
    for module in modules:
        module.compile(mode=mode)
    _warm(step, warmup)
    return step, "modules"


def report(step, seconds, batch_size, warmup=10, modules=()):
    """Runs `step` `warmup` times, then for at least `seconds` (and 5 steps); prints one JSON line.
    `modules` (G and D) are what `--compile modules` compiles."""
    extra = {}
    if _args is not None and _args.compile:
        t0 = time.perf_counter()
        step, compiled = _compile(step, modules, _args.compile, _args.compile_mode, warmup)
        extra = {"compile": compiled, "compile_warmup_s": round(time.perf_counter() - t0, 2)}
        if _args.compile_mode:
            extra["compile_mode"] = _args.compile_mode
        try:
            from torch._dynamo.utils import counters
            extra["graph_breaks"] = sum(counters["graph_break"].values())
        except Exception:  # noqa: BLE001 - a private counter; leave it out if it moved
            pass
    else:
        _warm(step, warmup)
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 5:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    if modules:  # trainable parameters, as SwiftGAN's parameterCount counts them (not BatchNorm's running statistics)
        extra["parameters"] = {name: sum(p.numel() for p in m.parameters()) for name, m in zip(("generator", "discriminator"), modules)}
    mode = "compile" if "compile" in extra else "eager"
    extra["precision"] = "bf16-autocast" if _args is not None and _args.bf16 else "fp32"
    print(json.dumps({"framework": f"pytorch {torch.__version__} {mode}", "threads": torch.get_num_threads(),
                      "batch_size": batch_size, "steps_per_second": len(times) / sum(times),
                      "median_step_ms": times[len(times) // 2] * 1e3, **extra}), flush=True)
