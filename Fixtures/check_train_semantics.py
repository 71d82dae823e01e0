#!/usr/bin/env python3
"""Re-derives every fit reference in Fixtures/train from written-out formulas (no Keras optimizer,
no Keras loss object), to pin down the training semantics the Swift trainer must match.

Usage: python Fixtures/check_train_semantics.py [DIR]   (default: Fixtures/train; run
make_train_fixtures.py first)

Only the forward pass is Keras's (model.stateless_call(..., training=True), which also returns the
BN moving statistics); gradients are jax.grad of the loss below. Per step, on a batch of B = 4
samples, t = 0-based step index (optimizer.iterations BEFORE the step's increment):

  loss      = sum_i w_i * l_i / B   (w_i = class_weight[y_i] or 1; B, not sum(w_i))
              + sum over L2 layers of value * sum(kernel^2)
  l_i       = -sum_k q_ik * log(clip(p_ik / sum_k p_ik, 1e-7, 1 - 1e-7)),
              q = onehot * (1 - ls) + ls / K          (categorical label smoothing)
  bce l_i   = -(y log(clip(p)) + (1 - y) log(1 - clip(p)))
  lr(t)     = schedule(t) (or the constant)
  clip      : g *= clipnorm / max(||all g||_2, clipnorm)          (global_clipnorm)
  decay     : w -= w * wd * lr(t), every trainable variable, before the update (AdamW)
  SGD       : m = mu*m - lr*g; w += m   (nesterov: w += mu*m - lr*g, with the new m); plain: w -= lr*g
  Adam      : m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
              w -= lr*sqrt(1 - b2^(t+1))/(1 - b1^(t+1)) * m / (sqrt(v) + eps)
  RMSprop   : v = rho v + (1 - rho) g^2; inc = lr g / sqrt(v + eps); m = mu m + inc; w -= m
  history   : per-epoch mean of the step losses (each computed before its update).
"""
import json, math, os, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np
import jax
import jax.numpy as jnp
import keras

D = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "train")
meta = json.load(open(os.path.join(D, "cases.json")))


def keys_of(model):
    k = {}
    for layer in model.layers:
        for w in layer.weights:
            s = "depthwise_kernel" if isinstance(layer, keras.layers.DepthwiseConv2D) and w.name == "kernel" else w.name
            k[id(w)] = f"{layer.name}/{s}"
    return k


def cosine(s, t):
    t = min(float(t), s["decay_steps"] + s["warmup_steps"])
    if t < s["warmup_steps"]:
        return (s["warmup_target"] - s["initial_learning_rate"]) * t / s["warmup_steps"] + s["initial_learning_rate"]
    frac = (t - s["warmup_steps"]) / s["decay_steps"]
    return s["warmup_target"] * ((1 - s["alpha"]) * 0.5 * (1 + math.cos(math.pi * frac)) + s["alpha"])


def check(case):
    model = keras.models.load_model(os.path.join(D, case["model"]), compile=False)
    data = np.load(os.path.join(D, case["data"]))
    x, y = data["x"], data["y"]
    keys = keys_of(model)
    tkeys = [keys[id(v)] for v in model.trainable_variables]
    tv = [jnp.asarray(v.value) for v in model.trainable_variables]
    ntv = [jnp.asarray(v.value) for v in model.non_trainable_variables]
    o = case["optimizer"]
    cw = case["class_weight"]
    l2 = case["l2"]
    ls = case["label_smoothing"]
    if cw is not None:
        cw_table = jnp.asarray([cw.get(str(c), 1.0) for c in range(4)], "float32")

    def loss_fn(tv, ntv, xb, yb):
        out, new_ntv = model.stateless_call(tv, ntv, xb, training=True)
        if case["loss"] == "binary_crossentropy":
            pc = jnp.clip(out[:, 0], 1e-7, 1 - 1e-7)
            li = -(yb * jnp.log(pc) + (1 - yb) * jnp.log(1 - pc))
        else:
            k = out.shape[-1]
            q = jax.nn.one_hot(yb, k)
            if ls:
                q = q * (1 - ls) + ls / k
            pn = jnp.clip(out / jnp.sum(out, -1, keepdims=True), 1e-7, 1 - 1e-7)
            li = -jnp.sum(q * jnp.log(pn), -1)
        w = jnp.ones_like(li) if cw is None else cw_table[yb.astype("int32")]
        loss = jnp.sum(w * li) / xb.shape[0]
        if l2:
            for key, v in zip(tkeys, tv):
                if key.endswith("/kernel") and key.split("/")[0] in l2["layers"]:
                    loss = loss + l2["value"] * jnp.sum(v * v)
        return loss, new_ntv

    grad = jax.jit(jax.value_and_grad(loss_fn, has_aux=True))
    state = [dict(m=np.zeros_like(v), v=np.zeros_like(v)) for v in tv]
    tv = [np.asarray(v) for v in tv]
    B, t, losses = case["batch_size"], 0, []
    for epoch in range(case["epochs"]):
        ep = []
        for b in range(0, len(x), B):
            (loss, ntv), g = grad(tv, ntv, x[b:b + B], y[b:b + B])
            ep.append(float(loss))
            g = [np.asarray(gi, np.float32) for gi in g]
            lr = np.float32(cosine(o["schedule"], t) if o["schedule"] else o["learning_rate"])
            if o["global_clipnorm"]:
                norm = np.sqrt(sum(np.sum(gi.astype(np.float64) ** 2) for gi in g))
                g = [gi * np.float32(o["global_clipnorm"] / max(norm, o["global_clipnorm"])) for gi in g]
            for i, (w, gi, s) in enumerate(zip(tv, g, state)):
                if o["weight_decay"]:
                    w = w - w * np.float32(o["weight_decay"]) * lr
                if o["name"] == "sgd":
                    mu = np.float32(o["momentum"])
                    if mu:
                        s["m"] = mu * s["m"] - lr * gi
                        w = w + (mu * s["m"] - lr * gi if o["nesterov"] else s["m"])
                    else:
                        w = w - lr * gi
                elif o["name"] in ("adam", "adamw"):
                    b1, b2, eps = o["beta_1"], o["beta_2"], o["epsilon"]
                    alpha = lr * np.float32(math.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1)))
                    s["m"] = s["m"] + (gi - s["m"]) * np.float32(1 - b1)
                    s["v"] = s["v"] + (gi * gi - s["v"]) * np.float32(1 - b2)
                    w = w - alpha * s["m"] / (np.sqrt(s["v"]) + np.float32(eps))
                elif o["name"] == "rmsprop":
                    rho, mu, eps = np.float32(o["rho"]), np.float32(o["momentum"]), np.float32(o["epsilon"])
                    s["v"] = rho * s["v"] + (1 - rho) * gi * gi
                    inc = lr * gi / np.sqrt(s["v"] + eps)
                    s["m"] = mu * s["m"] + inc
                    w = w - s["m"]
                tv[i] = w.astype(np.float32)
            t += 1
        losses.append(np.mean(ep))
    exp = np.load(os.path.join(D, case["expected"]))
    mine = dict(zip(tkeys, tv))
    mine.update({keys[id(v)]: np.asarray(n) for v, n in zip(model.non_trainable_variables, ntv)})
    worst = 0.0
    for k in exp.files:
        if k == "history_loss":
            continue
        err = np.max(np.abs(mine[k] - exp[k])) / (1e-3 + np.max(np.abs(exp[k])))
        if err > float(os.environ.get("SHOW_ERR", "1e-4")): print("   ", k, err)
        worst = max(worst, float(err))
    herr = float(np.max(np.abs(np.asarray(losses) - exp["history_loss"])))
    ok = worst < 1e-4 and herr < 1e-5
    print(f"{case['name']:17s} max rel weight err {worst:.2e}  history err {herr:.2e}  {'ok' if ok else 'MISMATCH'}")
    return ok


results = [check(c) for c in meta["cases"]]
assert all(results)
print("all cases reproduced from the written-out formulas")
