#!/usr/bin/env python3
"""Write the Keras architecture fixtures in Fixtures/architectures/.

Usage:
    python Fixtures/make_architectures.py [OUTDIR]   # OUTDIR defaults to Fixtures/architectures

Run it in the venv made from Fixtures/requirements.txt, with one extra package:
    pip install keras-applications==1.0.8
That package is pure Python. Only its resnet50.py source is used, for the Keras 2.2-era
ResNet50 (see below). The script forces KERAS_BACKEND=jax and JAX_PLATFORMS=cpu. It
builds every model with weights=None and never downloads anything. Its output is
deterministic: keras.backend.clear_session() runs before each build, so automatic layer
names always start from scratch.

Files written:
  <arch>_<variant>.json   The structure of keras.applications.<Arch>(weights=None, ...):
      arch    resnet50, resnet101, resnet152, vgg16, vgg19
      variant top            include_top=True,  input (224,224,3), classes=1000
              notop          include_top=False, input (224,224,3), pooling=None
              avg / max      include_top=False, input (224,224,3), pooling="avg" / "max"
              top10          include_top=True,  input (224,224,3), classes=10
                             (resnet50 and vgg16 only)
              notop_160x128  include_top=False, input (160,128,3), pooling=None
                             (resnet50 and vgg16 only)
  <arch>_top.json, <arch>_notop.json
                          arch densenet121, resnet50v2, inceptionv3, efficientnetb0, efficientnetv2b0,
                          convnexttiny (its nested Sequentials are one row each): include_top=True
                          (1000 classes) and include_top=False (pooling=None) at the
                          default input (224,224,3), InceptionV3 (299,299,3). A notop
                          file is only kept while it stays under 150 KB.
  <arch>_top.json, <arch>_notop.json   for arch mobilenet, mobilenetv2 (input 224x224x3),
                          xception, inceptionresnetv2 (input 299x299x3, their default):
                          keras.applications.MobileNet / MobileNetV2 / Xception /
                          InceptionResNetV2(weights=None, include_top=True / False), with the
                          wider extra below (a file over 150 KB would be skipped; none is).
  resnet50_keras_v1.json  The Keras 2.2.4-era ResNet50, include_top=True, from
                          keras_applications 1.0.8 resnet50.py (old layer names: conv1,
                          bn_conv1, res2a_branch2a, ..., fc1000).
  sequential_small.json   Sequential: Input 32x32x3, Conv2D(8, 3x3, relu, same),
                          MaxPooling2D, Flatten, Dropout(0.5), Dense(10, softmax).
  resnet50_top.config.json, vgg16_top.config.json, mobilenet_top.config.json,
  sequential_small.config.json
                          The exact string model.to_json() returns, byte for byte (no
                          trailing newline).

Structure JSON (one line per layer):
  {"architecture", "variant", "keras_version", "options": {"include_top", "pooling",
   "classes", "input_shape"}, "total_params", "trainable_params", "non_trainable_params",
   "layers": [[name, class_name, output_shape, param_count, [inbound layer names], extra]]}
  * Layers are in model.layers order. For a functional model that includes the
    InputLayer. For the Sequential model it does not (model.layers skips it). The
    Sequential model's input layer name appears only as the first layer's inbound name
    and in the top-level "input_layer" field.
  * output_shape is a list. The batch dimension is null.
  * Inbound names are the layers whose outputs feed the layer's single call node, in
    argument order (Add: [a, b]). An InputLayer has []. For functional models they are
    read from layer._inbound_nodes and checked against the inbound_nodes in
    the model config (model.to_json()).
  * extra holds these config values as Keras reports them (tuples become lists):
      Conv2D             filters, kernel_size, strides, padding, use_bias, dilation_rate,
                         activation
      BatchNormalization epsilon, axis, center, scale
      Dense              units, activation, use_bias
      ZeroPadding2D      padding ([[top, bottom], [left, right]])
      MaxPooling2D, AveragePooling2D   pool_size, strides, padding
      Activation         activation
      anything else      {}
    The mobilenet/mobilenetv2/xception/inceptionresnetv2 files also record
      BatchNormalization momentum; DepthwiseConv2D kernel_size, strides, padding,
      depth_multiplier, use_bias, dilation_rate, activation; SeparableConv2D the same plus
      filters; ReLU max_value, negative_slope, threshold; Reshape target_shape; Dropout
      rate; Concatenate axis; CustomScaleLayer scale; Global*Pooling2D keepdims.
  * trainable/non-trainable params count the elements of model.trainable_weights /
    model.non_trainable_weights. The non-trainable ones are BN moving_mean and
    moving_variance.

resnet50_keras_v1.json ("source": "executed"):
  keras_applications.resnet50.ResNet50(include_top=True, weights=None) is run with Keras
  3's own backend/layers/models/utils modules injected, the way keras_applications was
  designed to be used. The graph (layers, order, shapes, params, configs) is exactly
  what that source builds. Keras 3's model.layers ordering (by depth, then DFS order)
  is the same algorithm as Keras 2.2.4's Network. Only the automatic names differ.
  Keras 3 names unnamed layers "activation", "activation_1", ..., while Keras 2.2.4
  named them with a 1-based per-prefix counter: "activation_1", "activation_2", ....
  The input layer was "input_1" (Keras 3: "input_layer"). So these names are rewritten:
  <base> -> <base>_1 and <base>_<k> -> <base>_<k+1> for base in activation, add,
  max_pooling2d, and input_layer -> input_1. The mapping is written in the file.
  Each Conv2D has use_bias=True, and BatchNormalization keeps its default epsilon 1e-3.
  The script also rebuilds the list independently by transcribing the source's
  construction order (transcribed_resnet50_v1) and checks that the two agree on
  names, classes, inbound names and the order of the layers.

Checks at the end: total params (ResNet50 top 25,636,712 and notop 23,587,712; VGG16 top
138,357,544 and notop 14,714,688; with top, MobileNet 4,253,864, MobileNetV2 3,538,984,
Xception 22,910,480, InceptionResNetV2 55,873,736), that the output folder stays under
1.5 MB, and that
every structure file has exactly one line per layer.
"""

import json
import os
import re
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings  # noqa: E402

import numpy as np  # noqa: E402

import keras  # noqa: E402

KERAS_VERSION = keras.__version__

ARCHS = {
    "resnet50": keras.applications.ResNet50,
    "resnet101": keras.applications.ResNet101,
    "resnet152": keras.applications.ResNet152,
    "vgg16": keras.applications.VGG16,
    "vgg19": keras.applications.VGG19,
}

# Families whose structure is written only as _top and _notop (at their default input
# size), with the wider EXTRA_KEYS_WIDE; their other variants are checked by parameter
# totals in the Swift tests. A file over WIDE_FILE_LIMIT bytes is not written.
WIDE_ARCHS = {
    "mobilenet": (keras.applications.MobileNet, (224, 224, 3)),
    "mobilenetv2": (keras.applications.MobileNetV2, (224, 224, 3)),
    "xception": (keras.applications.Xception, (299, 299, 3)),
    "inceptionresnetv2": (keras.applications.InceptionResNetV2, (299, 299, 3)),
}
WIDE_VARIANTS = ("top", "notop")
WIDE_FILE_LIMIT = 150 * 1024

# Further families, written only as top and notop at their default input size with the
# original EXTRA_KEYS, and only while each file stays under FILE_LIMIT (a notop file over it
# is skipped; a top file over it is an error).
MORE_ARCHS = {
    "densenet121": (keras.applications.DenseNet121, (224, 224, 3)),
    "resnet50v2": (keras.applications.ResNet50V2, (224, 224, 3)),
    "inceptionv3": (keras.applications.InceptionV3, (299, 299, 3)),
    "efficientnetb0": (keras.applications.EfficientNetB0, (224, 224, 3)),
    "efficientnetv2b0": (keras.applications.EfficientNetV2B0, (224, 224, 3)),
    "convnexttiny": (keras.applications.ConvNeXtTiny, (224, 224, 3)),
}
MORE_VARIANTS = ("top", "notop")
FILE_LIMIT = 150 * 1024

# variant -> (include_top, pooling, classes, input_shape)
VARIANTS = {
    "top": (True, None, 1000, (224, 224, 3)),
    "notop": (False, None, 1000, (224, 224, 3)),
    "avg": (False, "avg", 1000, (224, 224, 3)),
    "max": (False, "max", 1000, (224, 224, 3)),
    "top10": (True, None, 10, (224, 224, 3)),
    "notop_160x128": (False, None, 1000, (160, 128, 3)),
}
ONLY_SOME = {"top10": ("resnet50", "vgg16"), "notop_160x128": ("resnet50", "vgg16")}

EXPECTED_TOTALS = {
    "resnet50_top": 25636712,
    "resnet50_notop": 23587712,
    "vgg16_top": 138357544,
    "vgg16_notop": 14714688,
    "densenet121_top": 8062504,
    "resnet50v2_top": 25613800,
    "inceptionv3_top": 23851784,
    "efficientnetb0_top": 5330571,
    "convnexttiny_top": 28589128,
    "efficientnetv2b0_top": 7200312,
    # The totals keras.io's applications table lists.
    "mobilenet_top": 4253864,
    "mobilenetv2_top": 3538984,
    "xception_top": 22910480,
    "inceptionresnetv2_top": 55873736,
}

EXTRA_KEYS = {
    "Conv2D": ["filters", "kernel_size", "strides", "padding", "use_bias", "dilation_rate", "activation"],
    "BatchNormalization": ["epsilon", "axis", "center", "scale"],
    "Dense": ["units", "activation", "use_bias"],
    "ZeroPadding2D": ["padding"],
    "MaxPooling2D": ["pool_size", "strides", "padding"],
    "AveragePooling2D": ["pool_size", "strides", "padding"],
    "Activation": ["activation"],
}

# The wider set, for WIDE_ARCHS only (so the older files stay byte for byte the same).
EXTRA_KEYS_WIDE = dict(EXTRA_KEYS)
EXTRA_KEYS_WIDE.update({
    "BatchNormalization": ["epsilon", "axis", "center", "scale", "momentum"],
    "DepthwiseConv2D": ["kernel_size", "strides", "padding", "depth_multiplier", "use_bias",
                        "dilation_rate", "activation"],
    "SeparableConv2D": ["filters", "kernel_size", "strides", "padding", "depth_multiplier",
                        "use_bias", "dilation_rate", "activation"],
    "ReLU": ["max_value", "negative_slope", "threshold"],
    "Reshape": ["target_shape"],
    "Dropout": ["rate"],
    "Concatenate": ["axis"],
    "CustomScaleLayer": ["scale"],
    "GlobalAveragePooling2D": ["keepdims"],
    "GlobalMaxPooling2D": ["keepdims"],
})

SIZE_LIMIT = 2048 * 1024


def jsonable(v):
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def extra_for(layer, wide=False):
    keys = (EXTRA_KEYS_WIDE if wide else EXTRA_KEYS).get(layer.__class__.__name__)
    if not keys:
        return {}
    cfg = layer.get_config()
    return {k: jsonable(cfg[k]) for k in keys}


def inbound_names(layer):
    nodes = layer._inbound_nodes
    assert len(nodes) == 1, (layer.name, len(nodes))
    return [t._keras_history.operation.name for t in nodes[0].input_tensors]


def config_inbound(model):
    """{layer name: [inbound names]} from the serialized model config (functional only)."""
    out = {}

    def walk(obj, acc):
        if isinstance(obj, dict):
            if obj.get("class_name") == "__keras_tensor__":
                acc.append(obj["config"]["keras_history"][0])
                return
            for v in obj.values():
                walk(v, acc)
        elif isinstance(obj, list):
            for v in obj:
                walk(v, acc)

    for lc in json.loads(model.to_json())["config"]["layers"]:
        # Op nodes (ConvNeXt's `inputs + x`, module keras.src.ops.numpy) are not in model.layers.
        if str(lc.get("module", "")).startswith("keras.src.ops"):
            continue
        acc = []
        assert len(lc["inbound_nodes"]) <= 1, lc["name"]
        for node in lc["inbound_nodes"]:
            walk(node["args"], acc)
            walk(node["kwargs"], acc)
        out[lc["name"]] = acc
    return out


def n_elems(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def layer_rows(model, check_config=True, wide=False):
    rows = []
    for layer in model.layers:
        shape = jsonable(list(layer.output.shape))
        rows.append([layer.name, layer.__class__.__name__, shape, int(layer.count_params()),
                     inbound_names(layer), extra_for(layer, wide)])
    if check_config:
        cfg = config_inbound(model)
        assert list(cfg) == [r[0] for r in rows], "config layer order differs from model.layers"
        for r in rows:
            assert cfg[r[0]] == r[4], (r[0], cfg[r[0]], r[4])
    return rows


def totals(model):
    t = n_elems(model.trainable_weights)
    nt = n_elems(model.non_trainable_weights)
    assert t + nt == model.count_params(), (t, nt, model.count_params())
    return {"total_params": t + nt, "trainable_params": t, "non_trainable_params": nt}


def dump_structure(path, header, rows):
    """Header on the first line, then one line per layer, then the closing line."""
    head = json.dumps(header, separators=(",", ":"))
    assert head.endswith("}")
    lines = [head[:-1] + ',"layers":[']
    for i, r in enumerate(rows):
        lines.append(json.dumps(r, separators=(",", ":")) + ("," if i < len(rows) - 1 else ""))
    lines.append("]}")
    text = "\n".join(lines) + "\n"
    # Round-trip check.
    back = json.loads(text)
    assert back["layers"] == json.loads(json.dumps(rows))
    with open(path, "w") as f:
        f.write(text)


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


# --------------------------------------------------------------------------------------
# Keras 2.2-era ResNet50 (keras_applications 1.0.8)
# --------------------------------------------------------------------------------------

V1_AUTO = re.compile(r"^(activation|add|max_pooling2d)(?:_(\d+))?$")


def v1_name(name):
    if name == "input_layer":
        return "input_1"
    m = V1_AUTO.match(name)
    if not m:
        return name
    k = int(m.group(2)) if m.group(2) else 0
    return "%s_%d" % (m.group(1), k + 1)


def transcribed_resnet50_v1():
    """Layer list (name, class, [inbound]) transcribed from keras_applications 1.0.8
    resnet50.py, in Keras 2.2.4 naming, in the order Network would list it.

    Network orders layers by decreasing depth (distance from the output). Within one
    depth it uses DFS pre-order from the output, where an Add visits its first
    argument (the main path) before the shortcut. In a conv_block this puts
    branch2c before branch1, and bn..._branch2c before bn..._branch1. Everything else
    is a chain, so it comes out in construction order.
    """
    rows = []
    uid = {}

    def auto(prefix):
        uid[prefix] = uid.get(prefix, 0) + 1
        return "%s_%d" % (prefix, uid[prefix])

    def add(name, cls, inbound):
        rows.append((name, cls, inbound))
        return name

    x = add("input_1", "InputLayer", [])
    x = add("conv1_pad", "ZeroPadding2D", [x])
    x = add("conv1", "Conv2D", [x])
    x = add("bn_conv1", "BatchNormalization", [x])
    x = add(auto("activation"), "Activation", [x])
    x = add("pool1_pad", "ZeroPadding2D", [x])
    x = add(auto("max_pooling2d"), "MaxPooling2D", [x])

    def block(x, stage, blk, conv):
        c = "res%d%s_branch" % (stage, blk)
        b = "bn%d%s_branch" % (stage, blk)
        inp = x
        y = add(c + "2a", "Conv2D", [inp])
        y = add(b + "2a", "BatchNormalization", [y])
        y = add(auto("activation"), "Activation", [y])
        y = add(c + "2b", "Conv2D", [y])
        y = add(b + "2b", "BatchNormalization", [y])
        y = add(auto("activation"), "Activation", [y])
        if conv:
            # depth order: branch2c and branch1 share a depth, and so do their BNs.
            y = add(c + "2c", "Conv2D", [y])
            s = add(c + "1", "Conv2D", [inp])
            y = add(b + "2c", "BatchNormalization", [y])
            s = add(b + "1", "BatchNormalization", [s])
        else:
            y = add(c + "2c", "Conv2D", [y])
            y = add(b + "2c", "BatchNormalization", [y])
            s = inp
        y = add(auto("add"), "Add", [y, s])
        return add(auto("activation"), "Activation", [y])

    for stage, blocks in ((2, "abc"), (3, "abcd"), (4, "abcdef"), (5, "abc")):
        for i, blk in enumerate(blocks):
            x = block(x, stage, blk, conv=(i == 0))
    x = add("avg_pool", "GlobalAveragePooling2D", [x])
    add("fc1000", "Dense", [x])
    return rows


def build_resnet50_v1():
    from keras_applications import __version__ as ka_version
    from keras_applications import resnet50 as ka_resnet50

    keras.backend.clear_session()
    model = ka_resnet50.ResNet50(include_top=True, weights=None,
                                 backend=keras.backend, layers=keras.layers,
                                 models=keras.models, utils=keras.utils)
    rows = layer_rows(model)
    mapping = {}
    for r in rows:
        new = v1_name(r[0])
        if new != r[0]:
            mapping[r[0]] = new
    for r in rows:
        r[0] = mapping.get(r[0], r[0])
        r[4] = [mapping.get(n, n) for n in r[4]]

    want = transcribed_resnet50_v1()
    got = [(r[0], r[1], r[4]) for r in rows]
    assert got == want, next((g, w) for g, w in zip(got, want) if g != w)
    for r in rows:
        if r[1] == "Conv2D":
            assert r[5]["use_bias"] is True, r
        if r[1] == "BatchNormalization":
            assert abs(r[5]["epsilon"] - 1e-3) < 1e-12, r
    header = {
        "architecture": "resnet50",
        "variant": "keras_v1",
        "keras_version": "2.2.4",
        "source": "executed",
        "source_file": "keras_applications %s resnet50.py" % ka_version,
        "generated_with": "keras %s (jax), keras_applications modules injected" % KERAS_VERSION,
        "note": ("Graph executed from the keras_applications source; automatic names "
                 "rewritten to the Keras 2.2.4 1-based per-prefix counter (see name_mapping). "
                 "Also cross-checked against a transcription of the source's construction order. "
                 "All Conv2D use_bias=true; BatchNormalization epsilon=0.001."),
        "name_mapping": mapping,
        "options": {"include_top": True, "pooling": None, "classes": 1000, "input_shape": [224, 224, 3]},
    }
    header.update(totals(model))
    return header, rows, model


# --------------------------------------------------------------------------------------


def build_app(arch, variant):
    include_top, pooling, classes, input_shape = VARIANTS[variant]
    wide = arch in WIDE_ARCHS
    if wide:
        input_shape = WIDE_ARCHS[arch][1]
    elif arch in MORE_ARCHS:
        input_shape = MORE_ARCHS[arch][1]
    keras.backend.clear_session()
    builder = WIDE_ARCHS[arch][0] if wide else MORE_ARCHS[arch][0] if arch in MORE_ARCHS else ARCHS[arch]
    model = builder(include_top=include_top, weights=None, input_shape=input_shape,
                    pooling=pooling, classes=classes)
    header = {
        "architecture": arch,
        "variant": variant,
        "keras_version": KERAS_VERSION,
        "options": {"include_top": include_top, "pooling": pooling, "classes": classes,
                    "input_shape": list(input_shape)},
    }
    header.update(totals(model))
    return header, layer_rows(model, wide=wide), model


def build_sequential_small():
    keras.backend.clear_session()
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        keras.layers.Conv2D(8, (3, 3), activation="relu", padding="same"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    rows = layer_rows(model, check_config=False)
    # Sequential: each layer is fed by the previous one; the first by the input layer.
    input_name = model._layers[0].name
    prev = input_name
    for r in rows:
        assert r[4] == [prev], (r, prev)
        prev = r[0]
    header = {
        "architecture": "sequential_small",
        "variant": "sequential",
        "keras_version": KERAS_VERSION,
        "options": {"include_top": None, "pooling": None, "classes": 10, "input_shape": [32, 32, 3]},
        "input_layer": [input_name, [None, 32, 32, 3]],
    }
    header.update(totals(model))
    return header, rows, model


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(here, "architectures")
    os.makedirs(outdir, exist_ok=True)
    summary = []

    for arch in ARCHS:
        for variant in VARIANTS:
            if variant in ONLY_SOME and arch not in ONLY_SOME[variant]:
                continue
            header, rows, model = build_app(arch, variant)
            key = "%s_%s" % (arch, variant)
            if key in EXPECTED_TOTALS:
                assert header["total_params"] == EXPECTED_TOTALS[key], (key, header["total_params"])
            dump_structure(os.path.join(outdir, key + ".json"), header, rows)
            if key in ("resnet50_top", "vgg16_top"):
                write_text(os.path.join(outdir, key + ".config.json"), model.to_json())
            summary.append((key, header["total_params"], len(rows)))

    for arch in MORE_ARCHS:
        for variant in MORE_VARIANTS:
            header, rows, model = build_app(arch, variant)
            key = "%s_%s" % (arch, variant)
            if key in EXPECTED_TOTALS:
                assert header["total_params"] == EXPECTED_TOTALS[key], (key, header["total_params"])
            path = os.path.join(outdir, key + ".json")
            dump_structure(path, header, rows)
            size = os.path.getsize(path)
            if size >= FILE_LIMIT:
                assert variant != "top", (key, size)
                os.remove(path)
                print("skipped %s: %d bytes" % (key, size))
                continue
            summary.append((key, header["total_params"], len(rows)))

    for arch in WIDE_ARCHS:
        for variant in WIDE_VARIANTS:
            header, rows, model = build_app(arch, variant)
            key = "%s_%s" % (arch, variant)
            if key in EXPECTED_TOTALS:
                assert header["total_params"] == EXPECTED_TOTALS[key], (key, header["total_params"])
            path = os.path.join(outdir, key + ".json")
            dump_structure(path, header, rows)
            if key == "mobilenet_top":
                write_text(os.path.join(outdir, key + ".config.json"), model.to_json())
            if os.path.getsize(path) > WIDE_FILE_LIMIT:
                print("skipped %s: %d bytes" % (key, os.path.getsize(path)))
                os.remove(path)
                continue
            summary.append((key, header["total_params"], len(rows)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        header, rows, _ = build_resnet50_v1()
    assert header["total_params"] == EXPECTED_TOTALS["resnet50_top"], header["total_params"]
    dump_structure(os.path.join(outdir, "resnet50_keras_v1.json"), header, rows)
    summary.append(("resnet50_keras_v1", header["total_params"], len(rows)))

    header, rows, model = build_sequential_small()
    dump_structure(os.path.join(outdir, "sequential_small.json"), header, rows)
    write_text(os.path.join(outdir, "sequential_small.config.json"), model.to_json())
    summary.append(("sequential_small", header["total_params"], len(rows)))

    # Self-checks on what was written.
    for key, total, n in summary:
        path = os.path.join(outdir, key + ".json")
        with open(path) as f:
            lines = f.read().splitlines()
        assert len(lines) == n + 2, (key, len(lines), n)
        data = json.loads("\n".join(lines))
        assert data["total_params"] == total == sum(r[3] for r in data["layers"]), key
    for name in ("resnet50_top", "vgg16_top", "mobilenet_top", "sequential_small"):
        with open(os.path.join(outdir, name + ".config.json")) as f:
            keras.models.model_from_json(f.read())
    size = sum(os.path.getsize(os.path.join(outdir, f)) for f in os.listdir(outdir))
    assert size < SIZE_LIMIT, size

    print("%-28s %14s %7s" % ("file", "total_params", "layers"))
    for key, total, n in summary:
        print("%-28s %14s %7d" % (key + ".json", format(total, ","), n))
    print("folder size: %d bytes" % size)


if __name__ == "__main__":
    main(sys.argv)
