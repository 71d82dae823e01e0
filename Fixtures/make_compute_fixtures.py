#!/usr/bin/env python3
"""Small Keras models whose layer outputs the Swift compute tests compare against.

Usage: python Fixtures/make_compute_fixtures.py [OUTDIR]   (default: Fixtures/compute)

For each model: <name>.keras (real Keras, seeded random weights, BN statistics included) and
<name>.expected.json = {"input_shape": [...], "input": [flat float32 values, C order],
"outputs": {layer: {"shape": [...], "values": [...]}}} computed by Keras itself with
keras.Model(model.input, layer.output).predict(x) on a seeded batch of 2 images.
Every op the executor implements appears: Conv2D (valid/same, strides, dilation, no bias,
relu), DepthwiseConv2D (multiplier 2, strides), BatchNormalization (center/scale off, after
conv, standalone), ZeroPadding2D (asymmetric), MaxPooling2D / AveragePooling2D (valid and same),
Global pools, Add, Concatenate, Flatten, Dense (relu, softmax), Dropout, Rescaling,
Activation (relu, sigmoid, tanh, softmax), ReLU.
"""
import json, os, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np
import keras
from keras import layers as L

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "compute")
os.makedirs(OUT, exist_ok=True)


def seed_weights(model, seed):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for w in layer.weights:
            shape = tuple(w.shape)
            if "moving_variance" in w.path or w.path.endswith("/variance"):
                values.append((np.abs(rng.standard_normal(shape)) + 0.5).astype("float32"))
            else:
                values.append((rng.standard_normal(shape) * 0.5).astype("float32"))
        if values:
            layer.set_weights(values)


def ops_model():
    inp = keras.Input((9, 9, 3), name="input_layer")
    a = L.Conv2D(6, 3, strides=2, padding="same", name="conv_same_s2")(inp)
    b = L.Conv2D(6, 1, strides=2, padding="valid", use_bias=False, name="conv_valid_s2")(inp)
    v3 = L.Conv2D(4, 3, padding="valid", name="conv_valid_3x3")(inp)
    c = L.Conv2D(5, 3, padding="same", dilation_rate=2, activation="relu", name="conv_dilated")(inp)
    d = L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, name="depthwise")(inp)
    bn = L.BatchNormalization(center=False, epsilon=1e-3, name="bn_noshift")(d)
    pad = L.ZeroPadding2D(((1, 2), (0, 3)), name="pad")(c)
    mp = L.MaxPooling2D(3, strides=2, padding="same", name="maxpool_same")(pad)
    ap = L.AveragePooling2D(3, strides=2, padding="same", name="avgpool_same")(pad)
    ap2 = L.AveragePooling2D(2, name="avgpool_valid")(c)
    cat = L.Concatenate(name="concat")([mp, ap])
    bn_in = L.BatchNormalization(scale=False, name="bn_standalone")(inp)
    resc = L.Rescaling(0.5, offset=-1.0, name="rescale")(bn_in)
    sig = L.Activation("sigmoid", name="sigmoid")(resc)
    th = L.Activation("tanh", name="tanh")(a)
    rl = L.ReLU(name="relu_layer")(b)
    add = L.Add(name="add")([th, rl, bn])
    gmax = L.GlobalMaxPooling2D(name="gmax")(cat)
    gavg = L.GlobalAveragePooling2D(name="gavg")(add)
    flat = L.Flatten(name="flatten")(ap2)
    drop = L.Dropout(0.5, name="dropout")(flat)
    dense = L.Dense(6, activation="relu", name="dense_relu")(drop)
    merged = L.Concatenate(name="concat_vec")([gmax, gavg, dense, L.GlobalAveragePooling2D(name="gsig")(sig),
                                                L.GlobalAveragePooling2D(name="gvalid")(v3)])
    out = L.Dense(3, activation="softmax", name="probs")(merged)
    return keras.Model(inp, out, name="ops"), ["conv_same_s2", "conv_valid_s2", "conv_valid_3x3", "conv_dilated", "depthwise", "bn_noshift", "pad",
                                                 "maxpool_same", "avgpool_same", "avgpool_valid", "concat", "bn_standalone", "rescale",
                                                 "sigmoid", "tanh", "relu_layer", "add", "gmax", "gavg", "flatten", "dense_relu",
                                                 "concat_vec", "probs"]


def ops2_model():
    """Issue 12's ops: SeparableConv2D, ReLU with arguments, LeakyReLU, every activation,
    Multiply/Subtract/Average/Maximum (with the SE broadcast), Reshape, Permute, Cropping2D,
    keepdims pooling, per-channel Rescaling, Normalization (weights and constants),
    LayerNormalization, LayerScale, CustomScaleLayer."""
    from keras.src.applications.convnext import LayerScale
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer
    inp = keras.Input((10, 9, 4), name="input_layer")
    n = L.Normalization(name="norm")(inp)
    r = L.Rescaling([0.5, 2.0, -1.0, 1.5], offset=[0.1, 0.0, 0.2, -0.3], name="rescale_channels")(n)
    sep = L.SeparableConv2D(6, 3, strides=2, padding="same", depth_multiplier=2, name="sep")(r)
    sep2 = L.SeparableConv2D(5, 3, padding="valid", activation="silu", use_bias=False, name="sep_silu")(inp)
    relu6 = L.ReLU(6.0, name="relu6_layer")(sep)
    relu_args = L.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.3, name="relu_args")(sep)
    leaky = L.LeakyReLU(0.2, name="leaky")(sep)
    acts = {}
    for act in ["silu", "gelu", "hard_sigmoid", "hard_silu", "relu6", "elu", "selu", "softplus", "leaky_relu", "swish", "hard_swish"]:
        acts[act] = L.Activation(act, name=f"act_{act}")(sep)
    dw = L.DepthwiseConv2D(3, padding="same", depth_multiplier=1, activation="hard_silu", name="dw_hard_silu")(relu6)
    se = L.GlobalAveragePooling2D(keepdims=True, name="se_squeeze")(dw)
    se = L.Conv2D(6, 1, activation="sigmoid", name="se_excite")(se)
    gated = L.Multiply(name="se_gate")([dw, se])
    gap = L.GlobalAveragePooling2D(name="gap")(dw)
    res = L.Reshape((1, 1, 6), name="se_reshape")(gap)
    gated2 = L.Multiply(name="se_gate_reshaped")([gated, res])
    sub = L.Subtract(name="subtract")([acts["gelu"], acts["silu"]])
    avg = L.Average(name="average")([acts["elu"], acts["selu"], relu_args])
    mx = L.Maximum(name="maximum")([acts["softplus"], leaky])
    crop = L.Cropping2D(((1, 0), (0, 2)), name="crop")(gated2)
    perm = L.Permute((2, 1, 3), name="permute")(sub)
    ln = L.LayerNormalization(epsilon=1e-6, name="layer_norm")(mx)
    ls = LayerScale(0.5, 6, name="layer_scale")(ln)
    cs = CustomScaleLayer(0.17, name="custom_scale")([avg, ls])
    gmax = L.GlobalMaxPooling2D(keepdims=True, name="gmax_keep")(cs)
    norm_const = L.Normalization(mean=[0.1, -0.2, 0.3, 0.0, 0.5, 1.0], variance=[1.0, 2.0, 0.5, 0.25, 4.0, 1.0], name="norm_const")(perm)
    parts = [L.Flatten(name=f"flat_{i}")(t) for i, t in enumerate([crop, norm_const, gmax, acts["hard_sigmoid"], acts["hard_silu"],
                                                                     acts["relu6"], acts["leaky_relu"], acts["swish"], acts["hard_swish"], sep2])]
    cat = L.Concatenate(name="concat")(parts)
    out = L.Dense(4, activation="softmax", name="probs")(cat)
    names = ["norm", "rescale_channels", "sep", "sep_silu", "relu6_layer", "relu_args", "leaky"] + [f"act_{a}" for a in acts] + [
        "dw_hard_silu", "se_squeeze", "se_excite", "se_gate", "se_reshape", "se_gate_reshaped", "subtract", "average", "maximum",
        "crop", "permute", "layer_norm", "layer_scale", "custom_scale", "gmax_keep", "norm_const", "probs"]
    return keras.Model(inp, out, name="ops2"), names


def resnet_block_model():
    """A ResNet-style block: conv-BN-relu, conv-BN, shortcut conv-BN, add, relu (fusion paths)."""
    inp = keras.Input((8, 8, 4), name="input_layer")
    x = L.Conv2D(8, 1, strides=2, name="b_1_conv")(inp)
    x = L.BatchNormalization(epsilon=1.001e-5, name="b_1_bn")(x)
    x = L.Activation("relu", name="b_1_relu")(x)
    x = L.Conv2D(8, 3, padding="same", name="b_2_conv")(x)
    x = L.BatchNormalization(epsilon=1.001e-5, name="b_2_bn")(x)
    s = L.Conv2D(8, 1, strides=2, name="b_0_conv")(inp)
    s = L.BatchNormalization(epsilon=1.001e-5, name="b_0_bn")(s)
    y = L.Add(name="b_add")([s, x])
    y = L.Activation("relu", name="b_out")(y)
    return keras.Model(inp, y, name="block"), ["b_1_bn", "b_1_relu", "b_2_conv", "b_2_bn", "b_0_bn", "b_add", "b_out"]


def stem_model():
    """ResNet's stem: ZeroPadding2D folded into the next Conv2D and MaxPooling2D, plus a padded average pool."""
    inp = keras.Input((20, 18, 3), name="input_layer")
    x = L.ZeroPadding2D(((3, 3), (3, 3)), name="conv1_pad")(inp)
    x = L.Conv2D(8, 7, strides=2, name="conv1_conv")(x)
    x = L.BatchNormalization(epsilon=1.001e-5, name="conv1_bn")(x)
    x = L.Activation("relu", name="conv1_relu")(x)
    p = L.ZeroPadding2D(((1, 1), (1, 1)), name="pool1_pad")(x)
    m = L.MaxPooling2D(3, strides=2, name="pool1_pool")(p)
    neg = L.Conv2D(4, 1, name="neg_conv")(m)
    q = L.ZeroPadding2D(((2, 0), (1, 2)), name="avg_pad")(neg)
    a = L.AveragePooling2D(2, strides=1, name="avg_pool_padded")(q)
    q2 = L.ZeroPadding2D(((1, 0), (0, 1)), name="max_pad")(neg)
    b = L.MaxPooling2D(2, strides=1, padding="same", name="max_pool_padded")(q2)
    return keras.Model(inp, [a, b], name="stem"), ["conv1_conv", "conv1_relu", "pool1_pool", "neg_conv", "avg_pool_padded", "max_pool_padded"]


for name, build, seed in [("ops", ops_model, 11), ("block", resnet_block_model, 12), ("stem", stem_model, 13), ("ops2", ops2_model, 14)]:
    keras.utils.set_random_seed(seed)
    model, names = build()
    seed_weights(model, seed)
    model.save(os.path.join(OUT, f"{name}.keras"))
    if name == "ops2":
        # Normalization keeps a broadcast copy of mean/variance that set_weights does not refresh
        # (loading does, through finalize_state): compute the expectations from the saved file.
        from keras.src.applications.convnext import LayerScale
        from keras.src.applications.inception_resnet_v2 import CustomScaleLayer
        model = keras.models.load_model(os.path.join(OUT, f"{name}.keras"),
                                        custom_objects={"LayerScale": LayerScale, "CustomScaleLayer": CustomScaleLayer})
    x = np.random.default_rng(seed + 100).standard_normal((2,) + tuple(model.input.shape[1:])).astype("float32")
    outputs = {}
    for layer_name in names:
        sub = keras.Model(model.input, model.get_layer(layer_name).output)
        y = np.asarray(sub.predict(x, verbose=0), dtype="float32")
        outputs[layer_name] = {"shape": list(y.shape), "values": [float(v) for v in y.reshape(-1)]}
    with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
        json.dump({"model": f"{name}.keras", "keras_version": keras.__version__, "input_shape": list(x.shape),
                   "input": [float(v) for v in x.reshape(-1)], "outputs": outputs}, f, separators=(",", ":"))
    print(name, model.count_params(), "params", os.path.getsize(os.path.join(OUT, f"{name}.expected.json")), "bytes")
