#!/usr/bin/env python3
"""Keras training references that the Swift training tests compare against.

Usage: python Fixtures/make_train_fixtures.py [OUTDIR]   (default: Fixtures/train)

Everything is float32, seeded and written by Keras 3.15.1 (JAX backend, CPU). The .npz files
are np.savez_compressed (deflated) to keep the folder under 600 KB. Re-running gives identical
.npz/.json contents; the .keras zips differ only in their save date.

Models (real Keras `.keras` files, seeded weights scaled so activations stay O(1)):
  train_ops.keras         every op the trainer must differentiate, on the path to the loss:
                          Conv2D strided+same without bias / valid / dilated / 1x1, DepthwiseConv2D
                          (multiplier 2), three BNs (plain eps 1e-3; center=False eps 1.001e-5;
                          scale=False), ZeroPadding2D ((1,0),(0,1)), MaxPooling2D same (pads both
                          sides) and valid (overlapping windows), AveragePooling2D same (pads
                          bottom/right; the divisor counts real pixels only) and valid (over the
                          zero padding), Add (3 inputs), Concatenate, Activation relu/sigmoid/tanh,
                          ReLU, Rescaling(0.5, offset=0.1), global pools, Flatten, Dropout(0.0),
                          Dense relu, Dense(4, softmax, name="probs"). No conv with a bias feeds a
                          training-mode BN directly (that bias's gradient is pure rounding noise,
                          which Adam would turn into lr-sized steps of random sign). Every max
                          window's winner beats its runner-up by > 1e-5 on every batch of the
                          starting model (checked).
  train_ops_frozen.keras  the same weights with `trainable=False` on every layer of
                          model.layers[1:] up to and including FROZEN_THROUGH (a BN; cases.json
                          lists them); the flags are in its config. Frozen BNs run in inference
                          mode even with training=True and their moving stats do not change.
  train_ops_l2.keras      the same weights; every Conv2D and Dense has kernel_regularizer L2(0.01).
  train_bin.keras         Conv2D(4, 3, relu) -> GlobalAveragePooling2D -> Dense(1, sigmoid).

Data: train_ops.data.npz = {"x": float32 (12, 8, 8, 3) standard normal, "y": int32 (12,) in
0..3, every class in the first batch}; train_bin.data.npz: same x, y = float32 (y % 2).

Gradients (<model>.grads.npz): jax.grad of the mean loss over the FIRST 4 samples of a function
of the trainable variables, using model.stateless_call(trainable, non_trainable, x,
training=True). Keys: "loss" (0-d), "probs" (forward output), "<layer>/<short>" for every
trainable weight (short: kernel, bias, depthwise_kernel, gamma, beta) and, for every trainable BN,
"<bn>/moving_mean" / "<bn>/moving_variance" after that single training-mode call.

Fit references (<model>.<case>.after.npz): fresh copy of the starting model, compile(optimizer,
loss), fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0) = 6 steps; every weight
of the model afterwards (trainable and not, moving stats included) keyed "<layer>/<short>",
plus "history_loss" (History's per-epoch loss: the mean over that epoch's 3 steps of the loss
each step computed BEFORE its update, regularization and class weights included).

cases.json = {"cases": [...one entry per fit reference...], "gradients": [...], ...}: everything
a Swift test needs to loop over the cases (optimizer hyper-parameters including Keras defaults,
taken from optimizer.get_config(), schedule, class weights, L2 layers, frozen prefix).
check_train_semantics.py re-derives every fit reference from written-out update formulas.

Note: Keras 3 names DepthwiseConv2D's variable `kernel`; these files call it `depthwise_kernel`.
"""
import json, os, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np
import jax
import jax.numpy as jnp
import keras
from keras import layers as L

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "train")
os.makedirs(OUT, exist_ok=True)

FROZEN_THROUGH = "bn_dw"      # last layer (in model.layers order) of the frozen prefix
L2_VALUE = 0.01
BATCH, EPOCHS = 4, 2


def p(name):
    return os.path.join(OUT, name)


# --------------------------------------------------------------------------- models

def seed_weights(model, seed):
    """Like make_compute_fixtures.seed_weights, but scaled: kernels ~ N(0, 1/fan_in) (the last
    Dense a bit smaller so the softmax stays far from saturation), biases/betas/moving means
    ~ 0.1 N, gammas ~ 1 + 0.2 N, moving variances |N| * 0.5 + 0.5 (always positive)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for w in layer.weights:
            shape = tuple(w.shape)
            n = rng.standard_normal(shape)
            if "moving_variance" in w.path:
                v = np.abs(n) * 0.5 + 0.5
            elif w.name == "gamma":
                v = 1.0 + 0.2 * n
            elif w.name == "kernel":
                if isinstance(layer, L.DepthwiseConv2D):
                    fan_in = shape[0] * shape[1]
                else:
                    fan_in = int(np.prod(shape[:-1]))
                gain = 0.6 if layer.name == "probs" else 1.0
                v = n * gain / np.sqrt(fan_in)
            else:  # bias, beta, moving_mean
                v = 0.1 * n
            values.append(v.astype("float32"))
        if values:
            layer.set_weights(values)


def ops_model(l2=None):
    reg = (lambda: keras.regularizers.L2(l2)) if l2 else (lambda: None)
    inp = keras.Input((8, 8, 3), name="input_layer")
    r = L.Rescaling(0.5, offset=0.1, name="rescale")(inp)
    # A conv's bias feeding a training-mode BN has a zero gradient up to rounding noise, which
    # Adam/RMSprop would blow up into lr-sized steps of random sign: such convs have no bias, and
    # the depthwise conv's bias reaches its BN through a ReLU.
    c1 = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False, kernel_regularizer=reg(), name="conv_s2_nobias")(r)
    b1 = L.BatchNormalization(epsilon=1e-3, name="bn1")(c1)
    a1 = L.Activation("relu", name="relu1")(b1)
    dw = L.DepthwiseConv2D(3, strides=1, padding="same", depth_multiplier=2, name="depthwise")(a1)
    rl = L.ReLU(name="relu_layer")(dw)
    bdw = L.BatchNormalization(center=False, epsilon=1.001e-5, name="bn_dw")(rl)
    cd = L.Conv2D(16, 3, padding="same", dilation_rate=2, kernel_regularizer=reg(), name="conv_dilated")(a1)
    th = L.Activation("tanh", name="tanh")(cd)
    cn = L.Conv2D(16, 1, kernel_regularizer=reg(), name="conv_1x1")(a1)
    add = L.Add(name="add")([bdw, th, cn])                                   # 4x4x16
    mps = L.MaxPooling2D(3, strides=3, padding="same", name="maxpool_same")(add)    # 2x2 (pads 1 each side)
    pad = L.ZeroPadding2D(((1, 0), (0, 1)), name="pad")(add)                # 5x5x16
    apv = L.AveragePooling2D(2, strides=2, padding="valid", name="avgpool_valid")(pad)  # 2x2
    aps = L.AveragePooling2D(3, strides=2, padding="same", name="avgpool_same")(add)    # 2x2 (pads bottom/right)
    cat = L.Concatenate(axis=-1, name="concat")([mps, apv, aps])            # 2x2x48
    bcat = L.BatchNormalization(scale=False, epsilon=1e-3, name="bn_cat")(cat)
    gmax = L.GlobalMaxPooling2D(name="gmax")(bcat)                          # 48
    gavg = L.GlobalAveragePooling2D(name="gavg")(add)                       # 16
    # valid-conv branch at full resolution
    cv = L.Conv2D(6, 3, padding="valid", kernel_regularizer=reg(), name="conv_valid")(r)   # 6x6x6
    sg = L.Activation("sigmoid", name="sigmoid")(cv)
    mpv = L.MaxPooling2D(3, strides=2, padding="valid", name="maxpool_valid")(sg)  # 2x2x6, overlapping
    fl = L.Flatten(name="flatten")(mpv)                                     # 24
    dr = L.Dropout(0.0, name="dropout")(fl)
    de = L.Dense(8, activation="relu", kernel_regularizer=reg(), name="dense_relu")(dr)
    vec = L.Concatenate(name="concat_vec")([gmax, gavg, de])                # 72
    out = L.Dense(4, activation="softmax", kernel_regularizer=reg(), name="probs")(vec)
    return keras.Model(inp, out, name="train_ops")


def bin_model():
    inp = keras.Input((8, 8, 3), name="input_layer")
    c = L.Conv2D(4, 3, activation="relu", name="conv")(inp)
    g = L.GlobalAveragePooling2D(name="gavg")(c)
    out = L.Dense(1, activation="sigmoid", name="prob")(g)
    return keras.Model(inp, out, name="train_bin")


# --------------------------------------------------------------------------- helpers

def short_name(layer, w):
    if isinstance(layer, L.DepthwiseConv2D) and w.name == "kernel":
        return "depthwise_kernel"
    return w.name


def var_keys(model):
    """id(variable) -> "<layer>/<short>" for every weight of the model."""
    keys = {}
    for layer in model.layers:
        for w in layer.weights:
            keys[id(w)] = f"{layer.name}/{short_name(layer, w)}"
    return keys


def all_weights(model):
    out = {}
    for layer in model.layers:
        for w in layer.weights:
            out[f"{layer.name}/{short_name(layer, w)}"] = np.asarray(w.numpy(), dtype="float32")
    return out


def assert_same_weights(a, b, what):
    wa, wb = all_weights(a), all_weights(b)
    assert wa.keys() == wb.keys(), what
    for k in wa:
        assert np.array_equal(wa[k], wb[k]), (what, k)


def trainable_bns(model):
    return [l for l in model.layers if isinstance(l, L.BatchNormalization) and l.trainable]


def save_npz(name, arrays):
    np.savez_compressed(p(name), **{k: np.asarray(v) for k, v in arrays.items()})


def gradients(model, x, y, loss_fn, name):
    """Mean loss over (x, y), its gradient w.r.t. every trainable weight, the forward output and
    the moving statistics after one training-mode call."""
    keys = var_keys(model)
    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]

    def f(tv):
        out, new_ntv = model.stateless_call(tv, ntv, x, training=True)
        return jnp.mean(loss_fn(y, out)), (out, new_ntv)

    (loss, (out, new_ntv)), g = jax.value_and_grad(f, has_aux=True)(tv)
    res = {"loss": np.asarray(loss, dtype="float32"), "probs": np.asarray(out, dtype="float32")}
    for v, gv in zip(model.trainable_variables, g):
        res[keys[id(v)]] = np.asarray(gv, dtype="float32")
    ntv_by_key = {keys[id(v)]: np.asarray(nv, dtype="float32") for v, nv in zip(model.non_trainable_variables, new_ntv)}
    for bn in trainable_bns(model):
        for s in ("moving_mean", "moving_variance"):
            k = f"{bn.name}/{s}"
            res[k] = ntv_by_key[k]
            assert not np.array_equal(res[k], bn.weights[[w.name for w in bn.weights].index(s)].numpy()), k
    for bn in model.layers:   # frozen BNs must not move
        if isinstance(bn, L.BatchNormalization) and not bn.trainable:
            for s in ("moving_mean", "moving_variance"):
                assert np.array_equal(ntv_by_key[f"{bn.name}/{s}"], all_weights(model)[f"{bn.name}/{s}"])
    assert float(np.min(res["probs"])) > 1e-4, "softmax too saturated"
    save_npz(name, res)
    return res


def f32(v):
    """Shortest decimal of a float32 hyper-parameter (Keras stores learning rates as float32)."""
    return None if v is None else float(str(np.float32(v)))


def describe_optimizer(opt):
    cfg = opt.get_config()
    lr = cfg["learning_rate"]
    sched = None
    if isinstance(lr, dict):    # serialized LearningRateSchedule
        sc = lr["config"]
        assert lr["class_name"] == "CosineDecay"
        sched = {"name": "cosine", "initial_learning_rate": sc["initial_learning_rate"],
                 "decay_steps": sc["decay_steps"], "warmup_target": sc["warmup_target"],
                 "warmup_steps": sc["warmup_steps"], "alpha": sc["alpha"]}
        lr = None
    name = {"SGD": "sgd", "Adam": "adam", "AdamW": "adamw", "RMSprop": "rmsprop"}[type(opt).__name__]
    d = {"name": name, "learning_rate": f32(lr),
         "momentum": cfg.get("momentum"), "nesterov": cfg.get("nesterov"),
         "global_clipnorm": cfg.get("global_clipnorm"), "clipnorm": cfg.get("clipnorm"),
         "clipvalue": cfg.get("clipvalue"), "weight_decay": cfg.get("weight_decay"),
         "beta_1": cfg.get("beta_1"), "beta_2": cfg.get("beta_2"), "epsilon": cfg.get("epsilon"),
         "amsgrad": cfg.get("amsgrad"), "rho": cfg.get("rho"), "centered": cfg.get("centered"),
         "use_ema": cfg.get("use_ema"), "loss_scale_factor": cfg.get("loss_scale_factor"),
         "gradient_accumulation_steps": cfg.get("gradient_accumulation_steps"),
         "schedule": sched}
    assert not d["use_ema"] and d["clipnorm"] is None and d["clipvalue"] is None
    return d


# --------------------------------------------------------------------------- build

keras.utils.set_random_seed(0)
rng = np.random.default_rng(1234)
x = rng.standard_normal((12, 8, 8, 3)).astype("float32")
y = np.array([0, 1, 2, 3, 2, 0, 3, 1, 1, 3, 0, 2], dtype="int32")
assert set(y[:4].tolist()) == {0, 1, 2, 3}
save_npz("train_ops.data.npz", {"x": x, "y": y})

model = ops_model()
seed_weights(model, 7)
model.save(p("train_ops.keras"))
layer_names = [l.name for l in model.layers]
print("train_ops layers:", layer_names)

# Max-pool tie check (a tie or near-tie would make the gradient's routing implementation- or
# rounding-defined): in every max window (maxpool_same with its -inf padding, maxpool_valid, and
# gmax over the whole 2x2 map) the largest value beats the runner-up by a clear margin.
def window_gap(t, k, s, pads):
    t = np.pad(t, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=-np.inf)
    gaps = []
    for i in range(0, t.shape[1] - k + 1, s):
        for j in range(0, t.shape[2] - k + 1, s):
            w = np.sort(t[:, i:i + k, j:j + k, :].reshape(t.shape[0], -1, t.shape[3]), axis=1)
            gaps.append(np.min(w[:, -1] - w[:, -2]))
    return float(np.min(gaps))


scratch = keras.models.load_model(p("train_ops.keras"), compile=False)   # training-mode calls move BN stats
probe = keras.Model(scratch.input, [scratch.get_layer("add").output, scratch.get_layer("sigmoid").output,
                                    scratch.get_layer("bn_cat").output])
gaps = {"maxpool_same": 1.0, "maxpool_valid": 1.0, "gmax": 1.0}
for b in range(0, len(x), BATCH):   # each batch of the fits' first epoch, starting weights
    add_o, sig_o, bcat_o = [np.asarray(t) for t in probe(x[b:b + BATCH], training=True)]
    for k, v in (("maxpool_same", window_gap(add_o, 3, 3, ((1, 1), (1, 1)))),
                 ("maxpool_valid", window_gap(sig_o, 3, 2, ((0, 0), (0, 0)))),
                 ("gmax", window_gap(bcat_o, 2, 2, ((0, 0), (0, 0))))):
        gaps[k] = min(gaps[k], v)
print("smallest top-1/top-2 gap per max op:", gaps)
assert min(gaps.values()) > 1e-5, gaps   # float32 rounding is ~1e-7 here

sce = keras.losses.sparse_categorical_crossentropy
g_ops = gradients(model, x[:4], y[:4], sce, "train_ops.grads.npz")
print("train_ops loss %.6f  min prob %.4g" % (g_ops["loss"], g_ops["probs"].min()))
assert_same_weights(model, keras.models.load_model(p("train_ops.keras"), compile=False), "unchanged")
assert np.min(np.asarray(model(x, training=False))) > 1e-3

# Frozen prefix.
frozen = keras.models.load_model(p("train_ops.keras"), compile=False)
cut = layer_names.index(FROZEN_THROUGH)
frozen_layers = layer_names[1:cut + 1]          # the InputLayer's flag is not saved: leave it
for l in frozen.layers[1:cut + 1]:
    l.trainable = False
frozen.save(p("train_ops_frozen.keras"))
frozen_weight_layers = [l.name for l in frozen.layers[1:cut + 1] if l.weights]
g_frozen = gradients(frozen, x[:4], y[:4], sce, "train_ops_frozen.grads.npz")
assert not any(k.split("/")[0] in frozen_layers for k in g_frozen if "/" in k)

# L2 model, same weights.
l2_model = ops_model(l2=L2_VALUE)
l2_model.set_weights(model.get_weights())
l2_layers = [l.name for l in l2_model.layers if getattr(l, "kernel_regularizer", None) is not None]
l2_model.save(p("train_ops_l2.keras"))
cfg_layers = json.loads(l2_model.to_json())["config"]["layers"]
reg_in_cfg = [c["config"]["name"] for c in cfg_layers if c["config"].get("kernel_regularizer")]
assert reg_in_cfg == l2_layers and len(l2_layers) == 6, (reg_in_cfg, l2_layers)
for c in cfg_layers:
    kr = c["config"].get("kernel_regularizer")
    if kr:
        assert kr["class_name"] == "L2" and abs(kr["config"]["l2"] - L2_VALUE) < 1e-9, kr

# Binary model.
yb = (y % 2).astype("float32")
save_npz("train_bin.data.npz", {"x": x, "y": yb})
bmodel = bin_model()
seed_weights(bmodel, 11)
bmodel.save(p("train_bin.keras"))
bce = keras.losses.BinaryCrossentropy()      # the object fit uses: rank-1 y is expanded to (N, 1)
g_bin = gradients(bmodel, x[:4], yb[:4], lambda t, o: bce(t, o), "train_bin.grads.npz")
assert abs(float(g_bin["loss"]) - float(np.mean(keras.losses.binary_crossentropy(yb[:4, None], g_bin["probs"])))) < 1e-6

# --------------------------------------------------------------------------- fit references

S = keras.optimizers
CASES = [
    # name, model file, optimizer factory, loss kind, extras
    ("sgd", "train_ops.keras", lambda: S.SGD(learning_rate=0.05, momentum=0.9), {}),
    ("nesterov", "train_ops.keras", lambda: S.SGD(learning_rate=0.05, momentum=0.9, nesterov=True), {}),
    ("adam", "train_ops.keras", lambda: S.Adam(learning_rate=0.01), {}),
    ("adamw", "train_ops.keras", lambda: S.AdamW(learning_rate=0.01, weight_decay=0.05), {}),
    ("rmsprop", "train_ops.keras", lambda: S.RMSprop(learning_rate=0.005, momentum=0.5), {}),
    ("sgd_plain", "train_ops.keras", lambda: S.SGD(learning_rate=0.1), {}),
    ("adam_clip", "train_ops.keras", lambda: S.Adam(learning_rate=0.01, global_clipnorm=0.5), {}),
    ("adam_cosine", "train_ops.keras", lambda: S.Adam(learning_rate=S.schedules.CosineDecay(
        initial_learning_rate=0.0, decay_steps=4, warmup_target=0.02, warmup_steps=2, alpha=0.1)), {}),
    ("sgd_frozen", "train_ops_frozen.keras", lambda: S.SGD(learning_rate=0.05, momentum=0.9), {"frozen": True}),
    ("adam_frozen", "train_ops_frozen.keras", lambda: S.Adam(learning_rate=0.01), {"frozen": True}),
    ("adam_l2", "train_ops_l2.keras", lambda: S.Adam(learning_rate=0.01), {"l2": True}),
    ("adam_smooth", "train_ops.keras", lambda: S.Adam(learning_rate=0.01), {"smooth": 0.1}),
    ("adam_classweight", "train_ops.keras", lambda: S.Adam(learning_rate=0.01),
     {"class_weight": {0: 1.0, 1: 2.0, 2: 0.5, 3: 1.5}}),
]

cases = []


def run_fit(name, model_file, make_opt, extra, data_file, loss_name, xs, ys, expected=None):
    m = keras.models.load_model(p(model_file), compile=False)
    before = all_weights(m)
    opt = make_opt()
    smooth = extra.get("smooth", 0.0)
    if smooth:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=smooth)
        yt = keras.utils.to_categorical(ys, 4).astype("float32")
        loss_name = "categorical_crossentropy"
    else:
        loss, yt = loss_name, ys
    m.compile(optimizer=opt, loss=loss)
    hist = m.fit(xs, yt, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
                 class_weight=extra.get("class_weight"))
    assert int(opt.iterations.numpy()) == EPOCHS * (len(xs) // BATCH)
    after = all_weights(m)
    for k in after:   # every trainable weight moved; frozen ones did not
        lname = k.split("/")[0]
        layer = m.get_layer(lname)
        moved = not np.array_equal(after[k], before[k])
        assert moved == layer.trainable, (name, k)
    assert np.min(np.asarray(m(xs, training=False))) > 1e-5, name
    hl = np.asarray(hist.history["loss"], dtype="float32")
    expected = expected or f"{model_file[:-len('.keras')].replace('_frozen', '').replace('_l2', '')}.{name}.after.npz"
    save_npz(expected, {**after, "history_loss": hl})
    cw = extra.get("class_weight")
    cases.append({
        "name": name, "model": model_file, "data": data_file, "expected": expected,
        "loss": loss_name, "label_smoothing": smooth, "one_hot_labels": bool(smooth),
        "optimizer": describe_optimizer(opt), "batch_size": BATCH, "epochs": EPOCHS,
        "shuffle": False, "steps": int(opt.iterations.numpy()),
        "class_weight": None if cw is None else {str(k): v for k, v in cw.items()},
        "l2": {"value": L2_VALUE, "layers": l2_layers} if extra.get("l2") else None,
        "frozen_through": FROZEN_THROUGH if extra.get("frozen") else None,
        "frozen_layers": frozen_layers if extra.get("frozen") else None,
    })
    print(f"{name:17s} history_loss {hl}")


for name, mf, mk, extra in CASES:
    keras.utils.set_random_seed(0)
    run_fit(name, mf, mk, extra, "train_ops.data.npz", "sparse_categorical_crossentropy", x, y)
keras.utils.set_random_seed(0)
run_fit("bin_adam", "train_bin.keras", lambda: S.Adam(learning_rate=0.01), {}, "train_bin.data.npz",
        "binary_crossentropy", x, yb, expected="train_bin.adam.after.npz")

# --------------------------------------------------------------------------- reload checks

for mf, ref in [("train_ops.keras", model), ("train_ops_frozen.keras", frozen),
                ("train_ops_l2.keras", l2_model), ("train_bin.keras", bmodel)]:
    back = keras.models.load_model(p(mf), compile=False)
    assert_same_weights(back, ref, mf)
    assert [l.trainable for l in back.layers] == [l.trainable for l in ref.layers], mf
    assert_same_weights(back, model if mf != "train_bin.keras" else bmodel, mf)
back = keras.models.load_model(p("train_ops_frozen.keras"), compile=False)
assert [l.name for l in back.layers if not l.trainable] == frozen_layers

meta = {
    "keras_version": keras.__version__, "backend": keras.backend.backend(),
    "train_ops_layers": layer_names,
    "frozen_through": FROZEN_THROUGH, "frozen_layers": frozen_layers,
    "frozen_weight_layers": frozen_weight_layers,
    "l2": {"value": L2_VALUE, "layers": l2_layers},
    "cases": cases,
    "gradients": [
        {"name": "train_ops", "model": "train_ops.keras", "data": "train_ops.data.npz", "batch": [0, 4],
         "expected": "train_ops.grads.npz", "loss": "sparse_categorical_crossentropy", "frozen_through": None},
        {"name": "train_ops_frozen", "model": "train_ops_frozen.keras", "data": "train_ops.data.npz", "batch": [0, 4],
         "expected": "train_ops_frozen.grads.npz", "loss": "sparse_categorical_crossentropy",
         "frozen_through": FROZEN_THROUGH},
        {"name": "train_bin", "model": "train_bin.keras", "data": "train_bin.data.npz", "batch": [0, 4],
         "expected": "train_bin.grads.npz", "loss": "binary_crossentropy", "frozen_through": None},
    ],
}
with open(p("cases.json"), "w") as f:
    json.dump(meta, f, indent=1)

total = 0
for fn in sorted(os.listdir(OUT)):
    s = os.path.getsize(p(fn))
    total += s
    print(f"{s:8d}  {fn}")
print(f"{total:8d}  total")
assert total < 600_000
