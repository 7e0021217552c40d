#!/usr/bin/python3
"""Writes the small ONNX models the compiler tests need into OUT_DIR.

usage: /usr/bin/python3 tests/compiler/make_models.py OUT_DIR

  missing_initializer.onnx  Conv whose weight name is defined nowhere
  unsupported_op.onnx       a node "odd_one" of type Erf, which edgerun lacks
  custom_domain.onnx        an operator from a domain other than ai.onnx
  symbolic_height.onnx      input [N, 3, height, 8]: a symbolic non-batch axis
  symbolic_batch.onnx       input [N, 3, 8, 8]: the batch axis pinned to 1
  external_data.onnx        an initializer kept in an external file
  local_function.onnx       ModelProto.functions, nested, with attribute references
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
    [helper.make_node("Relu", ["x"], ["r"], name="first"), helper.make_node("Erf", ["r"], ["y"], name="odd_one")],
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
