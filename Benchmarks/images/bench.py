"""Peers of the images benchmark (run with .venv-tf: TensorFlow 2.18, Keras 3, Pillow).

    bench.py data DIR COUNT          500 JPEGs ~500x375 cut from scikit-learn's photos into DIR/all
    bench.py pillow DIR THREADS      decode + convert('RGB') + resize((224, 224), BILINEAR) per image
    bench.py tf DIR                  tf.data: read_file + decode_jpeg + tf.image.resize, AUTOTUNE
    bench.py keras MODEL DIR LAYER   image_dataset_from_directory(labels=None) + preprocess_input +
                                     model.predict, ResNet50 to LAYER
Each prints one JSON object with images_per_second (the best of ROUNDS, default 3, for the decoders).
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
ROUNDS = int(os.environ.get("ROUNDS", "3"))


def files(directory):
    return sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.lower().endswith((".jpg", ".jpeg", ".png")))


def data(directory, count):
    import numpy as np
    from PIL import Image
    import sklearn
    folder = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "images")
    photos = [Image.open(os.path.join(folder, n)).convert("RGB") for n in ("china.jpg", "flower.jpg")]
    rng = np.random.RandomState(0)
    out = os.path.join(directory, "all")
    os.makedirs(out, exist_ok=True)
    for index in range(count):
        photo = photos[index % 2]
        w, h = int(rng.randint(330, 427)), int(rng.randint(250, 320))
        x0, y0 = int(rng.randint(0, photo.width - w)), int(rng.randint(0, photo.height - h))
        photo.crop((x0, y0, x0 + w, y0 + h)).resize((500, 375), Image.BICUBIC).save(os.path.join(out, f"{index:05d}.jpg"), quality=90)
    return {"images": count, "folder": out}


def best_of(run, count):
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return {"images": count, "seconds": best, "images_per_second": count / best}


def pillow(directory, threads):
    import numpy as np
    from multiprocessing.pool import ThreadPool
    from PIL import Image
    paths = files(directory)

    def one(path):
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.float32)

    if threads == 1:
        result = best_of(lambda: [one(p) for p in paths], len(paths))
    else:
        with ThreadPool(threads) as pool:
            result = best_of(lambda: pool.map(one, paths, chunksize=8), len(paths))
    result["threads"] = threads
    return result


def tensorflow(directory):
    import tensorflow as tf
    paths = files(directory)

    def load(path):
        return tf.image.resize(tf.io.decode_jpeg(tf.io.read_file(path), channels=3), (224, 224))

    ds = tf.data.Dataset.from_tensor_slices(paths).map(load, num_parallel_calls=tf.data.AUTOTUNE).batch(64).prefetch(tf.data.AUTOTUNE)
    return best_of(lambda: [b for b in ds], len(paths))


def keras_extract(model_path, directory, layer):
    import keras
    import numpy as np
    from keras.applications import resnet50
    model = keras.models.load_model(model_path, compile=False)
    sub = keras.Model(model.input, model.get_layer(layer).output)
    start = time.perf_counter()
    ds = keras.utils.image_dataset_from_directory(directory, labels=None, shuffle=False, image_size=(224, 224), batch_size=32, verbose=False)
    ds = ds.map(resnet50.preprocess_input)
    features = sub.predict(ds, verbose=0)
    seconds = time.perf_counter() - start
    return {"images": int(features.shape[0]), "seconds": seconds, "images_per_second": features.shape[0] / seconds,
            "features": list(features.shape), "checksum": float(np.abs(features).sum())}


def main():
    command = sys.argv[1]
    if command == "data":
        result = data(sys.argv[2], int(sys.argv[3]))
    elif command == "pillow":
        result = pillow(sys.argv[2], int(sys.argv[3]))
    elif command == "tf":
        result = tensorflow(sys.argv[2])
    elif command == "keras":
        result = keras_extract(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
