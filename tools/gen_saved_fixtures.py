"""tools/gen_saved_fixtures.py: tiny SavedModels and a .meta checkpoint for the loader unit
tests (tests/io/test_saved_model.c), written by real TensorFlow into tests/data/saved/.

Run: .venv-tf/bin/python tools/gen_saved_fixtures.py   (TensorFlow 2.21.0, a few seconds)

Folders (each a few kilobytes):
  tf1/              tf.compat.v1.saved_model.Builder: variable `v` (float [2]), y = x*v + 1,
                    signatures `serving_default` (predict) and `double` (predict, int32),
                    main op = group(assign filename var), one asset file; MetaGraphs with
                    tags {serve} and {serve, gpu}, and {train} (no signatures).
                    (TF 2.21's Builder stores assets in the `saved_model_assets` collection,
                    not in asset_file_def.)
  tf1_pbtxt/        tf1's {serve} MetaGraph alone, written as saved_model.pbtxt
                    (google.protobuf.text_format, Any values in plain form); variables/ and
                    assets/ copied.
  tf1_legacy/       tf1's {serve} MetaGraph alone, edited as older TF 1.x exported it: the
                    init op in the `legacy_init_op` collection instead of
                    `saved_model_main_op`. No variables/ (restore is skipped).
  tf2/              tf.saved_model.save of a tf.Module with a counter variable, an Asset
                    (asset_file_def) and two signatures (`serving_default`: add delta and
                    return the count; `peek`: read it, twice it, and the asset path).
  meta/             tf.compat.v1.train.Saver: model.ckpt.meta + model.ckpt.{index,data}
                    + checkpoint; variables w (float [2,2]) and b (float [2]); text.meta:
                    the same MetaGraphDef in text format, stripped_op_list removed.
"""
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
import tensorflow as tf  # noqa: E402
from google.protobuf import text_format  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "data", "saved"))
# Where asset files come from: the path is recorded in the graphs, so keep it fixed.
ASSET_SRC = "/tmp/frt_saved_fixtures_src"


def asset_file(name, text):
    os.makedirs(ASSET_SRC, exist_ok=True)
    p = os.path.join(ASSET_SRC, name)
    with open(p, "w") as f:
        f.write(text)
    return p
v1 = tf.compat.v1


def fresh(name):
    d = os.path.join(ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    return d


def gen_tf1():
    d = fresh("tf1")
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        n = v1.placeholder(tf.int32, [], name="n")
        v = v1.Variable([2.0, 3.0], name="v", use_resource=False)  # VariableV2
        y = tf.add(x * v, 1.0, name="y")
        n2 = tf.multiply(n, 2, name="n2")
        # An asset: the loader feeds its full path into `asset_path` while init runs.
        src = asset_file("vocab.txt", "a\nb\n")
        asset_path = tf.constant(src, name="asset_path")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, asset_path)
        fname = v1.Variable("", name="filename_var", use_resource=False)
        main_op = tf.group(v1.assign(fname, asset_path), name="main_op")
        sig = v1.saved_model.signature_def_utils.predict_signature_def(
            inputs={"x": x}, outputs={"y": y})
        sig2 = v1.saved_model.signature_def_utils.predict_signature_def(
            inputs={"n": n}, outputs={"doubled": n2})
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            b = v1.saved_model.Builder(d)
            b.add_meta_graph_and_variables(
                s, ["serve"], signature_def_map={"serving_default": sig, "double": sig2},
                assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
                main_op=main_op, strip_default_attrs=True)
            # The main op stays in the graph's collection, so later MetaGraphs keep it.
            b.add_meta_graph(["serve", "gpu"], signature_def_map={"serving_default": sig})
            b.add_meta_graph(["train"])
            b.save()
    return d


def serve_only(src):
    """tf1's SavedModel reduced to its {serve} MetaGraph (keeps the text fixtures small)."""
    sm = saved_model_pb2.SavedModel()
    with open(os.path.join(src, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    out = saved_model_pb2.SavedModel(saved_model_schema_version=sm.saved_model_schema_version)
    out.meta_graphs.add().CopyFrom(
        [m for m in sm.meta_graphs if list(m.meta_info_def.tags) == ["serve"]][0])
    return out


def gen_tf1_pbtxt(src):
    d = fresh("tf1_pbtxt")
    sm = serve_only(src)
    os.makedirs(d)
    # As TF's writer (str(proto)) does: the saved_model_assets Any is printed in the expanded
    # form `[type.googleapis.com/tensorflow.AssetFileDef] { ... }`.
    with open(os.path.join(d, "saved_model.pbtxt"), "w") as f:
        f.write(text_format.MessageToString(sm))
    shutil.copytree(os.path.join(src, "variables"), os.path.join(d, "variables"))
    shutil.copytree(os.path.join(src, "assets"), os.path.join(d, "assets"))


def gen_tf1_legacy(src):
    d = fresh("tf1_legacy")
    out = serve_only(src)
    m = out.meta_graphs[0]
    main = list(m.collection_def["saved_model_main_op"].node_list.value)
    del m.collection_def["saved_model_main_op"]
    m.collection_def["legacy_init_op"].node_list.value.extend(main)
    os.makedirs(d)
    with open(os.path.join(d, "saved_model.pb"), "wb") as f:
        f.write(out.SerializeToString(deterministic=True))
    shutil.copytree(os.path.join(src, "assets"), os.path.join(d, "assets"))


class Counter(tf.Module):
    def __init__(self):
        super().__init__()
        self.count = tf.Variable(0, dtype=tf.int64, name="count")
        self.vocab = tf.saved_model.Asset(asset_file("words.txt", "x\ny\nz\n"))

    @tf.function(input_signature=[tf.TensorSpec([], tf.int64, name="delta")])
    def bump(self, delta):
        self.count.assign_add(delta)
        return {"count": self.count.read_value()}

    @tf.function(input_signature=[])
    def peek(self):
        return {"value": self.count.read_value(), "twice": self.count.read_value() * 2,
                "vocab": self.vocab.asset_path}


def gen_tf2():
    d = fresh("tf2")
    m = Counter()
    tf.saved_model.save(m, d, signatures={"serving_default": m.bump, "peek": m.peek})
    fp = os.path.join(d, "fingerprint.pb")
    if os.path.exists(fp):
        os.remove(fp)  # not read by the loader


def gen_meta():
    d = fresh("meta")
    os.makedirs(d)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.Variable([[1.0, 2.0], [3.0, 4.0]], name="w", use_resource=False)
        b = v1.Variable([0.5, -0.5], name="b", use_resource=False)
        tf.add(tf.matmul(x, w), b, name="y")
        saver = v1.train.Saver(save_relative_paths=True)
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            saver.save(s, os.path.join(d, "model.ckpt"))
    # The same MetaGraphDef in text format (as export_meta_graph(as_text=True) writes it),
    # without the stripped op list to keep it small.
    from tensorflow.core.protobuf import meta_graph_pb2
    m = meta_graph_pb2.MetaGraphDef()
    with open(os.path.join(d, "model.ckpt.meta"), "rb") as f:
        m.ParseFromString(f.read())
    m.meta_info_def.ClearField("stripped_op_list")
    with open(os.path.join(d, "text.meta"), "w") as f:
        f.write(text_format.MessageToString(m))


def main():
    os.makedirs(ROOT, exist_ok=True)
    src = gen_tf1()
    gen_tf1_pbtxt(src)
    gen_tf1_legacy(src)
    gen_tf2()
    gen_meta()
    print("TensorFlow", tf.__version__, "->", os.path.normpath(ROOT), file=sys.stderr)


if __name__ == "__main__":
    main()
