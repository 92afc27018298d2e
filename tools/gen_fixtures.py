#!/usr/bin/env python3
"""tools/gen_fixtures.py: writes the TensorFlow-made test fixtures (TF is the oracle).

Owns: tests/data/ops/ (one small frozen graph per case), tests/data/models/ (whole
models), tests/data/bad/ (inputs a loader must reject cleanly). Does not own: the
digits demo model (tools/gen_demo_model.py) or the benchmark model (bench/compare_tf.py).

Run from the repository root:   .venv-tf/bin/python tools/gen_fixtures.py
Options: --only SUBSTR (regenerate matching cases only), --suite ops|models|bad.

Each case is a directory tests/data/<suite>/<case>/ with a case.txt:
    # comment lines
    model model.pb
    input  <tensor_name> <file.npy>
    output <tensor_name> <file.npy> <atol> <rtol>
and tests/data/<suite>/index.txt lists the case directories. Every graph is built as a
tf.function with an input signature, frozen with convert_variables_to_constants_v2, and
then run by TensorFlow (the frozen GraphDef itself, imported into a v1 Session) on
seeded random inputs. Everything is seeded per case (crc32 of the case name), so
regeneration is byte-for-byte deterministic and adding a case does not disturb others.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Plain Eigen kernels (no oneDNN): deterministic, and what the fixtures document.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import argparse
import shutil
import sys
import zlib

import numpy as np
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import (
    convert_variables_to_constants_v2,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")

F32, F16, F64 = np.float32, np.float16, np.float64
I32, I64, BOOL = np.int32, np.int64, np.bool_

ARGS = None


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def is_exact_dtype(dt):
    return np.issubdtype(dt, np.integer) or dt == np.bool_


# --------------------------------------------------------------------------- freezing


def canonical_order(gd):
    """Reorders gd.node topologically, ties broken by name: TF's freezing does not keep
    a stable node order between runs (e.g. of Placeholders), and fixtures must be
    byte-for-byte reproducible."""
    import heapq

    nodes = {n.name: n for n in gd.node}
    deps = {}
    users = {name: [] for name in nodes}
    for n in gd.node:
        srcs = set()
        for i in n.input:
            src = i.lstrip("^").split(":")[0]
            if src in nodes:
                srcs.add(src)
        deps[n.name] = len(srcs)
        for src in srcs:
            users[src].append(n.name)
    ready = [name for name, k in deps.items() if k == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for u in users[name]:
            deps[u] -= 1
            if deps[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(nodes):
        raise RuntimeError("graph has a cycle")
    copies = [nodes[name] for name in order]
    out = type(gd)()
    out.CopyFrom(gd)
    del out.node[:]
    out.node.extend(copies)
    return out


def freeze(fn, specs):
    """fn(*tensors) -> tensor | tuple; specs: list of tf.TensorSpec (named).

    Returns (graph_def, input_names, output_names) with ':0' kept."""
    tf_fn = tf.function(fn, input_signature=specs, autograph=False)
    cf = tf_fn.get_concrete_function()
    frozen = convert_variables_to_constants_v2(cf)
    gd = canonical_order(frozen.graph.as_graph_def())
    in_names = [t.name for t in frozen.inputs]
    out_names = [t.name for t in frozen.outputs]
    want = [s.name + ":0" for s in specs]
    if in_names != want:
        raise RuntimeError("placeholder names %r != spec names %r" % (in_names, want))
    return gd, in_names, out_names


def run_graph(gd, feeds, fetches):
    """Runs a GraphDef in a fresh v1 Session; feeds: {name: array}; returns arrays."""
    g = tf.Graph()
    with g.as_default():
        tf.graph_util.import_graph_def(gd, name="")
    cfg = tf.compat.v1.ConfigProto(
        intra_op_parallelism_threads=1, inter_op_parallelism_threads=1
    )
    with tf.compat.v1.Session(graph=g, config=cfg) as sess:
        out = sess.run(list(fetches), feed_dict=dict(feeds))
    return [np.asarray(o) for o in out]


def short(name):
    return name[:-2] if name.endswith(":0") else name


# --------------------------------------------------------------------------- writing


class Suite:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(DATA, name)
        self.cases = []

    def selected(self, case):
        return ARGS.only is None or ARGS.only in case

    def write_index(self):
        if ARGS.only is not None:
            return  # partial run: leave the index alone
        path = os.path.join(self.dir, "index.txt")
        with open(path, "w") as f:
            for c in self.cases:
                f.write(c + "\n")
        # remove stale case directories
        for d in sorted(os.listdir(self.dir)):
            p = os.path.join(self.dir, d)
            if os.path.isdir(p) and d not in self.cases:
                shutil.rmtree(p)
        print("%s: %d cases" % (self.name, len(self.cases)))


def write_case(suite, name, gd, inputs, outputs, comments, text=False):
    """inputs: [(tensor_name, array)]; outputs: [(tensor_name, array, atol, rtol)]."""
    if name in suite.cases:
        raise RuntimeError("duplicate case " + name)
    suite.cases.append(name)
    d = os.path.join(suite.dir, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    if text:
        model = "model.pbtxt"
        tf.io.write_graph(gd, d, model, as_text=True)
    else:
        model = "model.pb"
        with open(os.path.join(d, model), "wb") as f:
            f.write(gd.SerializeToString(deterministic=True))
    ops = sorted({n.op for n in gd.node})
    lines = ["# case %s/%s (generated by tools/gen_fixtures.py, TF %s)"
             % (suite.name, name, tf.__version__)]
    lines += ["# " + c for c in comments]
    lines.append("# ops in graph: " + " ".join(ops))
    lines.append("model " + model)
    for i, (tname, arr) in enumerate(inputs):
        fn = "input_%d.npy" % i
        np.save(os.path.join(d, fn), arr)
        lines.append("input %s %s" % (short(tname), fn))
    for i, (tname, arr, atol, rtol) in enumerate(outputs):
        fn = "output_%d.npy" % i
        np.save(os.path.join(d, fn), arr)
        if is_exact_dtype(arr.dtype):
            atol, rtol = 0, 0
        lines.append("output %s %s %g %g" % (short(tname), fn, atol, rtol))
    with open(os.path.join(d, "case.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def spec_for(argname, arr, shape=None):
    return tf.TensorSpec(arr.shape if shape is None else shape,
                         tf.as_dtype(arr.dtype), name=argname)


OPS = Suite("ops")


def op(name, fn, ins, ops, tol=(1e-5, 1e-5), why=None, feed=None):
    """One ops-suite case.

    ins: list of (argname, array) or (argname, array, static_shape) -> placeholders.
    ops: op types that must appear in the frozen graph (checked).
    tol: (atol, rtol) for float outputs, or a list with one pair per output.
    feed: extra [(node_name, array)] fed into non-Placeholder nodes (PlaceholderWithDefault).
    """
    if name in OPS.cases:
        raise RuntimeError("duplicate case " + name)
    if not OPS.selected(name):
        OPS.cases.append(name)
        return
    specs = [spec_for(*i) for i in ins]
    gd, in_names, out_names = freeze(fn, specs)
    have = {n.op for n in gd.node}
    missing = [o for o in ops if o not in have]
    if missing:
        raise RuntimeError("%s: frozen graph lacks %r (has %r)" % (name, missing, sorted(have)))
    inputs = [(n, i[1]) for n, i in zip(in_names, ins)] + list(feed or [])
    outs = run_graph(gd, inputs, out_names)
    tols = tol if isinstance(tol, list) else [tol] * len(outs)
    comments = []
    if why:
        comments.append(why)
    elif any(not is_exact_dtype(o.dtype) for o in outs):
        t = tols[0]
        if t == (1e-5, 1e-5):
            comments.append("tolerance 1e-5/1e-5: element-wise float math, no reduction order")
    if all(is_exact_dtype(o.dtype) for o in outs):
        comments.append("integer/bool outputs: exact equality")
    outputs = [(n, o, t[0], t[1]) for n, o, t in zip(out_names, outs, tols)]
    write_case(OPS, name, gd, inputs, outputs, comments)


R = tf.raw_ops


def c(v, dt=I32):
    return tf.constant(np.asarray(v, dtype=dt))


# --------------------------------------------------------------------------- op cases


def gen_plumbing():
    r = rng_for("plumbing")
    x = r.standard_normal((2, 3)).astype(F32)
    op("identity_float", lambda a: R.Identity(input=a), [("x", x)], ["Identity"])
    op("identity_int32", lambda a: R.Identity(input=a),
       [("x", r.integers(-9, 9, (4,)).astype(I32))], ["Identity"])
    op("identity_bool", lambda a: R.Identity(input=a),
       [("x", r.integers(0, 2, (2, 2)).astype(BOOL))], ["Identity"])
    op("identity_scalar", lambda a: R.Identity(input=a), [("x", np.array(3.5, F32))],
       ["Identity"])
    op("identityn_two", lambda a, b: tuple(R.IdentityN(input=[a, b])),
       [("x", x), ("y", r.integers(0, 5, (3,)).astype(I32))], ["IdentityN"])
    op("identityn_three_second_only", lambda a, b, d: R.IdentityN(input=[a, b, d])[1] * 2.0,
       [("x", x), ("y", r.standard_normal((4,)).astype(F32)), ("z", x)], ["IdentityN"],
       why="only output 1 of a 3-output IdentityN is used")
    op("stopgradient_float", lambda a: R.StopGradient(input=a) * 3.0, [("x", x)],
       ["StopGradient"])
    op("stopgradient_int32", lambda a: R.StopGradient(input=a),
       [("x", r.integers(-5, 5, (2, 2)).astype(I32))], ["StopGradient"])

    default = r.standard_normal((2, 3)).astype(F32)
    fed = r.standard_normal((4, 3)).astype(F32)

    def pwd():
        p = R.PlaceholderWithDefault(input=tf.constant(default), shape=[None, 3], name="pwd")
        return p * 2.0

    op("placeholderwithdefault_unfed", pwd, [], ["PlaceholderWithDefault"],
       why="no feed: the default value [2,3] flows; no input lines on purpose")
    op("placeholderwithdefault_fed", pwd, [], ["PlaceholderWithDefault"],
       why="node 'pwd' (a PlaceholderWithDefault, shape [?,3]) is fed a [4,3] value",
       feed=[("pwd:0", fed)])

    def pwd_mixed(a):
        p = R.PlaceholderWithDefault(input=tf.constant(np.float32(1.5)), shape=[], name="scale")
        return a * p

    op("placeholderwithdefault_scalar_unfed", pwd_mixed, [("x", x)],
       ["PlaceholderWithDefault", "Placeholder"], why="x fed, scalar 'scale' left at default")


def gen_matmul():
    r = rng_for("matmul")
    n = lambda *s: r.standard_normal(s).astype(F32)
    t = (1e-5, 1e-5)
    op("matmul_basic", lambda a, b: R.MatMul(a=a, b=b), [("a", n(3, 4)), ("b", n(4, 5))],
       ["MatMul"], tol=t, why="K=4 dot products: 1e-5 is ample")
    op("matmul_transpose_a", lambda a, b: R.MatMul(a=a, b=b, transpose_a=True),
       [("a", n(4, 3)), ("b", n(4, 5))], ["MatMul"], tol=t, why="K=4")
    op("matmul_transpose_b", lambda a, b: R.MatMul(a=a, b=b, transpose_b=True),
       [("a", n(3, 4)), ("b", n(5, 4))], ["MatMul"], tol=t, why="K=4")
    op("matmul_transpose_ab",
       lambda a, b: R.MatMul(a=a, b=b, transpose_a=True, transpose_b=True),
       [("a", n(4, 3)), ("b", n(5, 4))], ["MatMul"], tol=t, why="K=4")
    op("matmul_row_col", lambda a, b: R.MatMul(a=a, b=b), [("a", n(1, 7)), ("b", n(7, 1))],
       ["MatMul"], tol=t, why="[1,7]x[7,1] -> [1,1]")
    op("matmul_large", lambda a, b: R.MatMul(a=a, b=b), [("a", n(33, 130)), ("b", n(130, 17))],
       ["MatMul"], tol=(1e-4, 1e-4), why="K=130: summation order differs between BLAS impls")
    op("matmul_const_weights", lambda a: R.MatMul(a=a, b=tf.constant(n(6, 2))),
       [("x", n(5, 6))], ["MatMul", "Const"], why="weights as a Const like a frozen Dense")
    op("batchmatmulv2_same_batch", lambda a, b: R.BatchMatMulV2(x=a, y=b),
       [("x", n(2, 3, 4)), ("y", n(2, 4, 5))], ["BatchMatMulV2"], why="K=4")
    op("batchmatmulv2_broadcast", lambda a, b: R.BatchMatMulV2(x=a, y=b),
       [("x", n(2, 1, 3, 4)), ("y", n(5, 4, 2))], ["BatchMatMulV2"],
       why="batch dims [2,1] x [5] broadcast to [2,5]; K=4")
    op("batchmatmulv2_rank2_rhs", lambda a, b: R.BatchMatMulV2(x=a, y=b),
       [("x", n(3, 2, 4)), ("y", n(4, 6))], ["BatchMatMulV2"], why="[3,2,4] x [4,6]; K=4")
    op("batchmatmulv2_adj_x", lambda a, b: R.BatchMatMulV2(x=a, y=b, adj_x=True),
       [("x", n(2, 4, 3)), ("y", n(2, 4, 5))], ["BatchMatMulV2"], why="K=4")
    op("batchmatmulv2_adj_y_bcast", lambda a, b: R.BatchMatMulV2(x=a, y=b, adj_y=True),
       [("x", n(3, 1, 2, 4)), ("y", n(1, 2, 5, 4))], ["BatchMatMulV2"],
       why="adj_y with both sides broadcasting [3,1] x [1,2]; K=4")


def gen_bias():
    r = rng_for("bias")
    n = lambda *s: r.standard_normal(s).astype(F32)
    op("biasadd_nhwc", lambda a, b: R.BiasAdd(value=a, bias=b),
       [("x", n(2, 4, 4, 3)), ("b", n(3))], ["BiasAdd"])
    op("biasadd_nchw", lambda a, b: R.BiasAdd(value=a, bias=b, data_format="NCHW"),
       [("x", n(2, 3, 4, 5)), ("b", n(3))], ["BiasAdd"], why="bias along dim 1")
    op("biasadd_2d", lambda a, b: R.BiasAdd(value=a, bias=b), [("x", n(4, 5)), ("b", n(5))],
       ["BiasAdd"])
    op("biasadd_const_bias", lambda a: R.BiasAdd(value=a, bias=tf.constant(n(6))),
       [("x", n(3, 6))], ["BiasAdd"])
    op("biasadd_int32", lambda a, b: R.BiasAdd(value=a, bias=b),
       [("x", r.integers(-9, 9, (2, 3)).astype(I32)), ("b", np.array([1, -2, 3], I32))],
       ["BiasAdd"])


def gen_conv():
    r = rng_for("conv")
    n = lambda *s: r.standard_normal(s).astype(F32)
    tol = (1e-4, 1e-4)
    why = "tolerance 1e-4/1e-4: conv sums KH*KW*Cin products, order differs between impls"

    def conv(name, x, f, strides, padding, dil=(1, 1), explicit=None, fed_filter=False):
        kw = dict(strides=[1, strides[0], strides[1], 1], padding=padding,
                  dilations=[1, dil[0], dil[1], 1])
        if explicit is not None:
            kw["explicit_paddings"] = explicit
        if fed_filter:
            op(name, lambda a, b: R.Conv2D(input=a, filter=b, **kw),
               [("x", x), ("filter", f)], ["Conv2D"], tol=tol, why=why)
        else:
            op(name, lambda a: R.Conv2D(input=a, filter=tf.constant(f), **kw),
               [("x", x)], ["Conv2D"], tol=tol, why=why)

    conv("conv2d_valid_s1", n(1, 5, 5, 2), n(3, 3, 2, 4), (1, 1), "VALID")
    conv("conv2d_same_s1", n(1, 5, 5, 2), n(3, 3, 2, 4), (1, 1), "SAME")
    conv("conv2d_same_s2_odd", n(1, 7, 7, 3), n(3, 3, 3, 4), (2, 2), "SAME")
    conv("conv2d_same_s2_even", n(1, 8, 8, 3), n(3, 3, 3, 4), (2, 2), "SAME")
    conv("conv2d_valid_s2_odd", n(1, 7, 7, 3), n(3, 3, 3, 2), (2, 2), "VALID")
    conv("conv2d_valid_s2_even", n(1, 8, 6, 3), n(3, 3, 3, 2), (2, 2), "VALID")
    conv("conv2d_same_s2_k4_even", n(1, 6, 6, 2), n(4, 4, 2, 3), (2, 2), "SAME")
    conv("conv2d_explicit", n(1, 5, 6, 2), n(3, 3, 2, 3), (1, 1), "EXPLICIT",
         explicit=[0, 0, 1, 2, 2, 0, 0, 0])
    conv("conv2d_explicit_s2", n(2, 7, 6, 2), n(3, 2, 2, 3), (2, 2), "EXPLICIT",
         explicit=[0, 0, 0, 1, 3, 1, 0, 0])
    conv("conv2d_dilation2_same", n(1, 9, 9, 2), n(3, 3, 2, 3), (1, 1), "SAME", dil=(2, 2))
    conv("conv2d_dilation2_valid", n(1, 9, 8, 2), n(3, 3, 2, 3), (1, 1), "VALID", dil=(2, 2))
    conv("conv2d_1x1", n(2, 6, 6, 8), n(1, 1, 8, 16), (1, 1), "SAME")
    conv("conv2d_1x1_s2", n(1, 7, 7, 4), n(1, 1, 4, 5), (2, 2), "VALID")
    conv("conv2d_batch2", n(2, 9, 9, 3), n(3, 3, 3, 5), (1, 1), "SAME")
    conv("conv2d_nonsquare_kernel", n(1, 6, 7, 2), n(2, 3, 2, 3), (2, 1), "SAME")
    conv("conv2d_filter_fed", n(1, 6, 6, 3), n(3, 3, 3, 4), (1, 1), "SAME", fed_filter=True)
    conv("conv2d_kernel_eq_input", n(1, 4, 4, 2), n(4, 4, 2, 3), (1, 1), "VALID")

    def dw(name, x, f, strides, padding, dil=(1, 1)):
        kw = dict(strides=[1, strides[0], strides[1], 1], padding=padding,
                  dilations=[1, dil[0], dil[1], 1])
        op(name, lambda a: R.DepthwiseConv2dNative(input=a, filter=tf.constant(f), **kw),
           [("x", x)], ["DepthwiseConv2dNative"], tol=tol,
           why="tolerance 1e-4/1e-4: windowed sums, order differs between impls")

    dw("depthwise_m1_same_s1", n(1, 5, 5, 3), n(3, 3, 3, 1), (1, 1), "SAME")
    dw("depthwise_m2_same_s1", n(1, 5, 5, 3), n(3, 3, 3, 2), (1, 1), "SAME")
    dw("depthwise_m1_same_s2_odd", n(2, 7, 7, 4), n(3, 3, 4, 1), (2, 2), "SAME")
    dw("depthwise_m2_same_s2_even", n(1, 8, 8, 2), n(3, 3, 2, 2), (2, 2), "SAME")
    dw("depthwise_m1_valid", n(1, 6, 5, 3), n(3, 3, 3, 1), (1, 1), "VALID")
    dw("depthwise_m2_valid_s2", n(1, 7, 8, 2), n(3, 3, 2, 2), (2, 2), "VALID")
    dw("depthwise_m1_same_k5", n(1, 6, 6, 2), n(5, 5, 2, 1), (1, 1), "SAME")


def gen_pool():
    r = rng_for("pool")
    n = lambda *s: r.standard_normal(s).astype(F32)
    neg = lambda *s: (-1.0 - r.random(s)).astype(F32)

    def pool(kind, name, x, k, s, padding, why=None):
        kw = dict(ksize=[1, k[0], k[1], 1], strides=[1, s[0], s[1], 1], padding=padding)
        if kind == "MaxPool":
            fn = lambda a: R.MaxPool(input=a, **kw)
        else:
            fn = lambda a: R.AvgPool(value=a, **kw)
        op(name, fn, [("x", x)], [kind], why=why)

    for kind, p in (("MaxPool", "maxpool"), ("AvgPool", "avgpool")):
        pool(kind, p + "_valid_2x2_s2", n(1, 4, 4, 2), (2, 2), (2, 2), "VALID")
        pool(kind, p + "_valid_3x3_s2_odd", n(1, 7, 7, 2), (3, 3), (2, 2), "VALID")
        pool(kind, p + "_same_3x3_s2_odd", n(1, 7, 7, 2), (3, 3), (2, 2), "SAME")
        pool(kind, p + "_same_3x3_s2_even", n(2, 8, 8, 3), (3, 3), (2, 2), "SAME",
             why="SAME with pad 0 before / 1 after: windows at the bottom/right border")
        pool(kind, p + "_same_3x3_s1", n(1, 5, 5, 2), (3, 3), (1, 1), "SAME")
        pool(kind, p + "_same_2x2_s2_odd", n(1, 5, 5, 1), (2, 2), (2, 2), "SAME")
        pool(kind, p + "_nonsquare_2x3_s1x2", n(1, 6, 7, 2), (2, 3), (1, 2), "VALID")
        pool(kind, p + "_nonsquare_same_3x1_s2x1", n(1, 7, 5, 2), (3, 1), (2, 1), "SAME")
        pool(kind, p + "_global", n(2, 5, 5, 4), (5, 5), (1, 1), "VALID")
    pool("MaxPool", "maxpool_same_all_negative", neg(1, 5, 5, 2), (3, 3), (2, 2), "SAME",
         why="all inputs negative: SAME padding must act as -inf, not 0")
    pool("AvgPool", "avgpool_same_count_excludes_pad", np.ones((1, 5, 5, 1), F32) *
         np.arange(1, 26, dtype=F32).reshape(1, 5, 5, 1), (4, 4), (3, 3), "SAME",
         why="border windows average only real (unpadded) cells")


def gen_batchnorm():
    r = rng_for("batchnorm")
    n = lambda *s: r.standard_normal(s).astype(F32)
    pos = lambda *s: (0.5 + r.random(s)).astype(F32)

    def fbn(name, v3, x, c, eps, fmt="NHWC"):
        scale, offset, mean, var = pos(c), n(c), n(c), pos(c)

        def fn(a):
            f = R.FusedBatchNormV3 if v3 else R.FusedBatchNorm
            return f(x=a, scale=tf.constant(scale), offset=tf.constant(offset),
                     mean=tf.constant(mean), variance=tf.constant(var), epsilon=eps,
                     data_format=fmt, is_training=False)[0]
        op(name, fn, [("x", x)], ["FusedBatchNormV3" if v3 else "FusedBatchNorm"],
           why="inference mode (is_training=false), only output 0 (y) fetched")

    fbn("fusedbatchnormv3_nhwc", True, n(2, 4, 4, 3), 3, 0.001)
    fbn("fusedbatchnormv3_nhwc_eps1e-5", True, n(1, 3, 5, 4), 4, 1e-5)
    fbn("fusedbatchnormv3_nchw", True, n(2, 3, 4, 4), 3, 0.001, fmt="NCHW")
    fbn("fusedbatchnormv3_1x1", True, n(3, 1, 1, 8), 8, 0.01)
    fbn("fusedbatchnorm_v1_nhwc", False, n(2, 3, 3, 2), 2, 0.001)
    fbn("fusedbatchnorm_v1_nchw", False, n(1, 2, 3, 3), 2, 0.0001, fmt="NCHW")


def gen_activations():
    r = rng_for("activations")
    n = lambda *s, k=3.0: (k * r.standard_normal(s)).astype(F32)
    u = lambda lo, hi, *s: r.uniform(lo, hi, s).astype(F32)
    op("relu_2d", lambda a: R.Relu(features=a), [("x", n(3, 5))], ["Relu"])
    op("relu_4d", lambda a: R.Relu(features=a), [("x", n(1, 3, 3, 2))], ["Relu"])
    op("relu_int32", lambda a: R.Relu(features=a),
       [("x", r.integers(-9, 9, (7,)).astype(I32))], ["Relu"])
    op("relu6_wide_range", lambda a: R.Relu6(features=a), [("x", u(-10, 12, 4, 6))], ["Relu6"],
       why="inputs span [-10,12]: both clamps hit")
    op("relu6_4d", lambda a: R.Relu6(features=a), [("x", n(2, 2, 2, 3, k=5.0))], ["Relu6"])
    op("elu_2d", lambda a: R.Elu(features=a), [("x", u(-6, 4, 3, 7))], ["Elu"])
    op("elu_small", lambda a: R.Elu(features=a), [("x", u(-1e-3, 1e-3, 10))], ["Elu"],
       why="near 0: expm1 accuracy matters")
    op("sigmoid_2d", lambda a: R.Sigmoid(x=a), [("x", n(3, 5))], ["Sigmoid"])
    op("sigmoid_large", lambda a: R.Sigmoid(x=a), [("x", u(-40, 40, 50))], ["Sigmoid"],
       why="saturating inputs in [-40,40]: must not overflow to NaN")
    op("tanh_2d", lambda a: R.Tanh(x=a), [("x", n(3, 5))], ["Tanh"])
    op("tanh_large", lambda a: R.Tanh(x=a), [("x", u(-30, 30, 40))], ["Tanh"])
    op("softmax_2d", lambda a: R.Softmax(logits=a), [("x", n(4, 10))], ["Softmax"],
       tol=(1e-6, 1e-5), why="sum of 10 exps; probabilities")
    op("softmax_3d", lambda a: R.Softmax(logits=a), [("x", n(2, 3, 5))], ["Softmax"],
       tol=(1e-6, 1e-5), why="last axis of a rank-3 input")
    op("softmax_large_logits", lambda a: R.Softmax(logits=a), [("x", u(500, 1000, 3, 6))],
       ["Softmax"], tol=(1e-6, 1e-5), why="logits ~1000: must subtract the max first")
    op("softmax_1d", lambda a: R.Softmax(logits=a), [("x", n(7))], ["Softmax"],
       tol=(1e-6, 1e-5))
    op("logsoftmax_2d", lambda a: R.LogSoftmax(logits=a), [("x", n(4, 10))], ["LogSoftmax"],
       tol=(1e-5, 1e-5))
    op("logsoftmax_large_logits", lambda a: R.LogSoftmax(logits=a),
       [("x", u(-1000, 1000, 3, 6))], ["LogSoftmax"], tol=(1e-4, 1e-5),
       why="spread of 2000: log-sum-exp must be stabilised; atol 1e-4 for values ~1e3")


BCAST = [
    ("same", (3, 4), (3, 4)),
    ("scalar", (3, 4), ()),
    ("scalar_lhs", (), (3, 4)),
    ("row", (3, 4), (4,)),
    ("col", (3, 4), (3, 1)),
    ("b213x41", (2, 1, 3), (4, 1)),
    ("rankmismatch", (5,), (2, 3, 5)),
]


def gen_binary():
    r = rng_for("binary")

    def gen_xy(opname, sx, sy):
        if opname == "RealDiv":
            x = r.uniform(-5, 5, sx)
            y = r.choice([-1.0, 1.0], sy) * r.uniform(0.5, 2.0, sy)
        elif opname in ("FloorMod", "FloorDiv"):
            x = r.uniform(-10, 10, sx)
            y = r.choice([-1.0, 1.0], sy) * r.uniform(0.7, 3.0, sy)
        elif opname == "Pow":
            x = r.uniform(0.5, 2.0, sx)
            y = r.uniform(-2.0, 2.0, sy)
        else:
            x = r.standard_normal(sx) * 2
            y = r.standard_normal(sy) * 2
        return np.asarray(x, F32), np.asarray(y, F32)

    names = ["Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum",
             "SquaredDifference", "FloorMod", "FloorDiv", "Pow"]
    for opname in names:
        f = getattr(R, opname)
        for tag, sx, sy in BCAST:
            x, y = gen_xy(opname, sx, sy)
            op("%s_%s" % (opname.lower(), tag), lambda a, b, f=f: f(x=a, y=b),
               [("x", x), ("y", y)], [opname],
               why="broadcast %s x %s; element-wise float, 1e-5/1e-5" % (list(sx), list(sy)))

    ri = lambda lo, hi, *s, dt=I32: r.integers(lo, hi, s).astype(dt)
    nz = lambda *s: (r.choice([-1, 1], s) * r.integers(1, 6, s)).astype(I32)
    op("add_int32", lambda a, b: R.Add(x=a, y=b), [("x", ri(-50, 50, 3, 4)), ("y", ri(-50, 50, 4))],
       ["Add"])
    op("addv2_int64", lambda a, b: R.AddV2(x=a, y=b),
       [("x", ri(-2**40, 2**40, 2, 3, dt=I64)), ("y", ri(-9, 9, 2, 1, dt=I64))], ["AddV2"])
    op("sub_int32", lambda a, b: R.Sub(x=a, y=b), [("x", ri(-50, 50, 2, 3)), ("y", ri(-5, 5))],
       ["Sub"])
    op("mul_int32_bcast", lambda a, b: R.Mul(x=a, y=b),
       [("x", ri(-20, 20, 2, 1, 3)), ("y", ri(-20, 20, 4, 1))], ["Mul"])
    op("maximum_int32", lambda a, b: R.Maximum(x=a, y=b),
       [("x", ri(-9, 9, 3, 4)), ("y", ri(-9, 9, 4))], ["Maximum"])
    op("minimum_int32", lambda a, b: R.Minimum(x=a, y=b),
       [("x", ri(-9, 9, 3, 4)), ("y", ri(-9, 9, 3, 1))], ["Minimum"])
    op("squareddifference_int32", lambda a, b: R.SquaredDifference(x=a, y=b),
       [("x", ri(-9, 9, 3, 4)), ("y", ri(-9, 9))], ["SquaredDifference"])
    op("floordiv_int32_neg", lambda a, b: R.FloorDiv(x=a, y=b),
       [("x", ri(-20, 20, 4, 5)), ("y", nz(4, 5))], ["FloorDiv"],
       why="negative operands: rounds toward -inf (-7 // 2 == -4)")
    op("floordiv_int32_bcast", lambda a, b: R.FloorDiv(x=a, y=b),
       [("x", ri(-20, 20, 2, 1, 3)), ("y", nz(4, 1))], ["FloorDiv"])
    op("floormod_int32_neg", lambda a, b: R.FloorMod(x=a, y=b),
       [("x", ri(-20, 20, 4, 5)), ("y", nz(4, 5))], ["FloorMod"],
       why="negative operands: result takes the sign of the divisor (-7 mod 3 == 2)")
    op("floormod_int64_neg", lambda a, b: R.FloorMod(x=a, y=b),
       [("x", ri(-20, 20, 6, dt=I64)), ("y", np.array(-3, I64))], ["FloorMod"])
    fx = np.array([-7.5, -7.0, -0.5, 0.0, 0.5, 7.0, 7.5, -6.0], F32)
    fy = np.array([2.0, -2.0, 3.0, -3.0, -2.0, 2.5, -2.5, 3.0], F32)
    op("floordiv_float_neg_exact", lambda a, b: R.FloorDiv(x=a, y=b), [("x", fx), ("y", fy)],
       ["FloorDiv"], why="hand-picked negative operands")
    op("floormod_float_neg_exact", lambda a, b: R.FloorMod(x=a, y=b), [("x", fx), ("y", fy)],
       ["FloorMod"], why="hand-picked negative operands")
    op("pow_negbase_intexp", lambda a, b: R.Pow(x=a, y=b),
       [("x", r.uniform(-2, 2, (3, 4)).astype(F32)),
        ("y", r.integers(-2, 4, (4,)).astype(F32))], ["Pow"],
       why="negative base with integral float exponents (finite results)")
    op("pow_int32", lambda a, b: R.Pow(x=a, y=b),
       [("x", ri(-3, 4, 3, 4)), ("y", ri(0, 5, 4))], ["Pow"])
    op("realdiv_scalar_const", lambda a: R.RealDiv(x=a, y=c(255.0, F32)),
       [("x", r.uniform(0, 255, (2, 3)).astype(F32))], ["RealDiv"],
       why="x / 255 as in image preprocessing")


def gen_unary():
    r = rng_for("unary")
    u = lambda lo, hi, *s: r.uniform(lo, hi, s).astype(F32)
    cases = [
        ("Rsqrt", [("2d", u(0.01, 10, 3, 4)), ("4d", u(0.5, 4, 1, 2, 2, 3)),
                   ("tiny", u(1e-6, 1e-4, 8))]),
        ("Sqrt", [("2d", u(0, 10, 3, 4)), ("with_zero", np.array([0, 1, 4, 2.25, 1e-8], F32))]),
        ("Exp", [("2d", u(-5, 5, 3, 4)), ("wide", u(-80, 80, 20))]),
        ("Log", [("2d", u(0.01, 10, 3, 4)), ("wide", np.array([1e-30, 1e-3, 1, 10, 1e30], F32))]),
        ("Neg", [("2d", u(-5, 5, 3, 4)), ("int32", r.integers(-9, 9, (5,)).astype(I32))]),
        ("Square", [("2d", u(-5, 5, 3, 4)), ("int32", r.integers(-9, 9, (5,)).astype(I32))]),
        ("Abs", [("2d", u(-5, 5, 3, 4)), ("int32", r.integers(-9, 9, (5,)).astype(I32)),
                 ("int64", r.integers(-9, 9, (2, 2)).astype(I64))]),
        ("Erf", [("2d", u(-3, 3, 3, 4)), ("wide", u(-8, 8, 30))]),
    ]
    for opname, variants in cases:
        f = getattr(R, opname)
        for tag, x in variants:
            tol = (1e-5, 1e-5)
            why = None
            if opname == "Exp" and tag == "wide":
                why = "exp over [-80,80]: relative tolerance matters (values up to 5e34)"
            op("%s_%s" % (opname.lower(), tag), lambda a, f=f: f(x=a), [("x", x)], [opname],
               tol=tol, why=why)


def gen_reductions():
    r = rng_for("reductions")
    x = r.standard_normal((3, 4, 5)).astype(F32)
    px = r.uniform(0.8, 1.25, (3, 4, 5)).astype(F32)
    tol_sum = (1e-4, 1e-4)
    why_sum = "tolerance 1e-4/1e-4: summation order differs between impls"
    why_sel = "Max/Min select an element: exact"
    axes = [
        ("axis1", [1], False),
        ("axes02_keep", [0, 2], True),
        ("neg1_keep", [-1], True),
        ("neg_axes", [-3, -1], False),
        ("all", [0, 1, 2], False),
        ("all_keep", [0, 1, 2], True),
    ]
    for opname in ("Mean", "Sum", "Max", "Min", "Prod"):
        f = getattr(R, opname)
        inp = px if opname == "Prod" else x
        sel = opname in ("Max", "Min")
        for tag, ax, keep in axes:
            op("%s_%s" % (opname.lower(), tag),
               lambda a, f=f, ax=ax, keep=keep: f(input=a, axis=c(ax), keep_dims=keep),
               [("x", inp)], [opname], tol=(0, 0) if sel else tol_sum,
               why=("%s; axis=%s keep_dims=%s" % (why_sel if sel else why_sum, ax, keep)))
    op("sum_scalar_axis", lambda a: R.Sum(input=a, axis=c(1), keep_dims=False), [("x", x)],
       ["Sum"], tol=tol_sum, why=why_sum + "; axis is a rank-0 tensor")
    op("sum_empty_axes", lambda a: R.Sum(input=a, axis=tf.constant([], tf.int32), keep_dims=False),
       [("x", x)], ["Sum"], why="empty axis list: output equals input")
    op("sum_int32", lambda a: R.Sum(input=a, axis=c([0]), keep_dims=False),
       [("x", r.integers(-100, 100, (4, 3)).astype(I32))], ["Sum"])
    op("max_int32", lambda a: R.Max(input=a, axis=c([1]), keep_dims=True),
       [("x", r.integers(-100, 100, (4, 3)).astype(I32))], ["Max"])
    op("mean_axis_int64", lambda a: R.Mean(input=a, axis=c([2], I64), keep_dims=False),
       [("x", x)], ["Mean"], tol=tol_sum, why=why_sum + "; Tidx=int64")
    op("mean_4d_hw_keep", lambda a: R.Mean(input=a, axis=c([1, 2]), keep_dims=True),
       [("x", r.standard_normal((2, 7, 7, 8)).astype(F32))], ["Mean"], tol=tol_sum,
       why=why_sum + "; global average pooling as Keras exports it")
    op("mean_axes_fed", lambda a, b: R.Mean(input=a, axis=b, keep_dims=False),
       [("x", x), ("axes", np.array([2, 0], I32))], ["Mean"], tol=tol_sum,
       why=why_sum + "; axes fed at run time, unsorted")
    op("prod_int32", lambda a: R.Prod(input=a, axis=c([1]), keep_dims=False),
       [("x", r.integers(-3, 4, (3, 4)).astype(I32))], ["Prod"])

    def argmax(name, inp, axis, out_t, axis_dt=I32):
        op(name, lambda a: R.ArgMax(input=a, dimension=c(axis, axis_dt), output_type=out_t),
           [("x", inp)], ["ArgMax"])

    argmax("argmax_axis0_int64", x, 0, tf.int64)
    argmax("argmax_axis1_int32", x, 1, tf.int32)
    argmax("argmax_neg1_int64", x, -1, tf.int64)
    argmax("argmax_2d_int32", r.standard_normal((4, 10)).astype(F32), 1, tf.int32)
    argmax("argmax_ties_first", np.array([[1, 3, 3, 0], [2, 2, 2, 2], [0, 5, 1, 5]], F32), 1,
           tf.int64)
    argmax("argmax_int32_input", r.integers(-9, 9, (3, 5)).astype(I32), 0, tf.int32,
           axis_dt=I64)


def gen_shapes():
    r = rng_for("shapes")
    x = r.standard_normal((2, 3, 4)).astype(F32)
    op("reshape_minus1", lambda a: R.Reshape(tensor=a, shape=c([-1, 4])), [("x", x)], ["Reshape"])
    op("reshape_flat", lambda a: R.Reshape(tensor=a, shape=c([-1])), [("x", x)], ["Reshape"])
    op("reshape_4d_minus1_mid", lambda a: R.Reshape(tensor=a, shape=c([2, -1, 2, 3])),
       [("x", x)], ["Reshape"])
    op("reshape_shape_fed", lambda a, s: R.Reshape(tensor=a, shape=s),
       [("x", x, [None, 3, 4]), ("shape", np.array([6, -1], I32))], ["Reshape"],
       why="shape fed at run time; x has static shape [?,3,4]")
    op("reshape_int64_shape", lambda a: R.Reshape(tensor=a, shape=c([4, 6], I64)), [("x", x)],
       ["Reshape"])
    op("reshape_to_scalar", lambda a: R.Reshape(tensor=a, shape=tf.constant([], tf.int32)),
       [("x", np.array([[7.25]], F32))], ["Reshape"], why="[1,1] -> [] (empty shape)")
    y = r.standard_normal((1, 3, 1, 2)).astype(F32)
    op("squeeze_all", lambda a: R.Squeeze(input=a), [("x", y)], ["Squeeze"])
    op("squeeze_dims", lambda a: R.Squeeze(input=a, axis=[2]), [("x", y)], ["Squeeze"])
    op("squeeze_neg_dims", lambda a: R.Squeeze(input=a, axis=[-2, 0]), [("x", y)], ["Squeeze"])
    op("expanddims_0", lambda a: R.ExpandDims(input=a, axis=c(0)), [("x", x)], ["ExpandDims"])
    op("expanddims_neg1", lambda a: R.ExpandDims(input=a, axis=c(-1)), [("x", x)],
       ["ExpandDims"], why="axis -1 appends")
    op("expanddims_neg2", lambda a: R.ExpandDims(input=a, axis=c(-2, I64)), [("x", x)],
       ["ExpandDims"], why="axis -2 inserts before the last dim; Tdim=int64")
    op("expanddims_scalar", lambda a: R.ExpandDims(input=a, axis=c(0)),
       [("x", np.array(2.5, F32))], ["ExpandDims"])
    a2 = r.standard_normal((2, 3)).astype(F32)
    b2 = r.standard_normal((2, 2)).astype(F32)
    op("concatv2_axis0", lambda a, b: R.ConcatV2(values=[a, b], axis=c(0)),
       [("a", a2), ("b", r.standard_normal((4, 3)).astype(F32))], ["ConcatV2"])
    op("concatv2_neg_axis_3in", lambda a, b, d: R.ConcatV2(values=[a, b, d], axis=c(-1)),
       [("a", a2), ("b", b2), ("c", r.standard_normal((2, 1)).astype(F32))], ["ConcatV2"],
       why="three inputs, axis -1")
    op("concatv2_4d_channels", lambda a, b: R.ConcatV2(values=[a, b], axis=c(3)),
       [("a", r.standard_normal((1, 2, 2, 3)).astype(F32)),
        ("b", r.standard_normal((1, 2, 2, 5)).astype(F32))], ["ConcatV2"])
    op("concatv2_int32_axis_int64", lambda a, b: R.ConcatV2(values=[a, b], axis=c(1, I64)),
       [("a", r.integers(0, 9, (2, 2)).astype(I32)), ("b", r.integers(0, 9, (2, 3)).astype(I32))],
       ["ConcatV2"])
    op("concatv2_with_empty", lambda a, b: R.ConcatV2(values=[a, b], axis=c(0)),
       [("a", np.zeros((0, 3), F32)), ("b", a2)], ["ConcatV2"], why="one input has 0 rows")
    op("pack_axis0", lambda a, b: R.Pack(values=[a, b], axis=0), [("a", a2), ("b", a2 * 2)],
       ["Pack"])
    op("pack_axis1", lambda a, b, d: R.Pack(values=[a, b, d], axis=1),
       [("a", a2), ("b", a2 + 1), ("c", a2 - 1)], ["Pack"])
    op("pack_neg_axis", lambda a, b: R.Pack(values=[a, b], axis=-1), [("a", a2), ("b", -a2)],
       ["Pack"])
    op("pack_scalars_int32", lambda a, b: R.Pack(values=[a, b], axis=0),
       [("a", np.array(3, I32)), ("b", np.array(-4, I32))], ["Pack"])
    op("unpack_axis0", lambda a: tuple(R.Unpack(value=a, num=2, axis=0)), [("x", x)], ["Unpack"],
       why="2 outputs")
    op("unpack_axis1", lambda a: tuple(R.Unpack(value=a, num=3, axis=1)), [("x", x)], ["Unpack"],
       why="3 outputs")
    op("unpack_neg_axis", lambda a: tuple(R.Unpack(value=a, num=4, axis=-1)), [("x", x)],
       ["Unpack"], why="4 outputs")
    op("shape_int32", lambda a: R.Shape(input=a, out_type=tf.int32), [("x", x)], ["Shape"])
    op("shape_int64", lambda a: R.Shape(input=a, out_type=tf.int64), [("x", x)], ["Shape"])
    op("shape_dynamic", lambda a: R.Shape(input=a, out_type=tf.int32),
       [("x", r.standard_normal((5, 2)).astype(F32), [None, 2])], ["Shape"],
       why="first dim unknown until run time")
    op("shape_scalar", lambda a: R.Shape(input=a, out_type=tf.int32),
       [("x", np.array(1.0, F32))], ["Shape"], why="rank 0 -> empty int32 vector")
    op("fill_fed_dims", lambda d: R.Fill(dims=d, value=c(1.5, F32)),
       [("dims", np.array([2, 3], I32))], ["Fill"])
    op("fill_int32_value", lambda d, v: R.Fill(dims=d, value=v),
       [("dims", np.array([3, 1, 2], I32)), ("value", np.array(-7, I32))], ["Fill"])
    op("fill_int64_dims", lambda d: R.Fill(dims=d, value=c(0.0, F32)),
       [("dims", np.array([4], I64))], ["Fill"])
    op("fill_scalar", lambda d: R.Fill(dims=d, value=c(2.0, F32)),
       [("dims", np.zeros((0,), I32))], ["Fill"], why="empty dims -> scalar")


def gen_strided_slice():
    r = rng_for("strided_slice")
    x = r.standard_normal((4, 5, 6)).astype(F32)
    v = np.arange(10, dtype=F32)

    def ss(name, fn, inp=x, why=None):
        op("stridedslice_" + name, fn, [("x", inp)], ["StridedSlice"], why=why)

    ss("begin_stride2", lambda a: a[1:, ::2], why="x[1:, ::2]")
    ss("ellipsis_shrink", lambda a: a[..., 1], why="x[..., 1]")
    ss("newaxis_negstride", lambda a: a[:, None, 2:0:-1], why="x[:, None, 2:0:-1]")
    ss("neg_index_shrink", lambda a: a[-1], why="x[-1]")
    ss("reverse", lambda a: a[::-1], why="x[::-1]")
    ss("reverse_all_dims", lambda a: a[::-1, ::-1, ::-1], why="x[::-1, ::-1, ::-1]")
    ss("neg_bounds", lambda a: a[1:-1, -3:], why="x[1:-1, -3:]")
    ss("stride2_negstride2", lambda a: a[::2, ::-2], why="x[::2, ::-2]")
    ss("two_shrinks", lambda a: a[0, :, 1], why="x[0, :, 1]")
    ss("newaxis_ellipsis_newaxis", lambda a: a[None, ..., None], why="x[None, ..., None]")
    ss("clamp_out_of_range", lambda a: a[1:100, -100:3], why="x[1:100, -100:3] clamps")
    ss("empty_result", lambda a: a[3:1], why="x[3:1] -> shape [0,5,6]")
    ss("ellipsis_mid", lambda a: a[1, ..., ::-3], why="x[1, ..., ::-3]")
    ss("1d_negstride3", lambda a: a[8:1:-3], inp=v, why="v[8:1:-3]")
    ss("1d_neg_begin_only", lambda a: a[-4:], inp=v, why="v[-4:]")
    ss("4d_nhwc_crop", lambda a: a[:, 1:3, 1:3, :],
       inp=r.standard_normal((2, 4, 4, 3)).astype(F32), why="x[:, 1:3, 1:3, :]")
    op("stridedslice_fed_bounds",
       lambda a, b, e, s: R.StridedSlice(input=a, begin=b, end=e, strides=s, end_mask=2),
       [("x", x), ("begin", np.array([1, 4], I32)), ("end", np.array([3, 0], I32)),
        ("strides", np.array([1, -2], I32))], ["StridedSlice"],
       why="begin/end/strides fed; end_mask=2 so dim 1 runs 4,2,0")
    op("stridedslice_int32_shape_element", lambda a: R.Shape(input=a)[1:2],
       [("x", x, [None, None, 6])], ["StridedSlice", "Shape"],
       why="tf.shape(x)[1:2] on a dynamic shape, as Keras graphs do")
    op("stridedslice_int64_indices",
       lambda a: R.StridedSlice(input=a, begin=c([0, 1], I64), end=c([2, 4], I64),
                                strides=c([1, 2], I64), shrink_axis_mask=1),
       [("x", x)], ["StridedSlice"], why="Index=int64, shrink dim 0")


def gen_slicing():
    r = rng_for("slicing")
    x = r.standard_normal((4, 5, 6)).astype(F32)
    op("slice_basic", lambda a: R.Slice(input=a, begin=c([1, 0, 2]), size=c([2, 3, 3])),
       [("x", x)], ["Slice"])
    op("slice_size_minus1", lambda a: R.Slice(input=a, begin=c([1, 2, 0]), size=c([-1, 2, -1])),
       [("x", x)], ["Slice"], why="size -1 means to the end")
    op("slice_2d_int64", lambda a: R.Slice(input=a, begin=c([0, 1], I64), size=c([2, 2], I64)),
       [("x", r.integers(0, 100, (3, 4)).astype(I32))], ["Slice"])
    op("slice_fed_begin", lambda a, b: R.Slice(input=a, begin=b, size=c([2, -1, 1])),
       [("x", x), ("begin", np.array([2, 3, 5], I32))], ["Slice"])
    op("transpose_2d", lambda a: R.Transpose(x=a, perm=c([1, 0])),
       [("x", r.standard_normal((3, 5)).astype(F32))], ["Transpose"])
    op("transpose_3d", lambda a: R.Transpose(x=a, perm=c([2, 0, 1])), [("x", x)], ["Transpose"])
    op("transpose_3d_swap_last", lambda a: R.Transpose(x=a, perm=c([0, 2, 1])), [("x", x)],
       ["Transpose"])
    op("transpose_4d_nhwc_to_nchw", lambda a: R.Transpose(x=a, perm=c([0, 3, 1, 2])),
       [("x", r.standard_normal((2, 3, 4, 5)).astype(F32))], ["Transpose"])
    op("transpose_4d_int32_perm_int64", lambda a: R.Transpose(x=a, perm=c([3, 2, 1, 0], I64)),
       [("x", r.integers(0, 100, (2, 3, 1, 4)).astype(I32))], ["Transpose"])
    op("pad_2d", lambda a: R.Pad(input=a, paddings=c([[1, 2], [0, 3]])),
       [("x", r.standard_normal((2, 3)).astype(F32))], ["Pad"])
    op("pad_4d_spatial", lambda a: R.Pad(input=a, paddings=c([[0, 0], [1, 1], [2, 0], [0, 0]])),
       [("x", r.standard_normal((1, 3, 3, 2)).astype(F32))], ["Pad"])
    op("pad_int32_paddings_int64", lambda a: R.Pad(input=a, paddings=c([[2, 1]], I64)),
       [("x", r.integers(1, 9, (3,)).astype(I32))], ["Pad"])
    op("pad_fed_paddings", lambda a, p: R.Pad(input=a, paddings=p),
       [("x", r.standard_normal((2, 2)).astype(F32)), ("paddings", np.array([[0, 1], [3, 0]], I32))],
       ["Pad"])
    op("padv2_const_value", lambda a: R.PadV2(input=a, paddings=c([[1, 1], [1, 2]]),
                                              constant_values=c(-1.5, F32)),
       [("x", r.standard_normal((2, 3)).astype(F32))], ["PadV2"])
    op("padv2_int32", lambda a: R.PadV2(input=a, paddings=c([[0, 2], [1, 0]]),
                                        constant_values=c(7)),
       [("x", r.integers(0, 5, (2, 2)).astype(I32))], ["PadV2"])
    op("padv2_neg_inf_4d", lambda a: R.PadV2(input=a, paddings=c([[0, 0], [1, 1], [1, 1], [0, 0]]),
                                             constant_values=c(-3.0e38, F32)),
       [("x", r.standard_normal((1, 2, 2, 1)).astype(F32))], ["PadV2"])


def gen_cast():
    r = rng_for("cast")
    f = np.array([-2.7, -1.5, -0.5, 0.0, 0.4, 1.5, 2.7, 100.9], F32)
    i = np.array([-3, 0, 1, 2, 7, -100, 65536, 2147483647], I32)
    l = np.array([-5, 0, 3, 2**40, -(2**33), 123456789], I64)
    b = np.array([True, False, True, True, False], BOOL)
    h = r.standard_normal((2, 4)).astype(F16)

    def cast(name, x, dst, why=None, tol=(1e-5, 1e-5)):
        op("cast_" + name, lambda a: R.Cast(x=a, DstT=dst), [("x", x)], ["Cast"], why=why, tol=tol)

    cast("f32_to_i32", f, tf.int32, why="truncation toward zero (-2.7 -> -2)")
    cast("f32_to_i64", f, tf.int64)
    cast("i32_to_f32", i, tf.float32, why="2147483647 rounds to 2147483648.0f")
    cast("i64_to_f32", l, tf.float32, tol=(0, 1e-7), why="int64 -> float rounds to nearest")
    cast("i32_to_i64", i, tf.int64)
    cast("i64_to_i32", np.array([-5, 0, 3, 123456789, -77], I64), tf.int32,
         why="in-range values only")
    cast("f32_to_bool", f, tf.bool, why="nonzero -> true")
    cast("i32_to_bool", i, tf.bool)
    cast("bool_to_f32", b, tf.float32)
    cast("bool_to_i32", b, tf.int32)
    cast("bool_to_i64", b, tf.int64)
    cast("f32_to_f16", r.standard_normal((3, 4)).astype(F32) * 10, tf.float16, tol=(0, 1e-3),
         why="round to nearest half; rtol 1e-3 (~ half precision ulp)")
    cast("f16_to_f32", h, tf.float32, why="exact widening")
    cast("f32_to_f32", f, tf.float32, why="no-op cast")


def gen_gather_tile():
    r = rng_for("gather")
    x = r.standard_normal((5, 4, 3)).astype(F32)

    def gather(name, params, idx, axis, batch_dims=0, axis_dt=I32, why=None):
        op("gatherv2_" + name,
           lambda p, i: R.GatherV2(params=p, indices=i, axis=c(axis, axis_dt),
                                   batch_dims=batch_dims),
           [("params", params), ("indices", idx)], ["GatherV2"], why=why)

    gather("axis0", x, np.array([4, 0, 2, 2], I32), 0)
    gather("axis1", x, np.array([3, 1], I32), 1)
    gather("neg_axis", x, np.array([2, 0, 1], I32), -1, why="axis -1")
    gather("indices_2d", x, np.array([[0, 1], [4, 3], [2, 2]], I32), 0,
           why="indices [3,2] -> output [3,2,4,3]")
    gather("indices_int64", x, np.array([1, 3], I64), 1, axis_dt=I64)
    gather("scalar_index", x, np.array(3, I32), 0, why="rank-0 index drops the axis")
    gather("batch_dims1", x, np.array([[0, 3], [1, 1], [2, 0], [3, 2], [0, 0]], I32), 1,
           batch_dims=1, why="batch_dims=1: per-batch row gather along axis 1")
    gather("batch_dims1_axis2", x, np.array([[0, 2], [1, 1], [2, 0], [0, 1], [2, 2]], I32), 2,
           batch_dims=1)
    gather("int32_params", r.integers(0, 100, (6,)).astype(I32), np.array([5, 0, 5], I32), 0)

    def tile(name, inp, mult, dt=I32):
        op("tile_" + name, lambda a: R.Tile(input=a, multiples=c(mult, dt)), [("x", inp)],
           ["Tile"])

    tile("2d", r.standard_normal((2, 3)).astype(F32), [2, 3])
    tile("3d", r.standard_normal((2, 1, 3)).astype(F32), [1, 4, 2])
    tile("ones", r.standard_normal((2, 2)).astype(F32), [1, 1])
    tile("int64_multiples", r.integers(0, 9, (3,)).astype(I32), [3], dt=I64)
    op("tile_fed_multiples", lambda a, m: R.Tile(input=a, multiples=m),
       [("x", r.standard_normal((1, 2)).astype(F32)), ("multiples", np.array([3, 2], I32))],
       ["Tile"])


def gen_space_batch():
    r = rng_for("space_batch")

    def s2b(name, x, block, pads):
        op("spacetobatchnd_" + name,
           lambda a: R.SpaceToBatchND(input=a, block_shape=c(block), paddings=c(pads)),
           [("x", x)], ["SpaceToBatchND"])

    def b2s(name, x, block, crops):
        op("batchtospacend_" + name,
           lambda a: R.BatchToSpaceND(input=a, block_shape=c(block), crops=c(crops)),
           [("x", x)], ["BatchToSpaceND"])

    s2b("basic", r.standard_normal((1, 4, 4, 1)).astype(F32), [2, 2], [[0, 0], [0, 0]])
    s2b("padded", r.standard_normal((2, 3, 5, 2)).astype(F32), [2, 2], [[1, 0], [0, 1]])
    s2b("block_2x3", r.standard_normal((1, 4, 6, 2)).astype(F32), [2, 3], [[0, 0], [0, 0]])
    s2b("1d_block", r.standard_normal((2, 6, 3)).astype(F32), [3], [[1, 2]])
    b2s("basic", r.standard_normal((4, 2, 2, 1)).astype(F32), [2, 2], [[0, 0], [0, 0]])
    b2s("crops", r.standard_normal((8, 2, 3, 2)).astype(F32), [2, 2], [[1, 0], [0, 1]])
    b2s("1d_block", r.standard_normal((6, 3, 2)).astype(F32), [3], [[1, 1]])
    # The pair Keras/TF emits around dilated convolutions: S2B -> Conv2D -> B2S.
    f = r.standard_normal((3, 3, 2, 3)).astype(F32)

    def atrous(a):
        t = R.SpaceToBatchND(input=a, block_shape=c([2, 2]), paddings=c([[2, 3], [2, 3]]))
        t = R.Conv2D(input=t, filter=tf.constant(f), strides=[1, 1, 1, 1], padding="VALID")
        return R.BatchToSpaceND(input=t, block_shape=c([2, 2]), crops=c([[0, 1], [0, 1]]))

    op("spacetobatchnd_atrous_conv", atrous, [("x", r.standard_normal((1, 9, 9, 2)).astype(F32))],
       ["SpaceToBatchND", "Conv2D", "BatchToSpaceND"], tol=(1e-4, 1e-4),
       why="dilated conv as S2B/Conv2D/B2S; 1e-4 for the conv sums")


def gen_pbtxt_mlp():
    name = "pbtxt_mlp"
    if not OPS.selected(name):
        OPS.cases.append(name)
        return
    r = rng_for(name)
    w1 = tf.Variable(r.standard_normal((6, 8)).astype(F32) * 0.5)
    b1 = tf.Variable(r.standard_normal((8,)).astype(F32) * 0.1)
    w2 = tf.Variable(r.standard_normal((8, 3)).astype(F32) * 0.5)
    b2 = tf.Variable(r.standard_normal((3,)).astype(F32) * 0.1)

    def mlp(x):
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
        return tf.nn.softmax(tf.nn.bias_add(tf.matmul(h, w2), b2))

    gd, ins, outs = freeze(mlp, [tf.TensorSpec([None, 6], tf.float32, name="x")])
    x = r.standard_normal((4, 6)).astype(F32)
    y = run_graph(gd, [(ins[0], x)], outs)
    write_case(OPS, name, gd, [(ins[0], x)], [(outs[0], y[0], 1e-5, 1e-4)],
               ["text-format GraphDef (tf.io.write_graph as_text=True) of a 2-layer MLP",
                "tolerance 1e-5/1e-4: two small matmuls (K=6, 8) then softmax"], text=True)


# --------------------------------------------------------------------------- models

MODELS = Suite("models")


def model_case(name, fn, specs, feeds, tols, comments):
    if not MODELS.selected(name):
        MODELS.cases.append(name)
        return
    gd, ins, outs = freeze(fn, specs)
    inputs = list(zip(ins, feeds))
    got = run_graph(gd, inputs, outs)
    write_case(MODELS, name, gd, inputs,
               [(o, g, t[0], t[1]) for o, g, t in zip(outs, got, tols)], comments)
    print("  %s: %d nodes, %d bytes" % (name, len(gd.node), gd.ByteSize()))
    return gd, got


def randomize_bn(model, r):
    """Give Keras BatchNormalization layers non-trivial seeded statistics."""
    import keras
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            ch = layer.gamma.shape[0]
            layer.gamma.assign(r.uniform(0.8, 1.2, ch).astype(F32))
            layer.beta.assign((0.1 * r.standard_normal(ch)).astype(F32))
            layer.moving_mean.assign((0.1 * r.standard_normal(ch)).astype(F32))
            layer.moving_variance.assign(r.uniform(0.5, 1.5, ch).astype(F32))


def gen_models():
    import keras

    # MLP: Dense+relu x2 + softmax.
    keras.utils.set_random_seed(1)
    r = rng_for("mlp")
    mlp = keras.Sequential([
        keras.Input((20,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model_case("mlp", lambda x: mlp(x, training=False),
               [tf.TensorSpec([None, 20], tf.float32, name="x")],
               [r.standard_normal((4, 20)).astype(F32)], [(1e-5, 1e-4)],
               ["Keras MLP 20-32-16-10 (Dense+relu x2, Dense+softmax), batch 4",
                "tolerance 1e-5/1e-4: 3 small matmuls, probabilities in [0,1]"])

    # Small CNN (Keras): conv/bn/relu/maxpool/dense.
    keras.utils.set_random_seed(2)
    r = rng_for("small_cnn")
    cnn = keras.Sequential([
        keras.Input((16, 16, 3)),
        keras.layers.Conv2D(8, 3, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, padding="same", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    randomize_bn(cnn, r)
    model_case("small_cnn", lambda x: cnn(x, training=False),
               [tf.TensorSpec([None, 16, 16, 3], tf.float32, name="x")],
               [r.standard_normal((2, 16, 16, 3)).astype(F32)], [(1e-5, 1e-4)],
               ["Keras CNN: Conv2D/BN/ReLU/MaxPool x2, Flatten, Dense+softmax; input [2,16,16,3]",
                "Keras 3 exports BatchNormalization as Rsqrt/Mul/Add/Sub, not FusedBatchNorm",
                "tolerance 1e-5/1e-4 on probabilities: 2 convs + 1 dense (sums of <=256 terms)"])

    # Small CNN written against TF ops directly: FusedBatchNormV3, BiasAdd, MatMul.
    r = rng_for("cnn_fusedbn")
    v = lambda *s, k=0.3: tf.Variable((k * r.standard_normal(s)).astype(F32))
    pos = lambda ch: tf.Variable(r.uniform(0.5, 1.5, ch).astype(F32))
    k1, b1 = v(3, 3, 3, 8), v(8, k=0.1)
    bn1 = [pos(8), v(8, k=0.1), v(8, k=0.1), pos(8)]
    k2 = v(3, 3, 8, 16)
    bn2 = [pos(16), v(16, k=0.1), v(16, k=0.1), pos(16)]
    wd, bd = v(4 * 4 * 16, 10, k=0.1), v(10, k=0.1)

    def cnn2(x):
        h = tf.nn.conv2d(x, k1, strides=1, padding="SAME")
        h = tf.nn.bias_add(h, b1)
        h = tf.compat.v1.nn.fused_batch_norm(h, bn1[0], bn1[1], bn1[2], bn1[3],
                                             epsilon=0.001, is_training=False)[0]
        h = tf.nn.relu(h)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.nn.conv2d(h, k2, strides=1, padding="SAME")
        h = tf.compat.v1.nn.fused_batch_norm(h, bn2[0], bn2[1], bn2[2], bn2[3],
                                             epsilon=0.001, is_training=False)[0]
        h = tf.nn.relu6(h)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.reshape(h, [-1, 4 * 4 * 16])
        logits = tf.nn.bias_add(tf.matmul(h, wd), bd)
        return logits, tf.nn.softmax(logits)

    model_case("cnn_fusedbn", cnn2, [tf.TensorSpec([None, 16, 16, 3], tf.float32, name="x")],
               [r.standard_normal((2, 16, 16, 3)).astype(F32)], [(1e-4, 1e-4), (1e-5, 1e-4)],
               ["tf.Variable CNN: Conv2D/BiasAdd/FusedBatchNormV3/Relu/MaxPool, Conv2D/FBN/Relu6/"
                "MaxPool, Reshape, MatMul/BiasAdd, Softmax; input [2,16,16,3]",
                "outputs: logits (1e-4/1e-4, sums of up to 256 terms) and probabilities "
                "(1e-5/1e-4)"])

    # MobileNetV2 alpha 0.35 at 96x96, random seeded weights, 10 classes (keeps it small).
    keras.utils.set_random_seed(3)
    r = rng_for("mobilenet_v2")
    mnet = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None,
                                          classes=10, classifier_activation=None)
    randomize_bn(mnet, r)
    # Random glorot weights give logits of ~0.3 (near-uniform softmax, a weak check);
    # scale the classifier so logits span a few units.
    head = mnet.get_layer("predictions")
    head.kernel.assign(head.kernel.numpy() * 20.0)

    def mnet_fn(x):
        logits = mnet(x, training=False)
        return logits, tf.nn.softmax(logits)

    x = r.uniform(-1, 1, (2, 96, 96, 3)).astype(F32)
    res = model_case("mobilenet_v2_035_96", mnet_fn,
                     [tf.TensorSpec([None, 96, 96, 3], tf.float32, name="x")], [x],
                     [(2e-4, 2e-4), (2e-5, 2e-4)],
                     ["Keras MobileNetV2(alpha=0.35, 96x96, weights=None, classes=10, "
                      "classifier_activation=None), seeded weights and BN statistics; batch 2",
                      "outputs: logits, softmax(logits)",
                      "tolerance logits 2e-4/2e-4, probs 2e-5/2e-4: ~53 conv layers, each with "
                      "its own summation order; TF float32 vs a float64 run of this graph "
                      "differs by ~1e-6 (see tests/data/README.md)"])
    if res is not None:
        eager = mnet(x, training=False).numpy()
        print("  mobilenet eager-vs-frozen max |diff| logits: %.3g (max |logit| %.3g)"
              % (np.abs(eager - res[1][0]).max(), np.abs(res[1][0]).max()))

    # ResNet-style CNN (ResNet50 v1 layout, shrunk): 7x7/2 stem + BN + ReLU + 3x3/2 maxpool,
    # four bottleneck blocks (1x1-3x3-1x1 convs with BN; projection shortcuts in the first
    # block of each stage, the second with stride 2; identity shortcuts otherwise; Add then
    # ReLU), global average pooling, Dense head. Seeded weights, conv biases, BN statistics.
    keras.utils.set_random_seed(4)
    r = rng_for("resnet_style_32")
    L = keras.layers
    bn_eps = 1.001e-5  # as keras.applications.ResNet50

    def bottleneck(h, filters, stride, projection, name):
        if projection:
            sc = L.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(h)
            sc = L.BatchNormalization(epsilon=bn_eps, name=name + "_0_bn")(sc)
        else:
            sc = h
        h = L.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(h)
        h = L.BatchNormalization(epsilon=bn_eps, name=name + "_1_bn")(h)
        h = L.Activation("relu", name=name + "_1_relu")(h)
        h = L.Conv2D(filters, 3, padding="same", name=name + "_2_conv")(h)
        h = L.BatchNormalization(epsilon=bn_eps, name=name + "_2_bn")(h)
        h = L.Activation("relu", name=name + "_2_relu")(h)
        h = L.Conv2D(4 * filters, 1, name=name + "_3_conv")(h)
        h = L.BatchNormalization(epsilon=bn_eps, name=name + "_3_bn")(h)
        h = L.Add(name=name + "_add")([sc, h])
        return L.Activation("relu", name=name + "_out")(h)

    inp = keras.Input((32, 32, 3), name="x")
    h = L.ZeroPadding2D(3, name="conv1_pad")(inp)
    h = L.Conv2D(16, 7, strides=2, name="conv1_conv")(h)            # 38 -> 16
    h = L.BatchNormalization(epsilon=bn_eps, name="conv1_bn")(h)
    h = L.Activation("relu", name="conv1_relu")(h)
    h = L.ZeroPadding2D(1, name="pool1_pad")(h)
    h = L.MaxPooling2D(3, strides=2, name="pool1_pool")(h)          # 18 -> 8
    h = bottleneck(h, 8, 1, True, "conv2_block1")                   # 8x8x32, projection
    h = bottleneck(h, 8, 1, False, "conv2_block2")                  # 8x8x32, identity
    h = bottleneck(h, 16, 2, True, "conv3_block1")                  # 4x4x64, projection /2
    h = bottleneck(h, 16, 1, False, "conv3_block2")                 # 4x4x64, identity
    h = L.GlobalAveragePooling2D(name="avg_pool")(h)
    logits_out = L.Dense(10, name="predictions")(h)
    rnet = keras.Model(inp, logits_out, name="resnet_style_32")
    randomize_bn(rnet, r)
    for layer in rnet.layers:
        if isinstance(layer, L.Conv2D):
            ch = layer.bias.shape[0]
            layer.bias.assign((0.1 * r.standard_normal(ch)).astype(F32))
    rhead = rnet.get_layer("predictions")
    rhead.bias.assign((0.1 * r.standard_normal(10)).astype(F32))
    # Glorot weights give logits under 1 (near-uniform softmax); scale the head so they
    # span a few units.
    rhead.kernel.assign(rhead.kernel.numpy() * 8.0)

    def rnet_fn(x):
        logits = rnet(x, training=False)
        return logits, tf.nn.softmax(logits)

    # Image-like inputs: per sample, four 16x16 squares of random colour plus noise, so the
    # two samples give clearly different logits (i.i.d. noise averages out in the pool).
    x = (np.kron(r.uniform(-1.5, 1.5, (2, 2, 2, 3)), np.ones((1, 16, 16, 1)))
         + 0.3 * r.uniform(-1, 1, (2, 32, 32, 3))).astype(F32)
    res = model_case("resnet_style_32", rnet_fn,
                     [tf.TensorSpec([None, 32, 32, 3], tf.float32, name="x")], [x],
                     [(1e-4, 1e-4), (1e-5, 1e-4)],
                     ["Keras functional ResNet-style CNN (ResNet50 v1 layout, shrunk), seeded "
                      "weights, conv biases and BN statistics (gamma, beta, moving "
                      "mean/variance; eps 1.001e-5); 17802 params; input [2,32,32,3], batch 2",
                      "stem: ZeroPadding2D(3), Conv2D 7x7/2 (16) + BN + ReLU, ZeroPadding2D(1), "
                      "MaxPool 3x3/2 -> [8,8,16]",
                      "bottleneck blocks (1x1-3x3-1x1 Conv2D+BN, ReLU after the first two, Add, "
                      "ReLU): conv2_block1 projection shortcut (1x1 conv+BN) -> [8,8,32], "
                      "conv2_block2 identity, conv3_block1 projection stride 2 -> [4,4,64], "
                      "conv3_block2 identity",
                      "GlobalAveragePooling2D (Mean), Dense 64->10 (kernel x8: logits span ~+-6); "
                      "outputs: logits, softmax(logits)",
                      "Keras 3 exports BN as Rsqrt/Mul/Sub/AddV2, conv bias as Reshape/Squeeze + "
                      "BiasAdd",
                      "tolerance logits 1e-4/1e-4, probs 1e-5/1e-4: 15 convs (sums of up to 147 "
                      "terms) and a 64-term matmul, each with its own summation order; TF float32 "
                      "vs a float64 run of this graph differs by ~1.1e-6 on logits (<0.4% of the "
                      "budget)"])
    if res is not None:
        eager = rnet(x, training=False).numpy()
        print("  resnet eager-vs-frozen max |diff| logits: %.3g (max |logit| %.3g)"
              % (np.abs(eager - res[1][0]).max(), np.abs(res[1][0]).max()))


# --------------------------------------------------------------------------- bad inputs


def gen_bad():
    d = os.path.join(DATA, "bad")
    os.makedirs(d, exist_ok=True)
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [3, 3], name="x")
        cs = tf.math.cumsum(x, axis=0, name="cumsum")           # Cumsum
        det = tf.linalg.det(x, name="det")                      # MatrixDeterminant
        tf.identity(cs * det, name="needs_unsupported")
        tf.identity(tf.nn.relu(x) + 1.0, name="supported")
    gd = g.as_graph_def()
    ops = {n.op for n in gd.node}
    assert "Cumsum" in ops and "MatrixDeterminant" in ops, ops
    with open(os.path.join(d, "unsupported.pb"), "wb") as f:
        f.write(gd.SerializeToString(deterministic=True))
    r = rng_for("bad_unsupported")
    xv = r.standard_normal((3, 3)).astype(F32)
    y_bad, y_ok = run_graph(gd, [("x:0", xv)], ["needs_unsupported:0", "supported:0"])
    np.save(os.path.join(d, "unsupported_x.npy"), xv)
    np.save(os.path.join(d, "unsupported_supported.npy"), y_ok)
    np.save(os.path.join(d, "unsupported_needs_unsupported.npy"), y_bad)
    good = gd.SerializeToString(deterministic=True)
    with open(os.path.join(d, "truncated.pb"), "wb") as f:
        f.write(good[: len(good) // 2])
    with open(os.path.join(d, "garbage.pb"), "wb") as f:
        f.write(r.integers(0, 256, 300, dtype=np.uint8).tobytes())
    with open(os.path.join(d, "bad_syntax.pbtxt"), "w") as f:
        f.write('node {\n  name: "x"\n  op: "Placeholder"\n  attr { key: "dtype" value { '
                'type: DT_FLOAT }\n}\nnode { name: "y" op: "Identity" input: "x" \n')
    with open(os.path.join(d, "dangling_input.pbtxt"), "w") as f:
        f.write('node {\n  name: "x"\n  op: "Placeholder"\n  attr { key: "dtype" value { '
                'type: DT_FLOAT } }\n}\nnode {\n  name: "y"\n  op: "AddV2"\n  input: "x"\n'
                '  input: "does_not_exist"\n  attr { key: "T" value { type: DT_FLOAT } }\n}\n')
    with open(os.path.join(d, "cycle.pbtxt"), "w") as f:
        f.write('node {\n  name: "x"\n  op: "Placeholder"\n  attr { key: "dtype" value { '
                'type: DT_FLOAT } }\n}\nnode {\n  name: "a"\n  op: "AddV2"\n  input: "x"\n'
                '  input: "b"\n  attr { key: "T" value { type: DT_FLOAT } }\n}\n'
                'node {\n  name: "b"\n  op: "Identity"\n  input: "a"\n'
                '  attr { key: "T" value { type: DT_FLOAT } }\n}\n')
    print("bad: written")


# --------------------------------------------------------------------------- main


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", help="regenerate only cases whose name contains this")
    p.add_argument("--suite", choices=["ops", "models", "bad"], action="append")
    ARGS = p.parse_args()
    suites = ARGS.suite or ["ops", "models", "bad"]
    tf.random.set_seed(0)
    np.random.seed(0)
    print("TensorFlow", tf.__version__)
    if "ops" in suites:
        os.makedirs(OPS.dir, exist_ok=True)
        for g in (gen_plumbing, gen_matmul, gen_bias, gen_conv, gen_pool, gen_batchnorm,
                  gen_activations, gen_binary, gen_unary, gen_reductions, gen_shapes,
                  gen_strided_slice, gen_slicing, gen_cast, gen_gather_tile, gen_space_batch,
                  gen_pbtxt_mlp):
            g()
        OPS.write_index()
    if "models" in suites:
        os.makedirs(MODELS.dir, exist_ok=True)
        gen_models()
        MODELS.write_index()
    if "bad" in suites:
        gen_bad()
    return 0


if __name__ == "__main__":
    sys.exit(main())
