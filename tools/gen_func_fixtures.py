"""tools/gen_func_fixtures.py: TF-made GraphDefs with function libraries for
tests/graph/test_inline.c (tests/data/func/).

Run with the TensorFlow venv: /work/main/.venv-tf/bin/python tools/gen_func_fixtures.py
Made with TensorFlow 2.21. Cases:
  nested/       model.pb: a GraphDef whose top level calls tf.functions through
                PartitionedCall (nested, with a control input on the call); input_0.npy
                (feed `x`), output_0.npy (TF's value of `out`).
  tf2_module/   model.pb: the graph_def of a TF2 SavedModel (tf.Module with two resource
                variables; serving, save and restore functions called through
                StatefulPartitionedCall); vars/<VarHandleOp name>.npy: each variable's value
                (read in TF after running the restore op); input_0.npy (feed
                `serving_default_x`), output_0.npy (TF's value of `StatefulPartitionedCall:0`).
"""
import os
import shutil
import tempfile

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


class Dense(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable([[1.0, -2.0, 0.5], [3.0, 4.0, -1.0]])
        self.b = tf.Variable([0.5, -1.0, 2.0])

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def __call__(self, x):
        return {"y": tf.nn.relu(tf.matmul(x, self.w) + self.b)}


def tf2_module(rng):
    from tensorflow.core.protobuf import saved_model_pb2

    m = Dense()
    tmp = tempfile.mkdtemp()
    try:
        tf.saved_model.save(m, tmp, signatures=m.__call__)
        sm = saved_model_pb2.SavedModel()
        with open(os.path.join(tmp, "saved_model.pb"), "rb") as f:
            sm.ParseFromString(f.read())
        mg = sm.meta_graphs[0]
        gd = mg.graph_def
        sig = mg.signature_def["serving_default"]
        x_name, y_name = sig.inputs["x"].name, sig.outputs["y"].name
        assert (x_name, y_name) == ("serving_default_x:0", "StatefulPartitionedCall:0")
        d = os.path.join(OUT, "tf2_module")
        os.makedirs(os.path.join(d, "vars"), exist_ok=True)
        with open(os.path.join(d, "model.pb"), "wb") as f:
            f.write(gd.SerializeToString(deterministic=True))
        x = rng.standard_normal((3, 2)).astype(np.float32)
        g = tf.Graph()
        with g.as_default():
            tf.import_graph_def(gd, name="")
            reads = {
                n.name: tf.raw_ops.ReadVariableOp(
                    resource=g.get_tensor_by_name(n.name + ":0"), dtype=n.attr["dtype"].type)
                for n in gd.node if n.op == "VarHandleOp"
            }
        with tf.compat.v1.Session(graph=g) as s:
            s.run(mg.saver_def.restore_op_name,
                  {mg.saver_def.filename_tensor_name: os.path.join(tmp, "variables", "variables")})
            for name, t in reads.items():
                np.save(os.path.join(d, "vars", name + ".npy"), s.run(t))
            y = s.run(y_name, {x_name: x})
        np.save(os.path.join(d, "input_0.npy"), x)
        np.save(os.path.join(d, "output_0.npy"), y)
        print("tf2_module vars:", sorted(reads), "functions:",
              [f.signature.name for f in gd.library.function])
    finally:
        shutil.rmtree(tmp)


def main():
    rng = np.random.default_rng(7)
    g, _ = nested()
    write("nested", g, rng.standard_normal((2, 3)).astype(np.float32))
    tf2_module(rng)


if __name__ == "__main__":
    main()
