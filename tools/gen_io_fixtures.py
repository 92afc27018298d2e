#!/usr/bin/env python3
"""tools/gen_io_fixtures.py: writes the tiny fixtures of tests/io/ into tests/data/io/.

Run with the TensorFlow venv:  /work/main/.venv-tf/bin/python tools/gen_io_fixtures.py
Made with TensorFlow 2.21 and its NumPy. Outputs are committed so tests need no TensorFlow.

  small.pb / small.pbtxt  the same GraphDef (binary / text, tf.io.write_graph): a Placeholder,
                          Consts in tensor_content and typed-field encodings, MatMul, Unique
                          (two outputs, consumed as "u:1"), a control input, attrs of kinds
                          type/shape/bool/int/string/list(int)/tensor.
  npy/*.npy               arrays written by NumPy: several dtypes and shapes, scalar, 0-size,
                          format versions 2.0 and 3.0, big-endian and Fortran-order ones.
"""
import os
import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "io")


def graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, shape=[None, 3], name="x")
        w = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2) * 0.5, name="w")
        b = tf.constant(1.5, dtype=tf.float32, shape=[2], name="b")       # float_val splat
        mm = tf.linalg.matmul(x, w, transpose_b=False, name="mm")
        y = tf.nn.bias_add(mm, b, name="y")
        ints = tf.constant([3, 1, 3, 2], dtype=tf.int32, name="ints")     # int_val
        u = tf.unique(ints, name="u")                                     # outputs y, idx
        with tf.control_dependencies([y.op]):
            idx = tf.identity(u.idx, name="idx")                          # "u:1", "^y"
        tf.constant(["ab", "", "c\n\xff"], name="strs")                  # string_val
        tf.constant(7, dtype=tf.int64, name="i64")                        # scalar int64_val
        tf.constant([True, False, True], name="bools")                    # bool_val
        tf.constant(np.array([1.0, -2.0], np.float16), name="halfs")      # half_val
        tf.constant(np.zeros([2, 0], np.float32), name="empty")           # 0 elements
        tf.constant(np.array([[1, 2], [3, 4]], np.int8), name="i8")      # tensor_content
        tf.nn.max_pool2d(tf.reshape(y, [-1, 1, 2, 1]), ksize=[1, 1, 2, 1],
                         strides=[1, 1, 1, 1], padding="VALID", name="pool")
    return g.as_graph_def()


def npys(d):
    os.makedirs(d, exist_ok=True)
    def save(name, arr, version=None):
        path = os.path.join(d, name)
        with open(path, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)
    save("f4_2x3.npy", np.arange(6, dtype="<f4").reshape(2, 3) - 2.5)
    save("f8_scalar.npy", np.array(3.25, dtype="<f8"))
    save("i8_empty.npy", np.zeros((0, 4), dtype="<i8"))
    save("i4_3.npy", np.array([-1, 0, 2147483647], dtype="<i4"))
    save("b1_4.npy", np.array([True, False, False, True]))
    save("u1_2x2.npy", np.array([[0, 255], [7, 8]], dtype="u1"))
    save("i1_3.npy", np.array([-128, 0, 127], dtype="i1"))
    save("i2_2.npy", np.array([-300, 300], dtype="<i2"))
    save("u2_2.npy", np.array([65535, 1], dtype="<u2"))
    save("u4_2.npy", np.array([4294967295, 1], dtype="<u4"))
    save("u8_2.npy", np.array([18446744073709551615, 1], dtype="<u8"))
    save("f2_3.npy", np.array([1.0, -0.5, 65504.0], dtype="<f2"))
    save("f4_1x1x2x1.npy", np.array([1, 2], dtype="<f4").reshape(1, 1, 2, 1))
    save("v2_f4_3.npy", np.array([1, 2, 3], dtype="<f4"), version=(2, 0))
    save("v3_f4_3.npy", np.array([1, 2, 3], dtype="<f4"), version=(3, 0))
    save("be_f4_3.npy", np.array([1, 2, 3], dtype=">f4"))
    save("fortran_f4_2x3.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))


def main():
    os.makedirs(OUT, exist_ok=True)
    gd = graph()
    tf.io.write_graph(gd, OUT, "small.pb", as_text=False)
    tf.io.write_graph(gd, OUT, "small.pbtxt", as_text=True)
    npys(os.path.join(OUT, "npy"))
    print("tf", tf.__version__, "numpy", np.__version__)


if __name__ == "__main__":
    main()
