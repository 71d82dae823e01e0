"""Regenerates the Keras reference values in OptimizerTests.swift.

Run from the repository root with the project's virtual environment:

    .venv/bin/python Tests/ZooTrainingTests/make_optimizer_expectations.py

It builds two small `keras.Variable`s, applies three fixed gradient sets with
real Keras optimizers (`optimizer.apply(grads, vars)`, JAX backend on the CPU,
eager, float32), evaluates the learning-rate schedules' `__call__` for steps
0...12, and rewrites the block between `// BEGIN GENERATED KERAS EXPECTATIONS`
and `// END GENERATED KERAS EXPECTATIONS` in OptimizerTests.swift with the
results as Swift literals. Pass `--print` to print the block instead.

Every case here must have a matching Swift configuration in
OptimizerTests.swift (`OptimizerTests.cases`, keyed by the same name).
"""

import os
import pathlib
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_PLATFORMS"] = "cpu"

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import optimizers  # noqa: E402
from keras.optimizers import schedules  # noqa: E402

VARIABLES = [
    [1.0, -2.0, 3.0, 0.5],
    [0.25, -0.75, 1.5],
]

# One gradient set per update; the long run cycles through them.
GRADIENTS = [
    [[0.1, -0.2, 0.3, 0.4], [-0.5, 0.05, 0.0]],
    [[0.3, 0.1, -0.4, 0.2], [0.2, -0.6, 0.1]],
    [[0.001, -0.02, 0.0, -0.3], [-0.1, 0.0005, 0.7]],
]


def cosine_warmup():
    return schedules.CosineDecay(
        0.0, 8, alpha=0.0, warmup_target=0.1, warmup_steps=2
    )


# name -> (factory, number of updates)
CASES = {
    "sgdDefault": (lambda: optimizers.SGD(), 3),
    "sgd": (lambda: optimizers.SGD(learning_rate=0.1), 3),
    "sgdMomentum": (lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9), 3),
    "sgdNesterov": (
        lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
        3,
    ),
    "sgdWeightDecay": (
        lambda: optimizers.SGD(learning_rate=0.1, weight_decay=0.05),
        3,
    ),
    "sgdMomentumWeightDecay": (
        lambda: optimizers.SGD(
            learning_rate=0.1, momentum=0.5, weight_decay=0.2
        ),
        3,
    ),
    "sgdClipNorm": (
        lambda: optimizers.SGD(learning_rate=0.1, clipnorm=0.52),
        3,
    ),
    "sgdGlobalClipNorm": (
        lambda: optimizers.SGD(learning_rate=0.1, global_clipnorm=0.75),
        3,
    ),
    "sgdClipValue": (
        lambda: optimizers.SGD(learning_rate=0.1, clipvalue=0.25),
        3,
    ),
    "adamDefault": (lambda: optimizers.Adam(), 3),
    "adam": (lambda: optimizers.Adam(learning_rate=0.01), 3),
    "adamAmsgrad": (
        lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
        3,
    ),
    "adamCustom": (
        lambda: optimizers.Adam(
            learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-4
        ),
        3,
    ),
    "adamClipNorm": (
        lambda: optimizers.Adam(learning_rate=0.01, clipnorm=0.52),
        3,
    ),
    "adamwDefault": (lambda: optimizers.AdamW(), 3),
    "adamw": (
        lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
        3,
    ),
    "rmspropDefault": (lambda: optimizers.RMSprop(), 3),
    "rmsprop": (lambda: optimizers.RMSprop(learning_rate=0.01, rho=0.8), 3),
    "rmspropMomentum": (
        lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.9),
        3,
    ),
    "rmspropCentered": (
        lambda: optimizers.RMSprop(learning_rate=0.01, centered=True),
        3,
    ),
    "rmspropCenteredMomentum": (
        lambda: optimizers.RMSprop(
            learning_rate=0.01, momentum=0.5, centered=True
        ),
        3,
    ),
    "sgdMomentumCosineWarmup": (
        lambda: optimizers.SGD(learning_rate=cosine_warmup(), momentum=0.9),
        3,
    ),
    "adamwStepSchedule": (
        lambda: optimizers.AdamW(
            learning_rate=schedules.ExponentialDecay(
                0.01, decay_steps=1, decay_rate=0.5, staircase=True
            ),
            weight_decay=0.1,
        ),
        3,
    ),
    "rmspropCosine": (
        lambda: optimizers.RMSprop(
            learning_rate=schedules.CosineDecay(0.01, 4, alpha=0.1)
        ),
        3,
    ),
    # Long runs: 300 updates cycling through GRADIENTS, compared at the end
    # (exercises Adam's float32 powers and accumulated rounding).
    "adamLong": (lambda: optimizers.Adam(learning_rate=0.01), 300),
    "adamwAmsgradLong": (
        lambda: optimizers.AdamW(
            learning_rate=0.005, weight_decay=0.05, amsgrad=True
        ),
        300,
    ),
    "rmspropCenteredMomentumLong": (
        lambda: optimizers.RMSprop(
            learning_rate=0.001, momentum=0.9, centered=True
        ),
        300,
    ),
}

SCHEDULES = {
    "stepHalfEvery4": lambda: schedules.ExponentialDecay(
        0.1, decay_steps=4, decay_rate=0.5, staircase=True
    ),
    "step09Every3": lambda: schedules.ExponentialDecay(
        0.01, decay_steps=3, decay_rate=0.9, staircase=True
    ),
    "cosine": lambda: schedules.CosineDecay(0.1, 10),
    "cosineAlpha": lambda: schedules.CosineDecay(0.1, 10, alpha=0.2),
    "cosineWarmup": lambda: schedules.CosineDecay(
        0.0, 6, alpha=0.1, warmup_target=0.05, warmup_steps=4
    ),
    "cosineWarmupFromNonZero": lambda: schedules.CosineDecay(
        0.001, 5, warmup_target=0.01, warmup_steps=3
    ),
}


def f32(value):
    """Shortest decimal that reads back as the same float32."""
    text = np.format_float_positional(
        np.float32(value), unique=True, trim="-"
    )
    if "." not in text:
        text += ".0"
    return text


def run_case(factory, steps):
    optimizer = factory()
    variables = [
        keras.Variable(np.array(v, dtype=np.float32), dtype="float32")
        for v in VARIABLES
    ]
    for step in range(steps):
        grads = [
            np.array(g, dtype=np.float32) for g in GRADIENTS[step % 3]
        ]
        optimizer.apply(grads, variables)
    iterations = int(np.asarray(optimizer.iterations))
    assert iterations == steps, (iterations, steps)
    return [np.asarray(v.value, dtype=np.float32).tolist() for v in variables]


def swift_floats(values):
    return "[" + ", ".join(f32(v) for v in values) + "]"


def generate():
    lines = [
        "// BEGIN GENERATED KERAS EXPECTATIONS",
        f"// Keras {keras.__version__}, backend {keras.backend.backend()}; "
        "regenerate with make_optimizer_expectations.py.",
        "enum KerasExpectations {",
        "    static let variables: [[Float]] = ["
        + ", ".join(swift_floats(v) for v in VARIABLES)
        + "]",
        "    static let gradients: [[[Float]]] = [",
    ]
    for step in GRADIENTS:
        lines.append(
            "        [" + ", ".join(swift_floats(g) for g in step) + "],"
        )
    lines.append("    ]")
    lines.append("    /// name -> (number of updates, variables after them)")
    lines.append(
        "    static let updates: [String: (steps: Int, variables: [[Float]])] = ["
    )
    for name, (factory, steps) in CASES.items():
        result = run_case(factory, steps)
        lines.append(
            f'        "{name}": ({steps}, ['
            + ", ".join(swift_floats(v) for v in result)
            + "]),"
        )
    lines.append("    ]")
    lines.append("    /// name -> schedule(step) for step in 0...12")
    lines.append("    static let schedules: [String: [Float]] = [")
    for name, factory in SCHEDULES.items():
        schedule = factory()
        rates = [
            float(np.asarray(schedule(np.int32(step)))) for step in range(13)
        ]
        lines.append(f'        "{name}": {swift_floats(rates)},')
    lines.append("    ]")
    lines.append("}")
    lines.append("// END GENERATED KERAS EXPECTATIONS")
    return "\n".join(lines) + "\n"


def main():
    block = generate()
    if "--print" in sys.argv:
        sys.stdout.write(block)
        return
    path = pathlib.Path(__file__).with_name("OptimizerTests.swift")
    text = path.read_text()
    begin = text.index("// BEGIN GENERATED KERAS EXPECTATIONS")
    end_marker = "// END GENERATED KERAS EXPECTATIONS"
    end = text.index(end_marker) + len(end_marker) + 1
    path.write_text(text[:begin] + block + text[end:])
    print(f"updated {path}")


if __name__ == "__main__":
    main()
