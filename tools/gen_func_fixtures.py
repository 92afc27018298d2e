"""tools/gen_func_fixtures.py: TF-made GraphDefs with function libraries for
tests/graph/test_inline.c (tests/data/func/).

Run with the TensorFlow venv: /work/main/.venv-tf/bin/python tools/gen_func_fixtures.py
Made with TensorFlow 2.21. Each case writes <name>.pb (a GraphDef whose top level calls
tf.functions through (Stateful)PartitionedCall, nested), input_0.npy and output_0.npy
(the value TF computes for the fetch `out`).
"""
import os

import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "func")


def nested():
    @tf.function
    def inner(x, y):
        parts = tf.split(x, 3, axis=1)  # list output: body refers to split:output:k
        return x * y + 1.0, tf.nn.relu(parts[1] - parts[2])

    @tf.function
    def outer(x):
        a, b = inner(x, x)
        c, _ = inner(a, 0.5 * x)
        return a - c, b

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2, 3], name="x")
        gate = tf.no_op(name="gate")
        with tf.control_dependencies([gate]):
            y, z = outer(x)
        tf.identity(tf.concat([y, z], axis=1), name="out")
    return g, x


def write(name, g, feed_value):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    gd = g.as_graph_def()
    with open(os.path.join(d, "model.pb"), "wb") as f:
        f.write(gd.SerializeToString(deterministic=True))
    with tf.compat.v1.Session(graph=g) as s:
        out = s.run("out:0", feed_dict={"x:0": feed_value})
    np.save(os.path.join(d, "input_0.npy"), feed_value)
    np.save(os.path.join(d, "output_0.npy"), out)
    ops = sorted({n.op for n in gd.node})
    print(name, "top-level ops:", ops, "functions:", [f.signature.name for f in gd.library.function])


def main():
    rng = np.random.default_rng(7)
    g, _ = nested()
    write("nested", g, rng.standard_normal((2, 3)).astype(np.float32))


if __name__ == "__main__":
    main()
