#!/usr/bin/python3
"""Writes ONNX backend tests (the layout of onnx/backend/test/data/node) for
operators edgerun supports that the shared test set lacks, into OUT_DIR/node/.

usage: /usr/bin/python3 tests/conformance/make_tests.py OUT_DIR

Expected outputs come from numpy, following the ONNX operator definitions;
tests/js/generated-tests.test.mjs checks every one of them against
onnxruntime-node, the oracle, so a wrong expectation cannot slip in.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = os.path.join(sys.argv[1], "node")
rng = np.random.default_rng(9)


def case(name, op, inputs, outputs, opset=13, **attrs):
    """inputs: [(name, array)]; outputs: [(name, array)] (the expected values)."""
    d = os.path.join(out, "test_" + name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    info = lambda n, a: helper.make_tensor_value_info(
        n, helper.np_dtype_to_tensor_dtype(a.dtype) if hasattr(helper, "np_dtype_to_tensor_dtype")
        else onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype], list(a.shape))
    node = helper.make_node(op, [n for n, _ in inputs], [n for n, _ in outputs], name=name, **attrs)
    graph = helper.make_graph([node], name, [info(n, a) for n, a in inputs], [info(n, a) for n, a in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for i, (n, a) in enumerate(inputs):
        onnx.save_tensor(numpy_helper.from_array(a, n), os.path.join(d, "test_data_set_0", "input_%d.pb" % i))
    for i, (n, a) in enumerate(outputs):
        onnx.save_tensor(numpy_helper.from_array(a, n), os.path.join(d, "test_data_set_0", "output_%d.pb" % i))


def bools(*shape):
    return rng.integers(0, 2, size=shape).astype(bool)


# ---- Range: always folds (its length depends on its values) ----
for name, start, limit, delta in (("int64", 1, 10, 3), ("int32_negative", 10, -7, -4), ("float", 0.5, -2.0, -0.7),
                                  ("empty", 5, 5, 1)):
    dt = {"int64": np.int64, "int32_negative": np.int32, "float": np.float32, "empty": np.int64}[name]
    s, l, dl = np.array(start, dt), np.array(limit, dt), np.array(delta, dt)
    n = max(int(np.ceil((float(l) - float(s)) / float(dl))), 0)
    expect = (s + np.arange(n, dtype=dt) * dl).astype(dt)
    case("edgerun_range_" + name, "Range", [("start", s), ("limit", l), ("delta", dl)], [("y", expect)], opset=11)

# ---- logical ----
a, b = bools(3, 4), bools(3, 4)
case("edgerun_not", "Not", [("x", a)], [("y", np.logical_not(a))])
for op, f in (("And", np.logical_and), ("Or", np.logical_or), ("Xor", np.logical_xor)):
    case("edgerun_%s" % op.lower(), op, [("a", a), ("b", b)], [("y", f(a, b))], opset=7)
    c = bools(4)
    case("edgerun_%s_broadcast" % op.lower(), op, [("a", a), ("b", c)], [("y", f(a, c))], opset=7)

# ---- Mod ----
x = rng.integers(-20, 20, size=(3, 5)).astype(np.int32)
y = rng.integers(1, 7, size=(5,)).astype(np.int32) * np.array([1, -1, 1, -1, 1], np.int32)
case("edgerun_mod_int32_python", "Mod", [("x", x), ("y", y)], [("z", np.mod(x, y))])
case("edgerun_mod_int64_fmod", "Mod", [("x", x.astype(np.int64)), ("y", y.astype(np.int64))],
     [("z", np.fmod(x, y).astype(np.int64))], fmod=1)
xf = rng.standard_normal((2, 3, 4)).astype(np.float32) * 5
yf = (rng.standard_normal((4,)).astype(np.float32) + 2.5)
case("edgerun_mod_float_fmod", "Mod", [("x", xf), ("y", yf)], [("z", np.fmod(xf, yf))], fmod=1)

# ---- ReduceProd ----
r = rng.uniform(0.5, 1.5, size=(3, 2, 4)).astype(np.float32)
case("edgerun_reduce_prod_axis1", "ReduceProd", [("x", r)], [("y", np.prod(r, axis=1, keepdims=True))], axes=[1])
case("edgerun_reduce_prod_all", "ReduceProd", [("x", r)], [("y", np.prod(r, keepdims=False).reshape(()))], keepdims=0)

# ---- CumSum ----
cs = rng.standard_normal((2, 3, 4)).astype(np.float32)
axis = np.array(1, np.int64)
case("edgerun_cumsum_axis1", "CumSum", [("x", cs), ("axis", axis)], [("y", np.cumsum(cs, axis=1))])
ex = np.cumsum(cs, axis=2) - cs
case("edgerun_cumsum_exclusive", "CumSum", [("x", cs), ("axis", np.array(-1, np.int64))], [("y", ex)], exclusive=1)
rv = np.flip(np.cumsum(np.flip(cs, 0), axis=0), 0)
case("edgerun_cumsum_reverse", "CumSum", [("x", cs), ("axis", np.array(0, np.int32))], [("y", rv)], reverse=1)
ci = rng.integers(-9, 9, size=(6,)).astype(np.int64)
case("edgerun_cumsum_int64_reverse_exclusive", "CumSum", [("x", ci), ("axis", np.array(0, np.int64))],
     [("y", np.flip(np.cumsum(np.flip(ci)) - np.flip(ci)))], exclusive=1, reverse=1)

# ---- ScatterND (the forms transformer exports use: slices and single elements) ----
data = rng.standard_normal((4, 4, 4)).astype(np.float32)
idx = np.array([[0], [2]], np.int64)
upd = rng.standard_normal((2, 4, 4)).astype(np.float32)
expect = data.copy()
expect[0], expect[2] = upd[0], upd[1]
case("edgerun_scatternd_slices", "ScatterND", [("data", data), ("indices", idx), ("updates", upd)], [("y", expect)])
d1 = np.arange(8, dtype=np.int64)
i1 = np.array([[4], [3], [1], [-1]], np.int64)
u1 = np.array([9, 10, 11, 12], np.int64)
e1 = d1.copy()
e1[[4, 3, 1, 7]] = u1
case("edgerun_scatternd_elements_int64", "ScatterND", [("data", d1), ("indices", i1), ("updates", u1)], [("y", e1)])

# ---- Einsum: batched matrix products (the GEMM path, either operand order),
# and the general contraction: transposes, diagonals, traces, outer
# products, one-operand sums, ellipses, the implicit output ----
def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


for name, eq, shapes in (
        ("matmul", "ij,jk->ik", ((3, 5), (5, 4))),
        ("batch_matmul", "bij,bjk->bik", ((2, 3, 5), (2, 5, 4))),
        ("attention_scores", "bhqd,bhkd->bhqk", ((2, 3, 4, 8), (2, 3, 6, 8))),
        ("attention_values", "bhqk,bhkd->bhqd", ((2, 3, 4, 6), (2, 3, 6, 8))),
        ("transposed_output", "ij,jk->ki", ((3, 5), (5, 4))),
        ("swapped_operands", "jk,ij->ik", ((5, 4), (3, 5))),
        ("dot", "i,i->", ((7,), (7,))),
        ("outer", "i,j->ij", ((3,), (4,))),
        ("ellipsis", "...ij,...jk->...ik", ((2, 3, 3, 5), (2, 3, 5, 4))),
        ("implicit", "ij,jk", ((3, 5), (5, 4))),
        ("transpose", "ijk->kji", ((2, 3, 4),)),
        ("sum", "ij->i", ((3, 4),)),
        ("diagonal", "ii->i", ((4, 4),)),
        ("trace_implicit", "ii", ((4, 4),)),
        ("batch_diagonal", "bii->bi", ((2, 3, 3),)),
        ("contract_two_axes", "abc,bcd->ad", ((2, 3, 4), (3, 4, 5)))):
    xs = [f32(*s) for s in shapes]
    expect = np.einsum(eq, *xs).astype(np.float32)
    case("edgerun_einsum_" + name, "Einsum", [("x%d" % i, x) for i, x in enumerate(xs)], [("y", np.asarray(expect))],
         opset=12, equation=eq)
