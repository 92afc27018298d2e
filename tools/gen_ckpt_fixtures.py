"""Writes tests/data/ckpt/: V2 checkpoints made by TensorFlow, the values TF reads back from
them, a V1 checkpoint (to be rejected), a Snappy-compressed index, and the proof that
flowrt's bundle writer produces checkpoints TensorFlow loads.

Run from the repository root after building test_bundle:
    .venv-tf/bin/python tools/gen_ckpt_fixtures.py --test-bundle build-bundle/test_bundle

Every folder holds one checkpoint (prefix `model.ckpt` unless said otherwise) and
`expected/`: `index.txt` lists `name dtype file` for every tensor TF lists
(tf.train.list_variables), `<file>.npy` for numbers, `<file>.hex` (one hex line per
element) for strings. Deterministic: fixed seeds, the `checkpoint` state files are written
here (TF's carry timestamps)."""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = os.path.join("tests", "data", "ckpt")
v1 = tf.compat.v1


def fresh(name):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write_state(d, prefix="model.ckpt"):
    with open(os.path.join(d, "checkpoint"), "w") as f:
        f.write(f'model_checkpoint_path: "{prefix}"\n'
                f'all_model_checkpoint_paths: "{prefix}"\n'
                "all_model_checkpoint_timestamps: 1700000000.5\n"
                "last_preserved_timestamp: 1699999999.25\n")


def safe(name):
    return name.replace("/", "__").replace(".", "_")


def write_expected(d, prefix):
    """What TensorFlow itself reads back: every listed tensor's value."""
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    e = os.path.join(d, "expected")
    os.makedirs(e, exist_ok=True)
    lines = []
    for name, _ in tf.train.list_variables(prefix):
        val = reader.get_tensor(name)
        dt = dtypes[name]
        f = safe(name)
        if dt == tf.string:
            arr = np.asarray(val, dtype=object)
            with open(os.path.join(e, f + ".hex"), "w") as h:
                h.write(" ".join(str(x) for x in arr.shape) + "\n")
                for x in arr.reshape(-1):
                    h.write(x.hex() + "\n")
            f += ".hex"
        else:
            np.save(os.path.join(e, f + ".npy"), np.asarray(val), allow_pickle=False)
            f += ".npy"
        lines.append(f"{name} {dt.name} {f}\n")
    with open(os.path.join(e, "index.txt"), "w") as h:
        h.writelines(lines)


def check_shards(prefix, want):
    files = sorted(os.path.basename(p) for p in tf.io.gfile.glob(prefix + ".data-*"))
    assert len(files) == want, files
    return files


def tf1_checkpoint(name, build, sharded=False, cpus=1, partitioned=False, version=None):
    d = fresh(name)
    g = tf.Graph()
    with g.as_default():
        v1.set_random_seed(1)
        build()
        kw = dict(sharded=sharded, save_relative_paths=True)
        if version is not None:
            kw["write_version"] = version
        saver = v1.train.Saver(**kw)
        cfg = v1.ConfigProto(device_count={"CPU": cpus}, intra_op_parallelism_threads=1,
                             inter_op_parallelism_threads=1)
        with v1.Session(graph=g, config=cfg) as s:
            s.run(v1.global_variables_initializer())
            saver.save(s, os.path.join(d, "model.ckpt"), write_meta_graph=False,
                       write_state=False)
    if version is None:
        write_state(d)
        write_expected(d, os.path.join(d, "model.ckpt"))
    return d


def basic_vars():
    rng = np.random.default_rng(7)
    v1.Variable(rng.standard_normal((3, 4)).astype(np.float32), name="dense/kernel")
    v1.Variable(np.array([0.5, -1.25, 2.0], np.float64), name="dense/bias")
    v1.Variable(np.array([1, -2, 2147483647, 0], np.int32), name="counts")
    v1.Variable(np.int64(-9000000000), name="global_step")
    v1.Variable(np.array([True, False, True]), name="mask")
    v1.Variable(np.array([b"alpha", b"", b"with\x00nul", b"\xff\xfe"], dtype=object),
                name="vocab")
    v1.Variable(np.zeros((0, 5), np.float32), name="empty")
    v1.Variable(rng.integers(0, 255, (2, 2, 3)).astype(np.uint8), name="pixels")
    v1.Variable(np.array([1.5, -2.5], np.float16), name="halfs")


def sharded_vars():
    for i in range(3):
        with tf.device(f"/cpu:{i % 2}"):
            v1.Variable(np.arange(6, dtype=np.float32).reshape(2, 3) * (i + 1), name=f"v{i}")
    with tf.device("/cpu:1"):
        v1.Variable(np.array([b"x", b"yy"], dtype=object), name="words")


def init_from(full):
    """Initializer giving each partition its block of `full` (partition_info.var_offset)."""
    def f(shape, dtype=None, partition_info=None):
        off = partition_info.var_offset if partition_info else [0] * len(shape)
        return tf.constant(full[tuple(slice(o, o + n) for o, n in zip(off, shape))], dtype=dtype)
    return f


def partitioned_vars():
    v1.get_variable("part", shape=[10, 4], dtype=tf.float32,
                    initializer=init_from(np.arange(40, dtype=np.float32).reshape(10, 4)),
                    partitioner=v1.fixed_size_partitioner(3))
    v1.get_variable("cols", shape=[2, 6], dtype=tf.int64,
                    initializer=init_from(np.arange(12, dtype=np.int64).reshape(2, 6)),
                    partitioner=v1.fixed_size_partitioner(2, axis=1))
    v1.Variable(np.float32(3.0), name="plain")


def tf2_checkpoint():
    d = fresh("tf2")

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
            self.b = tf.Variable([0.5, -0.5], name="b")

    ckpt = tf.train.Checkpoint(net=Net(), step=tf.Variable(np.int64(42)),
                               note=tf.Variable(b"hello"))
    prefix = ckpt.write(os.path.join(d, "ckpt-1"))
    assert prefix.endswith("ckpt-1")
    write_state(d, "ckpt-1")
    write_expected(d, prefix)


# ---- Snappy: TF's own writer asks for no compression; build a compressed twin ----

def get_varint(buf, p):
    """The varint at buf[p:]: (value, offset after it)."""
    r = s = 0
    while True:
        c = buf[p]
        p += 1
        r |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return r, p


def get_varints(buf, n, p=0):
    """n varints from buf[p:]: (list of values, offset after them)."""
    out = []
    for _ in range(n):
        v, p = get_varint(buf, p)
        out.append(v)
    return out, p


def put_varint(v):
    o = bytearray()
    while v >= 0x80:
        o.append(v & 0x7F | 0x80)
        v >>= 7
    o.append(v)
    return bytes(o)


def index_block_entries(data):
    """The (key, block handle) entries of a table's index block (handles from its footer)."""
    (_, _, ioff, isize), _ = get_varints(data[-48:], 4)
    return parse_block(data[ioff:ioff + isize])


def block_type(path):
    """Type byte of the first data block of a table."""
    data = open(path, "rb").read()
    (off, size), _ = get_varints(index_block_entries(data)[0][1], 2)
    return data[off + size]


def parse_block(b):
    n = struct.unpack_from("<I", b, len(b) - 4)[0]
    end = len(b) - 4 - 4 * n
    p, key, out = 0, b"", []
    while p < end:
        (shared, nonshared, vlen), p = get_varints(b, 3, p)
        key = key[:shared] + b[p:p + nonshared]
        p += nonshared
        out.append((key, b[p:p + vlen]))
        p += vlen
    return out


def snappy_compress(raw):
    """A small greedy Snappy encoder (literals, 1- and 2-byte-offset copies)."""
    out = bytearray(put_varint(len(raw)))
    lit_start, i, table = 0, 0, {}

    def literal(a, b):
        n = b - a
        if n == 0:
            return
        if n <= 60:
            out.append((n - 1) << 2)
        else:
            out.append(60 << 2)
            out.append(n - 1)
            assert n - 1 < 256
        out.extend(raw[a:b])
    while i + 4 <= len(raw):
        k = raw[i:i + 4]
        j = table.get(k)
        table[k] = i
        if j is not None and i - j < 65536:
            n = 4
            while i + n < len(raw) and raw[j + n] == raw[i + n] and n < 64:
                n += 1
            while i - lit_start > 0:
                step = min(i - lit_start, 200)
                literal(lit_start, lit_start + step)
                lit_start += step
            off = i - j
            if n <= 11 and off < 2048:
                out.append(1 | ((n - 4) << 2) | ((off >> 8) << 5))
                out.append(off & 0xFF)
            else:
                out.append(2 | ((n - 1) << 2))
                out.extend(struct.pack("<H", off))
            i += n
            lit_start = i
        else:
            i += 1
    while lit_start < len(raw):
        step = min(len(raw) - lit_start, 200)
        literal(lit_start, lit_start + step)
        lit_start += step
    return bytes(out)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def mask(c):
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def encode_block(entries, interval):
    b, restarts, last, cnt = bytearray(), [0], b"", 0
    for k, v in entries:
        shared = 0
        if cnt < interval:
            while shared < min(len(k), len(last)) and k[shared] == last[shared]:
                shared += 1
        else:
            restarts.append(len(b))
            cnt = 0
        b += put_varint(shared) + put_varint(len(k) - shared) + put_varint(len(v))
        b += k[shared:] + v
        last, cnt = k, cnt + 1
    for r in restarts:
        b += struct.pack("<I", r)
    b += struct.pack("<I", len(restarts))
    return bytes(b)


def write_snappy_index(src_index, dst_index):
    """Same key/values as src, one Snappy data block (type 1)."""
    data = open(src_index, "rb").read()
    entries = []
    for _, handle in index_block_entries(data):
        (off, size), _ = get_varints(handle, 2)
        assert data[off + size] == 0
        entries += parse_block(data[off:off + size])
    out = bytearray()

    def put_block(contents, typ):
        off = len(out)
        out.extend(contents)
        out.append(typ)
        out.extend(struct.pack("<I", mask(crc32c(contents + bytes([typ])))))
        return off, len(contents)
    raw = encode_block(entries, 16)
    comp = snappy_compress(raw)
    assert len(comp) < len(raw), (len(comp), len(raw))
    doff, dsize = put_block(comp, 1)
    moff, msize = put_block(encode_block([], 16), 0)
    last = entries[-1][0]
    succ = last[:1] if last[0] == 0xFF else bytes([last[0] + 1])
    ioff, isize = put_block(encode_block([(succ, put_varint(doff) + put_varint(dsize))], 1), 0)
    foot = put_varint(moff) + put_varint(msize) + put_varint(ioff) + put_varint(isize)
    out.extend(foot + bytes(40 - len(foot)) + struct.pack("<Q", 0xDB4775248B80FB57))
    open(dst_index, "wb").write(bytes(out))
    return len(raw), len(comp)


# ---- flowrt's writer, loaded by TensorFlow ----

WRITER_TENSORS = {   # must match tests/io/test_bundle.c (write_known_bundle)
    "a": np.float32(1.5),
    "w": (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3),
    "ids": np.array([1, -2, 3000000000, 7], np.int64),
    "flags": np.array([True, False, True]),
    "names": np.array([b"alpha", b"", b"a\x00b"], dtype=object),
    "dense/bias": np.array([0.25, -8.0]),
    "empty": np.zeros((0, 3), np.float32),
    "layer/kernel": np.array([[1, 2], [3, 4]], np.int32),
    "part": np.arange(8, dtype=np.float32).reshape(4, 2),
}


def writer_proof(test_bundle):
    d = fresh("flowrt_written")
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "model.ckpt")
        env = dict(os.environ, FRT_BUNDLE_WRITE_PREFIX=prefix)
        subprocess.run([test_bundle], env=env, check=True)
        reader = tf.train.load_checkpoint(prefix)
        listed = dict(tf.train.list_variables(prefix))
        assert sorted(listed) == sorted(WRITER_TENSORS), sorted(listed)
        for name, want in WRITER_TENSORS.items():
            got = reader.get_tensor(name)
            assert np.asarray(got).dtype == np.asarray(want).dtype or want.dtype == object, name
            assert np.array_equal(np.asarray(got), np.asarray(want)), (name, got, want)
            assert list(listed[name]) == list(np.shape(want)), name
        # And through a graph: a TF1 Saver restores the partitioned variable from it.
        g = tf.Graph()
        with g.as_default():
            part = v1.get_variable("part", shape=[4, 2], dtype=tf.float32,
                                   partitioner=v1.fixed_size_partitioner(2))
            w = v1.get_variable("w", shape=[2, 3], dtype=tf.float32)
            saver = v1.train.Saver([w] + list(part))
            with v1.Session(graph=g) as s:
                saver.restore(s, prefix)
                assert np.array_equal(s.run(tf.concat(list(part), 0)), WRITER_TENSORS["part"])
                assert np.array_equal(s.run(w), WRITER_TENSORS["w"])
        for f in sorted(os.listdir(tmp)):
            shutil.copy(os.path.join(tmp, f), d)
    print("flowrt-written bundle: TensorFlow loads all", len(WRITER_TENSORS), "tensors")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--test-bundle", default="build-bundle/test_bundle",
                    help="the test_bundle binary (writes a bundle when FRT_BUNDLE_WRITE_PREFIX is set)")
    args = ap.parse_args()
    tf1_checkpoint("tf1_basic", basic_vars)
    d = tf1_checkpoint("tf1_sharded", sharded_vars, sharded=True, cpus=2)
    print("tf1_sharded data files:", check_shards(os.path.join(d, "model.ckpt"), 2))
    tf1_checkpoint("tf1_partitioned", partitioned_vars)
    tf2_checkpoint()
    d = tf1_checkpoint("tf1_v1", basic_vars, version=tf.compat.v1.train.SaverDef.V1)
    print("tf1_v1 files:", sorted(os.listdir(d)))

    t = block_type(os.path.join(OUT, "tf1_basic", "model.ckpt.index"))
    print(f"TF {tf.__version__} index data block type: {t} ({'Snappy' if t == 1 else 'raw'})")
    d = fresh("snappy")
    for f in os.listdir(os.path.join(OUT, "tf1_basic")):
        src = os.path.join(OUT, "tf1_basic", f)
        if os.path.isfile(src) and f.startswith("model.ckpt.data"):
            shutil.copy(src, d)
    raw, comp = write_snappy_index(os.path.join(OUT, "tf1_basic", "model.ckpt.index"),
                                   os.path.join(d, "model.ckpt.index"))
    print(f"snappy index: data block {raw} -> {comp} bytes")
    write_state(d)
    # TensorFlow must read the compressed index the same way.
    write_expected(d, os.path.join(d, "model.ckpt"))
    a = open(os.path.join(OUT, "tf1_basic", "expected", "index.txt")).read()
    assert open(os.path.join(d, "expected", "index.txt")).read() == a
    writer_proof(args.test_bundle)


if __name__ == "__main__":
    sys.exit(main())
