#!/usr/bin/env python3
"""bench/compare_tf.py: TensorFlow vs flowrt batch-1 latency on MobileNetV2 (1.0, 224).

Owns: generating bench/out/mobilenet_v2_1.0_224.pb (git-ignored), timing TF on it, running
flowrt's bench_models binary on the same file and printing both medians and the ratio.
Does not own: bench_models itself (bench/bench_models.c).

Run from the repository root, after building flowrt:
    .venv-tf/bin/python bench/compare_tf.py [--build-dir build] [--iters 50]
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "bench", "out")
MODEL = os.path.join(OUT_DIR, "mobilenet_v2_1.0_224.pb")
INPUT_NAME = "input"
OUTPUT_NAME = "Identity"
SHAPE = (1, 224, 224, 3)
SEED = 0


def parse_args():
    p = argparse.ArgumentParser(description="TF vs flowrt latency on MobileNetV2 1.0 224")
    p.add_argument("--build-dir", default="build",
                   help="flowrt build directory holding bench_models (default: build)")
    p.add_argument("--iters", type=int, default=50,
                   help="timed runs for each runtime, after warm-up (default 50)")
    p.add_argument("--warmup", type=int, default=5, help="untimed warm-up runs (default 5)")
    p.add_argument("--threads", type=int, default=os.cpu_count(),
                   help="TF intra/inter-op threads (default: all cores, %d)" % os.cpu_count())
    p.add_argument("--regen", action="store_true", help="rebuild the .pb even if present")
    p.add_argument("--skip-tf", action="store_true", help="only run flowrt")
    p.add_argument("--skip-flowrt", action="store_true", help="only run TF")
    return p.parse_args()


def generate_model(tf):
    """Keras MobileNetV2(alpha=1.0, 224x224, weights=None) with seeded weights, frozen."""
    import keras
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    keras.utils.set_random_seed(SEED)
    model = keras.applications.MobileNetV2(input_shape=SHAPE[1:], alpha=1.0, weights=None)
    fn = tf.function(lambda x: model(x, training=False), autograph=False,
                     input_signature=[tf.TensorSpec([None, *SHAPE[1:]], tf.float32,
                                                    name=INPUT_NAME)])
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    assert frozen.inputs[0].name == INPUT_NAME + ":0", frozen.inputs[0].name
    assert frozen.outputs[0].name == OUTPUT_NAME + ":0", frozen.outputs[0].name
    gd = frozen.graph.as_graph_def()
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(MODEL, "wb") as f:
        f.write(gd.SerializeToString(deterministic=True))
    print("wrote %s (%d nodes, %.1f MB)" % (MODEL, len(gd.node), gd.ByteSize() / 1e6))


def time_tf(tf, np, iters, warmup, threads):
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    with open(MODEL, "rb") as f:
        gd.ParseFromString(f.read())
    g = tf.Graph()
    with g.as_default():
        tf.graph_util.import_graph_def(gd, name="")
    cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads,
                                   inter_op_parallelism_threads=threads)
    x = np.random.default_rng(SEED).uniform(-1, 1, SHAPE).astype(np.float32)
    feed = {INPUT_NAME + ":0": x}
    fetch = OUTPUT_NAME + ":0"
    with tf.compat.v1.Session(graph=g, config=cfg) as sess:
        for _ in range(warmup):
            sess.run(fetch, feed)
        times = []
        for _ in range(iters):
            t0 = time.perf_counter()
            sess.run(fetch, feed)
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1e6, times[0] * 1e6


def run_flowrt(build_dir, iters):
    exe = os.path.join(build_dir, "bench_models")
    if not os.path.isabs(exe):
        exe = os.path.join(ROOT, exe)
    if not os.path.isfile(exe) or not os.access(exe, os.X_OK):
        print("flowrt: bench_models not found at %s -- build it first "
              "(cmake -S . -B %s -DCMAKE_BUILD_TYPE=Release && make -C %s bench_models), "
              "or pass --build-dir" % (exe, build_dir, build_dir))
        return None
    cmd = [exe, MODEL, "--input", INPUT_NAME, "--shape", ",".join(map(str, SHAPE)),
           "--output", OUTPUT_NAME, "--iters", str(iters)]
    print("flowrt: running " + " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    for line in out.splitlines():
        if "median_us=" in line:
            print("  " + line)
    if proc.returncode != 0:
        print("flowrt: bench_models failed (exit %d):\n%s" % (proc.returncode, out[-2000:]))
        return None
    found = re.findall(r"median_us=([0-9.eE+-]+)", out)
    if not found:
        print("flowrt: no 'median_us=' in bench_models output:\n" + out[-2000:])
        return None
    return float(found[-1])


def main():
    args = parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf_median = None
    if not args.skip_tf or args.regen or not os.path.exists(MODEL):
        import numpy as np
        import tensorflow as tf

        print("TensorFlow %s, %d threads, oneDNN opts %s" % (
            tf.__version__, args.threads, os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")))
        if args.regen or not os.path.exists(MODEL):
            generate_model(tf)
        if not args.skip_tf:
            tf_median, tf_min = time_tf(tf, np, args.iters, args.warmup, args.threads)
            print("tensorflow: median_us=%.0f min_us=%.0f (batch 1, %d runs)"
                  % (tf_median, tf_min, args.iters))
    fr_median = None
    if not args.skip_flowrt:
        fr_median = run_flowrt(args.build_dir, args.iters)
        if fr_median is not None:
            print("flowrt:     median_us=%.0f" % fr_median)
    if tf_median is not None and fr_median is not None:
        print("ratio flowrt/TF = %.2f (below 1: flowrt faster)" % (fr_median / tf_median))
        return 0
    return 0 if args.skip_flowrt or fr_median is not None else 1


if __name__ == "__main__":
    sys.exit(main())
