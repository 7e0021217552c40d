#!/usr/bin/python3
"""Writes the small ONNX models the compiler tests need into OUT_DIR.

usage: /usr/bin/python3 tests/compiler/make_models.py OUT_DIR

  missing_initializer.onnx  Conv whose weight name is defined nowhere
  unsupported_op.onnx       a node "odd_one" of type Hardmax, which edgerun lacks
  custom_domain.onnx        an operator from a domain other than ai.onnx
  symbolic_height.onnx      input [N, 3, height, 8]: a symbolic non-batch axis
  symbolic_batch.onnx       input [N, 3, 8, 8]: the batch axis pinned to 1
  external_data.onnx        an initializer kept in an external file
  local_function.onnx       ModelProto.functions, nested, with attribute references
  fusion.onnx               every epilogue fusion after a Conv (BN, residual Add, activations)
  float16_weight.onnx       an initializer of element type float16, which edgerun cannot store
  dropout_training_zero.onnx  Dropout in training mode with ratio 0 (an identity), mask output too
  dropout_training_half.onnx  Dropout in training mode with ratio 0.5 (random: refused)
  empty_slice.onnx          a constant sliced past its end (an empty tensor, folded) joined to x
  decomposed_layernorm_gelu.onnx  LayerNormalization and Gelu as opset-13 exports spell them
  decomposed_near_misses.onnx     the same chains with a 4th power and a 0.6: not LayerNorm or Gelu
  einsum_*.onnx             Einsum equations to refuse: a non-letter, a term per input missing,
                            sizes or ranks that disagree, an output index no input has
  big_conv.onnx             Conv X [1,336,518,518] W [1,336,7,7] (issue #10: sizes past 32 bits)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
OPSET = [helper.make_opsetid("", 13)]


def save(name, graph, **kw):
    model = helper.make_model(graph, opset_imports=kw.pop("opsets", OPSET), **kw)
    model.ir_version = 8
    onnx.save(model, os.path.join(out, name))


def attr_ref(name, attr_type, ref):
    """An attribute that refers to one of the calling function's attributes."""
    a = onnx.AttributeProto()
    a.name, a.type, a.ref_attr_name = name, attr_type, ref
    return a


def node(op, inputs, outputs, refs=(), **kw):
    n = helper.make_node(op, inputs, outputs, **kw)
    n.attribute.extend(refs)
    return n


def value(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


rng = np.random.default_rng(0)
weight = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "W")

save("missing_initializer.onnx", helper.make_graph(
    [helper.make_node("Conv", ["x", "W_missing"], ["y"], name="conv1", pads=[1, 1, 1, 1])],
    "g", [value("x", [1, 3, 8, 8])], [value("y", [1, 4, 8, 8])]))

save("unsupported_op.onnx", helper.make_graph(
    [helper.make_node("Relu", ["x"], ["r"], name="first"), helper.make_node("Hardmax", ["r"], ["y"], name="odd_one")],
    "g", [value("x", [1, 3, 8, 8])], [value("y", [1, 3, 8, 8])]))

save("custom_domain.onnx", helper.make_graph(
    [helper.make_node("FancyAct", ["x"], ["y"], name="fancy", domain="com.example")],
    "g", [value("x", [1, 3, 8, 8])], [value("y", [1, 3, 8, 8])]),
    opsets=OPSET + [helper.make_opsetid("com.example", 1)])

save("symbolic_height.onnx", helper.make_graph(
    [helper.make_node("Relu", ["x"], ["y"], name="relu")],
    "g", [value("x", ["N", 3, "height", 8])], [value("y", ["N", 3, "height", 8])]))

save("symbolic_batch.onnx", helper.make_graph(
    [helper.make_node("Conv", ["x", "W"], ["y"], name="conv", pads=[1, 1, 1, 1])],
    "g", [value("x", ["N", 3, 8, 8])], [value("y", ["N", 4, 8, 8])], [weight]))

ext = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "W")
ext.data_location = TensorProto.EXTERNAL
ext.ClearField("raw_data")
ext.external_data.add(key="location", value="weights.bin")
save("external_data.onnx", helper.make_graph(
    [helper.make_node("Conv", ["x", "W"], ["y"], name="conv")],
    "g", [value("x", [1, 3, 8, 8])], [value("y", [1, 4, 6, 6])], [ext]))

# ScaledLeaky(x; slope) = LeakyRelu(x * 2, alpha = slope); Block(x, w) calls it
# after a Conv. The graph calls Block twice with different slopes.
scaled = helper.make_function(
    "local", "ScaledLeaky", ["x"], ["y"],
    [helper.make_node("Constant", [], ["two"], value=numpy_helper.from_array(np.array(2.0, np.float32))),
     helper.make_node("Mul", ["x", "two"], ["t"]),
     node("LeakyRelu", ["t"], ["y"], refs=[attr_ref("alpha", onnx.AttributeProto.FLOAT, "slope")])],
    OPSET, attributes=["slope"])
block = helper.make_function(
    "local", "Block", ["x", "w"], ["y"],
    [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
     node("ScaledLeaky", ["c"], ["y"], domain="local", refs=[attr_ref("slope", onnx.AttributeProto.FLOAT, "slope")])],
    OPSET + [helper.make_opsetid("local", 1)], attributes=["slope"])
w2 = numpy_helper.from_array(rng.standard_normal((4, 4, 3, 3)).astype(np.float32) * 0.3, "W2")
graph = helper.make_graph(
    [helper.make_node("Block", ["x", "W"], ["h"], name="block1", domain="local", slope=0.1),
     helper.make_node("Block", ["h", "W2"], ["y"], name="block2", domain="local", slope=0.3)],
    "g", [value("x", [1, 3, 8, 8])], [value("y", [1, 4, 8, 8])], [weight, w2])
model = helper.make_model(graph, opset_imports=OPSET + [helper.make_opsetid("local", 1)], functions=[scaled, block])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "local_function.onnx"))

# Every epilogue fusion, each after a Conv: BN+Relu, BN+Add(residual)+Relu,
# Clip (ReLU6), LeakyRelu, Sigmoid, HardSigmoid*x (HardSwish as opset-13
# exporters write it), HardSwish itself and Sigmoid*x (SiLU, EfficientNet's).
def conv(name, cin, cout, x, y):
    w = numpy_helper.from_array(rng.standard_normal((cout, cin, 3, 3)).astype(np.float32) * 0.3, name + "_W")
    b = numpy_helper.from_array(rng.standard_normal(cout).astype(np.float32) * 0.1, name + "_B")
    return [helper.make_node("Conv", [x, w.name, b.name], [y], name=name, pads=[1, 1, 1, 1])], [w, b]


def bn(name, c, x, y):
    params = [numpy_helper.from_array(v.astype(np.float32), f"{name}_{k}") for k, v in
              [("scale", rng.uniform(0.5, 1.5, c)), ("bias", rng.standard_normal(c) * 0.1),
               ("mean", rng.standard_normal(c) * 0.1), ("var", rng.uniform(0.5, 1.5, c))]]
    return [helper.make_node("BatchNormalization", [x] + [p.name for p in params], [y], name=name, epsilon=1e-3)], params


nodes, inits = [], []
for part in [conv("c1", 3, 8, "x", "c1"), bn("bn1", 8, "c1", "b1"),
             ([helper.make_node("Relu", ["b1"], ["r1"], name="relu1")], []),
             conv("c2", 8, 8, "r1", "c2"), bn("bn2", 8, "c2", "b2"),
             ([helper.make_node("Add", ["b2", "r1"], ["a2"], name="add2"),
               helper.make_node("Relu", ["a2"], ["r2"], name="relu2")], []),
             conv("c3", 8, 8, "r2", "c3"),
             ([helper.make_node("Clip", ["c3", "lo", "hi"], ["r3"], name="relu6")],
              [numpy_helper.from_array(np.array(0, np.float32), "lo"), numpy_helper.from_array(np.array(6, np.float32), "hi")]),
             conv("c4", 8, 8, "r3", "c4"), ([helper.make_node("LeakyRelu", ["c4"], ["r4"], name="leaky", alpha=0.1)], []),
             conv("c5", 8, 8, "r4", "c5"), ([helper.make_node("Sigmoid", ["c5"], ["r5"], name="sigmoid")], []),
             conv("c6", 8, 8, "r5", "c6"),
             ([helper.make_node("HardSigmoid", ["c6"], ["h6"], name="hsig", alpha=1.0 / 6, beta=0.5),
               helper.make_node("Mul", ["c6", "h6"], ["r6"], name="hswish_mul")], []),
             conv("c7", 8, 8, "r6", "c7"), ([helper.make_node("HardSwish", ["c7"], ["r7"], name="hswish")], []),
             conv("c8", 8, 8, "r7", "c8"),
             ([helper.make_node("Sigmoid", ["c8"], ["s8"], name="silu_gate"),
               helper.make_node("Mul", ["s8", "c8"], ["y"], name="silu_mul")], [])]:
    nodes += part[0]
    inits += part[1]
save("fusion.onnx", helper.make_graph(nodes, "g", [value("x", [1, 3, 16, 16])], [value("y", [1, 8, 16, 16])], inits),
     opsets=[helper.make_opsetid("", 14)])

save("float16_weight.onnx", helper.make_graph(
    [helper.make_node("Cast", ["W16"], ["Wf"], name="widen", to=TensorProto.FLOAT),
     helper.make_node("Add", ["x", "Wf"], ["y"], name="add")],
    "g", [value("x", [4, 3, 3, 3])], [value("y", [4, 3, 3, 3])],
    [numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float16), "W16")]))

for name, ratio in (("dropout_training_zero.onnx", 0.0), ("dropout_training_half.onnx", 0.5)):
    save(name, helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="relu"),
         helper.make_node("Dropout", ["r", "ratio", "training"], ["y", "mask"], name="drop")],
        "g", [value("x", [1, 3, 4, 4])],
        [value("y", [1, 3, 4, 4]), helper.make_tensor_value_info("mask", TensorProto.BOOL, [1, 3, 4, 4])],
        [numpy_helper.from_array(np.array(ratio, dtype=np.float32), "ratio"),
         numpy_helper.from_array(np.array(True), "training")]))

save("empty_slice.onnx", helper.make_graph(
    [helper.make_node("Slice", ["A", "starts", "ends"], ["empty"], name="past_the_end"),
     helper.make_node("Concat", ["empty", "x"], ["y"], name="join", axis=0)],
    "g", [value("x", [6])], [value("y", [6])],
    [numpy_helper.from_array(np.arange(3, dtype=np.float32), "A"),
     numpy_helper.from_array(np.array([5], np.int64), "starts"),
     numpy_helper.from_array(np.array([9], np.int64), "ends")]))

# Einsum equations edgerun must refuse, each naming the node ("mix") and the fault.
for name, eq, shapes in (("einsum_not_a_letter.onnx", "ij,j1->i", ((3, 4), (4, 2))),
                         ("einsum_term_count.onnx", "ij->i", ((3, 4), (4, 2))),
                         ("einsum_size_mismatch.onnx", "ij,jk->ik", ((3, 4), (5, 2))),
                         ("einsum_rank_mismatch.onnx", "ijk,jk->i", ((3, 4), (4, 2))),
                         ("einsum_unknown_output.onnx", "ij,jk->iz", ((3, 4), (4, 2)))):
    save(name, helper.make_graph(
        [helper.make_node("Einsum", ["a", "b"], ["y"], name="mix", equation=eq)],
        "g", [value("a", list(shapes[0])), value("b", list(shapes[1]))], [value("y", None)]))

# LayerNormalization and exact Gelu as opset-13 exporters (torch 1.13) write
# them, plus a near miss of each that must stay as it is: a Gelu scaled by
# 0.6, not 0.5, and a "LayerNorm" whose variance uses the fourth power.
def decomposed(name, power, half):
    c = lambda n, v: numpy_helper.from_array(np.array(v, np.float32), n)
    save(name, helper.make_graph([
        helper.make_node("ReduceMean", ["x"], ["m"], name="mean", axes=[-1]),
        helper.make_node("Sub", ["x", "m"], ["d"], name="center"),
        helper.make_node("Pow", ["d", "two"], ["d2"], name="square"),
        helper.make_node("ReduceMean", ["d2"], ["v"], name="var", axes=[-1]),
        helper.make_node("Add", ["v", "eps"], ["ve"], name="add_eps"),
        helper.make_node("Sqrt", ["ve"], ["s"], name="std"),
        helper.make_node("Div", ["d", "s"], ["n"], name="normalise"),
        helper.make_node("Mul", ["n", "gamma"], ["ng"], name="scale"),
        helper.make_node("Add", ["ng", "beta"], ["ln"], name="shift"),
        helper.make_node("MatMul", ["ln", "W"], ["h"], name="fc"),
        helper.make_node("Div", ["h", "sqrt2"], ["hs"], name="gelu_div"),
        helper.make_node("Erf", ["hs"], ["e"], name="gelu_erf"),
        helper.make_node("Add", ["e", "one"], ["e1"], name="gelu_add"),
        helper.make_node("Mul", ["h", "e1"], ["he"], name="gelu_mul"),
        helper.make_node("Mul", ["he", "half"], ["y"], name="gelu_half")],
        "g", [value("x", [1, 5, 16])], [value("y", [1, 5, 24])],
        [c("two", power), c("eps", 1e-5), c("sqrt2", 1.4142135), c("one", 1.0), c("half", half),
         numpy_helper.from_array(rng.standard_normal(16).astype(np.float32), "gamma"),
         numpy_helper.from_array(rng.standard_normal(16).astype(np.float32), "beta"),
         numpy_helper.from_array(rng.standard_normal((16, 24)).astype(np.float32), "W")]))


decomposed("decomposed_layernorm_gelu.onnx", 2.0, 0.5)
decomposed("decomposed_near_misses.onnx", 4.0, 0.6)

# Issue #10: a Conv whose im2col sizes are far past 32 bits when multiplied
# out (K = 336*7*7 = 16464 rows, 512*512 output pixels: 4.3e9 products). It
# must compile, and run natively under ASan without leaving its arena.
save("big_conv.onnx", helper.make_graph(
    [helper.make_node("Conv", ["x", "W"], ["y"], name="big")],
    "g", [value("x", [1, 336, 518, 518])], [value("y", [1, 1, 512, 512])],
    [numpy_helper.from_array(((np.arange(336 * 49) % 13 - 6) / 64).astype(np.float32).reshape(1, 336, 7, 7), "W")]))
