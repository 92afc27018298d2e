"""Checkpoint restore throughput: TensorFlow vs flowrt on the same ~200 MB V2 checkpoint.

    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && make -C build -j2 bench_restore
    .venv-tf/bin/python bench/compare_restore_tf.py [--build-dir build] [--mb 200] [--reps 5]

1. Unless it exists (or --regen), writes bench/out/restore/ckpt-1 (git-ignored) with
   tf.train.Checkpoint: float32 variables of 1, 2, 4 and 8 MiB (seeded random values) up to
   --mb megabytes, plus TF's object-graph string.
2. Reads every file once (page cache warm for both), then times TensorFlow restoring every
   tensor two ways: `tf.train.load_checkpoint(prefix)` + `get_tensor` for each name (the
   py_checkpoint_reader, copies into NumPy), and one eager `tf.raw_ops.RestoreV2` over all
   names (TF's C++ restore kernel). Median of --reps runs after one warm-up.
3. Runs `<build-dir>/bench_restore --checkpoint PREFIX` (public API) and `--via kernel`
   (RestoreV2 kernels) and reads their gbps=.
4. Prints each throughput in GB/s (1e9 bytes of tensor data per second) and flowrt/TF ratios
   (above 1: flowrt is faster)."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out", "restore")


def make_checkpoint(prefix, mb):
    rng = np.random.default_rng(0)
    vars_, total, i = {}, 0, 0
    while total < mb << 20:
        n = (1 << 18) << (i % 4)  # floats: 1, 2, 4, 8 MiB
        vars_[f"layer_{i:03d}"] = tf.Variable(rng.standard_normal(n, dtype=np.float32))
        total += 4 * n
        i += 1
    ckpt = tf.train.Checkpoint(**vars_)
    return ckpt.write(prefix)


def warm(prefix):
    d = os.path.dirname(prefix)
    for f in os.listdir(d):
        if f.startswith(os.path.basename(prefix)):
            with open(os.path.join(d, f), "rb") as h:
                while h.read(1 << 24):
                    pass


def timed(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        nbytes = fn()
        ts.append(time.perf_counter() - t0)
    return nbytes, statistics.median(ts)


def tf_reader(prefix):
    def run():
        r = tf.train.load_checkpoint(prefix)
        n = 0
        for name in r.get_variable_to_shape_map():
            v = r.get_tensor(name)
            n += len(v) if isinstance(v, bytes) else v.nbytes
        return n
    return run


def tf_restore_op(prefix):
    r = tf.train.load_checkpoint(prefix)
    dt = r.get_variable_to_dtype_map()
    names = sorted(dt)

    def run():
        out = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=names,
                                   shape_and_slices=[""] * len(names),
                                   dtypes=[dt[k] for k in names])
        n = 0
        for t in out:
            n += sum(len(x) for x in np.asarray(t.numpy(), dtype=object).reshape(-1)) \
                if t.dtype == tf.string else \
                t.shape.num_elements() * t.dtype.size
        return n
    return run


def flowrt(binary, prefix, via):
    p = subprocess.run([binary, "--checkpoint", prefix, "--via", via], capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.exit(f"{binary} failed: {p.stderr.strip()}")
    print("  " + p.stdout.strip().splitlines()[-1])
    return float(re.search(r"gbps=([0-9.]+)", p.stdout).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--regen", action="store_true")
    a = ap.parse_args()
    binary = os.path.join(a.build_dir, "bench_restore")
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: cmake -S . -B {a.build_dir} -DCMAKE_BUILD_TYPE=Release "
                 f"&& make -C {a.build_dir} -j2 bench_restore")
    os.makedirs(OUT, exist_ok=True)
    prefix = os.path.join(OUT, "ckpt-1")
    if a.regen or not os.path.exists(prefix + ".index"):
        make_checkpoint(prefix, a.mb)
    warm(prefix)
    print(f"TensorFlow {tf.__version__}, checkpoint {prefix}")
    nb, t = timed(tf_reader(prefix), a.reps)
    tf_read = nb / t / 1e9
    print(f"  TF load_checkpoint+get_tensor: {nb / 1e6:.0f} MB in {t * 1e3:.1f} ms = "
          f"{tf_read:.2f} GB/s")
    nb, t = timed(tf_restore_op(prefix), a.reps)
    tf_op = nb / t / 1e9
    print(f"  TF RestoreV2 (eager):          {nb / 1e6:.0f} MB in {t * 1e3:.1f} ms = "
          f"{tf_op:.2f} GB/s")
    print("flowrt")
    fr_api = flowrt(binary, prefix, "api")
    fr_k = flowrt(binary, prefix, "kernel")
    print(f"flowrt frt_checkpoint_read {fr_api:.2f} GB/s vs TF reader {tf_read:.2f} GB/s: "
          f"ratio {fr_api / tf_read:.2f}")
    print(f"flowrt RestoreV2 kernel    {fr_k:.2f} GB/s vs TF RestoreV2 {tf_op:.2f} GB/s: "
          f"ratio {fr_k / tf_op:.2f}")


if __name__ == "__main__":
    main()
