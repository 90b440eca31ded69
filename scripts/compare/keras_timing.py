"""Shared by the Keras reference benchmarks: time a `tf.function` training step the way `swiftgan bench` does,
and print the same JSON line as timing.py (the PyTorch side).

Each keras_*.py script calls `setup(batch_size)` before it builds anything (TensorFlow's thread pools
can only be sized before its runtime starts), builds G and D with Keras layers and a custom training
step (not model.fit), then calls `report(step, args, generator, discriminator, warmup)`. Each model's
last layer is float32 (`dtype="float32"` on G's final activation, and an identity
`Activation("linear", dtype="float32")` after D's logits), as the Keras mixed-precision guide has model
outputs; under the default float32 policy that changes nothing, under --bf16 the losses see float32.

Options every script takes:
  --seconds S             measure for at least S seconds, after the warm-up (default 5)
  --batch-size N          default: the model's own
  --threads N             tf.config.threading intra-op threads (0: TensorFlow's default, one per core)
  --inter-op-threads N    inter-op threads (default: the same as --threads; 0 with it: TensorFlow's default)
  --xla                   tf.function(jit_compile=True): compile the step with XLA
  --bf16                  mixed precision: keras.mixed_precision.set_global_policy("mixed_bfloat16") before the
                          models are built (layers compute in bfloat16 and keep float32 variables; the optimizer
                          updates float32 weights; bfloat16 needs no loss scaling)

The JSON's "framework" is "tensorflow X tf.function" (or "tf.function+xla"); "threads" is the intra-op
thread count (TensorFlow's default, when not set, is the number of cores this process may use); "precision"
is the global dtype policy's name ("float32" or "mixed_bfloat16").
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported: keep its logs quiet
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tensorflow as tf  # noqa: E402

_args = None


def setup(batch_size, add_options=None):
    """Parses the shared options (and a script's own, which `add_options(parser)` adds), sizes TensorFlow's
    thread pools, seeds TensorFlow; returns the parsed options."""
    global _args
    parser = argparse.ArgumentParser(description="Keras/TensorFlow reference timing of one SwiftGAN training step.")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0: TensorFlow's default)")
    parser.add_argument("--inter-op-threads", type=int, default=None, help="inter-op threads (default: as --threads)")
    parser.add_argument("--xla", action="store_true", help="tf.function(jit_compile=True)")
    parser.add_argument("--bf16", action="store_true",
                        help='mixed precision: keras.mixed_precision.set_global_policy("mixed_bfloat16")')
    if add_options:
        add_options(parser)
    args = parser.parse_args()
    inter = args.threads if args.inter_op_threads is None else args.inter_op_threads
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    if inter:
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    tf.keras.utils.set_random_seed(0)
    if args.bf16:
        import keras
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    _args = args
    return args


def function(step):
    """`tf.function` of the training step, with XLA if --xla was given."""
    return tf.function(step, jit_compile=bool(_args and _args.xla))


def parameter_count(model):
    """Trainable parameters, as SwiftGAN's parameterCount counts them (not BatchNorm's moving statistics)."""
    return int(sum(v.shape.num_elements() for v in model.trainable_variables))


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def report(step, args, generator, discriminator, warmup=10):
    """Runs `step` `warmup` times (the first traces it), then for at least `args.seconds` (and 5 steps);
    prints one JSON line. Each call waits for the step's result, so asynchronous execution cannot flatter it."""
    import keras  # here, not at the top: the scripts import Keras only after setup()

    t0 = time.perf_counter()
    for _ in range(warmup):
        _ = [float(x) for x in step()]
    warmup_s = time.perf_counter() - t0
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds or len(times) < 5:
        t0 = time.perf_counter()
        _ = [float(x) for x in step()]  # the losses: fetching them waits for the step to finish
        times.append(time.perf_counter() - t0)
    times.sort()
    threads = tf.config.threading.get_intra_op_parallelism_threads() or _cores()
    kind = "tf.function+xla" if args.xla else "tf.function"
    print(json.dumps({"framework": f"tensorflow {tf.__version__} {kind}", "threads": threads,
                      "batch_size": args.batch_size, "steps_per_second": len(times) / sum(times),
                      "median_step_ms": times[len(times) // 2] * 1e3,
                      "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads() or _cores(),
                      "warmup_s": round(warmup_s, 2), "precision": keras.mixed_precision.global_policy().name,
                      "parameters": {"generator": parameter_count(generator),
                                     "discriminator": parameter_count(discriminator)}}), flush=True)
