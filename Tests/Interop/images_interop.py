"""Images in, against real Keras: `zoo extract` on a folder of real photographs (JPEG, PNG and
friends, many sizes and modes) against Keras 3's own pipeline on TensorFlow, for ResNet50 and
VGG16 with seeded weights:

- dataset path: `image_dataset_from_directory(shuffle=False, image_size=(224, 224))`, then
  `preprocess_input`, then `keras.Model(base.input, base.get_layer(L).output)`;
- load_img path: `keras.utils.load_img(path, target_size=(224, 224), interpolation=...)`,
  `img_to_array`, `preprocess_input`, the same sub-model;
- the split: `validation_split` with `subset` and `seed` (Keras shuffles with NumPy's
  RandomState) picks the same files;
- `zoo predict --images --top 3` ranks classes as Keras does;
- sharding: `zoo extract --shard K/N` fanned out over Dask distributed (a LocalCluster with two
  worker processes on the loopback), then `zoo merge`, equals a single-process run.

Run with the TensorFlow venv (Keras 3 + TensorFlow 2.18 + Pillow + dask):
    .venv-tf/bin/python Tests/Interop/images_interop.py --zoo .build/release/zoo --models DIR
where DIR holds resnet50_top.keras and vgg16_notop.keras from Tests/Interop/make_models.py.
"""

import argparse
import os
import shutil
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import Report, relative_error, run  # noqa: E402

FEATURE_TOLERANCE = 1e-4


def log(message):
    print(f"images_interop: {message}", flush=True)


def sklearn_photos():
    """scikit-learn's bundled photographs (china.jpg, flower.jpg), found in either venv."""
    candidates = []
    here = os.path.dirname(os.path.abspath(__file__))
    for venv in (".venv", ".venv-tf"):
        root = os.path.join(here, "..", "..", venv, "lib")
        if os.path.isdir(root):
            for version in os.listdir(root):
                candidates.append(os.path.join(root, version, "site-packages", "sklearn", "datasets", "images"))
    try:
        import sklearn  # noqa: F401
        candidates.insert(0, os.path.join(os.path.dirname(sklearn.__file__), "datasets", "images"))
    except ImportError:
        pass
    for folder in candidates:
        paths = [os.path.join(folder, n) for n in ("china.jpg", "flower.jpg")]
        if all(os.path.exists(p) for p in paths):
            return [Image.open(p).convert("RGB") for p in paths]
    raise SystemExit("images_interop: scikit-learn's sample photos (china.jpg, flower.jpg) not found; make venv installs scikit-learn")


def make_dataset(root, count_per_class=6, seed=7):
    """Three class folders of images cut from the real photos: JPEG (baseline, progressive,
    grayscale, several qualities and subsamplings), PNG (RGB, RGBA, palette, grayscale), BMP
    and GIF, of many sizes and aspect ratios."""
    if os.path.exists(root):
        shutil.rmtree(root)
    photos = sklearn_photos()
    rng = np.random.RandomState(seed)
    kinds = ["jpeg", "jpeg-progressive", "png", "jpeg-gray", "png-rgba", "jpeg-420-q70", "png-palette", "bmp", "gif", "png-gray"]
    files = 0
    for label, name in enumerate(["cats", "dogs", "zebras"]):
        os.makedirs(os.path.join(root, name))
        for index in range(count_per_class):
            photo = photos[(label + index) % 2]
            w = int(rng.randint(120, 427)); h = int(rng.randint(100, 427))
            x0 = int(rng.randint(0, photo.width - w)); y0 = int(rng.randint(0, photo.height - h))
            crop = photo.crop((x0, y0, x0 + w, y0 + h))
            if rng.rand() < 0.5:
                crop = crop.resize((int(w * 0.8) + 1, int(h * 1.1) + 1), Image.BICUBIC)
            kind = kinds[(label * count_per_class + index) % len(kinds)]
            stem = os.path.join(root, name, f"{index:03d}")
            if kind == "jpeg":
                crop.save(stem + ".jpg", quality=90)
            elif kind == "jpeg-progressive":
                crop.save(stem + ".jpeg", quality=85, progressive=True)
            elif kind == "jpeg-gray":
                crop.convert("L").save(stem + ".jpg", quality=92)
            elif kind == "jpeg-420-q70":
                crop.save(stem + ".JPG", quality=70, subsampling=2)
            elif kind == "png":
                crop.save(stem + ".png")
            elif kind == "png-rgba":
                rgba = crop.convert("RGBA")
                rgba.putalpha(Image.linear_gradient("L").resize(crop.size))
                rgba.save(stem + ".png")
            elif kind == "png-palette":
                crop.convert("P", palette=Image.ADAPTIVE, colors=64).save(stem + ".png")
            elif kind == "png-gray":
                crop.convert("L").save(stem + ".png")
            elif kind == "bmp":
                crop.save(stem + ".bmp")
            elif kind == "gif":
                crop.convert("P", palette=Image.ADAPTIVE, colors=128).save(stem + ".gif")
            files += 1
    with open(os.path.join(root, "cats", "notes.txt"), "w") as handle:
        handle.write("not an image; Keras skips it by extension\n")
    return files


def keras_features(keras, model, layer, directory, image_size, interpolation="bilinear", **kwargs):
    from keras.applications import resnet50
    sub = keras.Model(model.input, model.get_layer(layer).output)
    ds = keras.utils.image_dataset_from_directory(directory, shuffle=False, image_size=image_size, batch_size=8,
                                                  interpolation=interpolation, verbose=False, **kwargs)
    xs, ys = [], []
    for x, y in ds:
        xs.append(np.asarray(sub(resnet50.preprocess_input(np.array(x, dtype=np.float32)), training=False)))
        ys.append(np.asarray(y))
    return np.concatenate(xs), np.concatenate(ys), list(ds.file_paths), list(ds.class_names)


def keras_load_img_features(keras, model, layer, directory, paths, interpolation):
    from keras.applications import resnet50
    sub = keras.Model(model.input, model.get_layer(layer).output)
    batch = np.stack([keras.utils.img_to_array(keras.utils.load_img(os.path.join(directory, p), target_size=(224, 224),
                                                                      interpolation=interpolation)) for p in paths])
    return np.asarray(sub(resnet50.preprocess_input(batch), training=False))


def load_output(path):
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def check_extract(report, zoo, keras, work, models, dataset, name, file, layer):
    label = f"{name} {layer}"
    path = os.path.join(models, file)
    model = keras.models.load_model(path, compile=False)
    want_x, want_y, want_paths, want_classes = keras_features(keras, model, layer, dataset, (224, 224))
    out = os.path.join(work, f"{name}_{layer}.npz")
    ok, seconds, _, message = run([zoo, "extract", path, dataset, "--layer", layer, "--batch", "8", "-o", out])
    if not report.check(f"zoo extract {label}", ok, message or f"{seconds:.1f} s"):
        return
    got = load_output(out)
    rel_paths = [os.path.relpath(p, dataset) for p in want_paths]
    report.check(f"{label}: labels, paths and classes as Keras", list(got["y"]) == list(want_y) and list(got["paths"]) == rel_paths
                 and list(got["class_names"]) == want_classes, f"{len(rel_paths)} files, classes {want_classes}")
    error = relative_error(got["x"], want_x)
    report.check(f"{label}: features within {FEATURE_TOLERANCE} relative (dataset path)", got["x"].shape == want_x.shape and error <= FEATURE_TOLERANCE,
                 f"shape {got['x'].shape}, relative error {error:.2e}")
    return model, rel_paths


def check_load_img(report, zoo, keras, work, models, dataset, model, rel_paths, interpolation):
    out = os.path.join(work, f"load_img_{interpolation}.npz")
    path = os.path.join(models, "resnet50_top.keras")
    ok, seconds, _, message = run([zoo, "extract", path, dataset, "--layer", "avg_pool", "--resize", "load-img",
                                   "--interpolation", interpolation, "-o", out])
    if not report.check(f"zoo extract --resize load-img --interpolation {interpolation}", ok, message or f"{seconds:.1f} s"):
        return
    got = load_output(out)
    want = keras_load_img_features(keras, model, "avg_pool", dataset, rel_paths, interpolation)
    error = relative_error(got["x"], want)
    report.check(f"load_img {interpolation}: features within {FEATURE_TOLERANCE} relative", got["x"].shape == want.shape and error <= FEATURE_TOLERANCE,
                 f"relative error {error:.2e}")


def check_split(report, zoo, keras, work, models, dataset):
    path = os.path.join(models, "resnet50_top.keras")
    for subset in ("training", "validation"):
        ds = keras.utils.image_dataset_from_directory(dataset, validation_split=0.25, subset=subset, seed=1337, image_size=(224, 224),
                                                      verbose=False)
        want = [os.path.relpath(p, dataset) for p in ds.file_paths]
        out = os.path.join(work, f"split_{subset}.npz")
        ok, _, _, message = run([zoo, "extract", path, dataset, "--layer", "avg_pool", "--shuffle", "--seed", "1337",
                                 "--validation-split", "0.25", "--subset", subset, "-o", out])
        if not report.check(f"zoo extract --validation-split 0.25 --subset {subset} --seed 1337", ok, message):
            continue
        got = [str(p) for p in load_output(out)["paths"]]
        report.check(f"{subset} subset: the same files in the same order as Keras", got == want, f"{len(want)} files")


def check_predict(report, zoo, keras, models, dataset, model, rel_paths):
    from keras.applications import resnet50
    files = [os.path.join(dataset, p) for p in rel_paths[:4]]
    ok, _, stdout, message = run([zoo, "predict", os.path.join(models, "resnet50_top.keras"), "--images", *files, "--top", "3", "--json"])
    if not report.check("zoo predict --images --top 3", ok, message):
        return
    import json
    lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    ds = keras.utils.image_dataset_from_directory(dataset, shuffle=False, image_size=(224, 224), batch_size=64, verbose=False)
    x = np.concatenate([np.array(b, dtype=np.float32) for b, _ in ds])[:4]
    probabilities = np.asarray(model(resnet50.preprocess_input(x), training=False))
    want = [list(np.argsort(-p, kind="stable")[:3]) for p in probabilities]
    got = [[item["class"] for item in line["top"]] for line in lines]
    scores = max(abs(item["score"] - float(probabilities[i][item["class"]])) for i, line in enumerate(lines) for item in line["top"])
    report.check("predict --images: top-3 classes and scores as Keras", got == want and scores < 1e-4, f"max score difference {scores:.1e}")
    names = [item.get("name") for line in lines for item in line["top"]]
    report.check("predict --images: a 1000-class model gets the ImageNet names", all(isinstance(n, str) and n for n in names),
                 ", ".join(names[:3]))


def check_dask(report, zoo, work, models, dataset, single):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        report.check("Dask distributed shards", False, "dask[distributed] is not installed (make venv-tf installs it)")
        return
    path = os.path.join(models, "resnet50_top.keras")
    shards = 3

    def extract(k):
        import subprocess
        out = os.path.join(work, f"dask-{k}-of-{shards}.npz")
        subprocess.run([zoo, "extract", path, dataset, "--layer", "avg_pool", "--shard", f"{k}/{shards}", "--threads", "1", "-o", out],
                       check=True, capture_output=True)
        return out

    start = time.monotonic()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        outputs = client.gather(client.map(extract, range(shards)))
    merged = os.path.join(work, "dask-merged.npz")
    ok, _, _, message = run([zoo, "merge", "-o", merged, *reversed(outputs)])
    if not report.check(f"Dask LocalCluster (2 workers) ran {shards} shards, zoo merge joined them", ok, message or f"{time.monotonic() - start:.1f} s"):
        return
    got, want = load_output(merged), load_output(single)
    same = list(got["paths"]) == list(want["paths"]) and list(got["y"]) == list(want["y"])
    error = relative_error(got["x"], want["x"])
    report.check("merged shards equal the single-process run", same and error <= 1e-6, f"relative error {error:.1e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zoo", required=True)
    parser.add_argument("--models", required=True, help="folder with resnet50_top.keras and vgg16_notop.keras")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--quick", action="store_true", help="ResNet50 dataset path only")
    args = parser.parse_args(argv)
    import keras
    zoo = os.path.abspath(args.zoo)
    work = args.workdir or os.path.join(args.models, "images")
    os.makedirs(work, exist_ok=True)
    dataset = os.path.join(work, "photos")
    count = make_dataset(dataset)
    log(f"{count} images from scikit-learn's photos in {dataset}; Keras {keras.__version__} on {keras.backend.backend()}")
    report = Report()
    result = check_extract(report, zoo, keras, work, args.models, dataset, "resnet50", "resnet50_top.keras", "avg_pool")
    if not args.quick:
        check_extract(report, zoo, keras, work, args.models, dataset, "vgg16", "vgg16_notop.keras", "block5_pool")
        if result:
            model, rel_paths = result
            for interpolation in ("bilinear", "bicubic", "nearest"):
                check_load_img(report, zoo, keras, work, args.models, dataset, model, rel_paths, interpolation)
            check_predict(report, zoo, keras, args.models, dataset, model, rel_paths)
        check_split(report, zoo, keras, work, args.models, dataset)
        check_dask(report, zoo, work, args.models, dataset, os.path.join(work, "resnet50_avg_pool.npz"))
    return report.finish(log)


if __name__ == "__main__":
    sys.exit(main())
