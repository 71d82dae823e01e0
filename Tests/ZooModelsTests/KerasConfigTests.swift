import Foundation
import Testing
import ZooFormats
import ZooGraph
@testable import ZooModels

// Keras configs the importer must read, embedded verbatim. Keras 3 samples were printed by
// Keras 3.15.1 (JAX backend); only line breaks were added after "[" and between layers of
// the "layers" list (`KerasConfigSamples.compact` removes them again, giving the exact
// `to_json()` bytes). The expected names, output shapes and parameter counts in the tests are
// the numbers Keras printed for these models (`layer.output.shape`, `layer.count_params()`,
// `model.count_params()` and the element count of `model.trainable_weights`).
private enum KerasConfigSamples {
    /// Keras 3 `model.to_json()` of a functional model "small": Input(32, 32, 3), Rescaling(1/255,
    /// offset -0.5), ZeroPadding2D(((1, 2), (0, 1))), Conv2D(16, 3, strides 2, same, no bias,
    /// frozen), BatchNormalization(epsilon 1.001e-5), ReLU, DepthwiseConv2D(3, same),
    /// BatchNormalization(axis 3, center False), Activation(relu), Add, Concatenate,
    /// MaxPooling2D(2), AveragePooling2D(2, strides 1, same), GlobalAveragePooling2D,
    /// GlobalMaxPooling2D, Concatenate, Dropout(0.25), Dense(10, softmax).
    static let functional = #"""
{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "small", "trainable": true, "layers": [
{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 32, 32, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null, "name": "input_layer", "inbound_nodes": []},
{"module": "keras.layers", "class_name": "Rescaling", "config": {"name": "rescale", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "scale": 0.00392156862745098, "offset": -0.5}, "registered_name": null, "build_config": {"input_shape": [null, 32, 32, 3]}, "name": "rescale", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 32, 32, 3], "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "ZeroPadding2D", "config": {"name": "pad", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "padding": [[1, 2], [0, 1]], "data_format": "channels_last"}, "registered_name": null, "build_config": {"input_shape": [null, 32, 32, 3]}, "name": "pad", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 32, 32, 3], "dtype": "float32", "keras_history": ["rescale", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "conv1", "trainable": false, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "filters": 16, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": false, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 35, 33, 3]}, "name": "conv1", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 35, 33, 3], "dtype": "float32", "keras_history": ["pad", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "BatchNormalization", "config": {"name": "bn1", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "axis": -1, "momentum": 0.99, "epsilon": 1.001e-05, "center": true, "scale": true, "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null}, "moving_mean_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "moving_variance_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null}, "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null, "synchronized": false, "renorm": false, "renorm_clipping": null, "renorm_momentum": 0.99}, "registered_name": null, "build_config": {"input_shape": [null, 18, 17, 16]}, "name": "bn1", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 16], "dtype": "float32", "keras_history": ["conv1", 0, 0]}}], "kwargs": {"mask": null}}]},
{"module": "keras.layers", "class_name": "ReLU", "config": {"name": "relu1", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "max_value": null, "negative_slope": 0.0, "threshold": 0.0}, "registered_name": null, "name": "relu1", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 16], "dtype": "float32", "keras_history": ["bn1", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "DepthwiseConv2D", "config": {"name": "dw", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "depth_multiplier": 1, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "linear", "use_bias": true, "depthwise_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "depthwise_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "depthwise_constraint": null, "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 18, 17, 16]}, "name": "dw", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 16], "dtype": "float32", "keras_history": ["relu1", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "BatchNormalization", "config": {"name": "bn2", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "axis": 3, "momentum": 0.99, "epsilon": 0.001, "center": false, "scale": true, "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null}, "moving_mean_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "moving_variance_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null}, "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null, "synchronized": false, "renorm": false, "renorm_clipping": null, "renorm_momentum": 0.99}, "registered_name": null, "build_config": {"input_shape": [null, 18, 17, 16]}, "name": "bn2", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 16], "dtype": "float32", "keras_history": ["dw", 0, 0]}}], "kwargs": {"mask": null}}]},
{"module": "keras.layers", "class_name": "Activation", "config": {"name": "act2", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "activation": "relu"}, "registered_name": null, "name": "act2", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 16], "dtype": "float32", "keras_history": ["bn2", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "Add", "config": {"name": "add", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}}, "registered_name": null, "build_config": {"input_shape": [[null, 18, 17, 16], [null, 18, 17, 16]]}, "name": "add", "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 16], "dtype": "float32", "keras_history": ["relu1", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 16], "dtype": "float32", "keras_history": ["act2", 0, 0]}}]], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "Concatenate", "config": {"name": "concat", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "axis": -1}, "registered_name": null, "build_config": {"input_shape": [[null, 18, 17, 16], [null, 18, 17, 16]]}, "name": "concat", "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 16], "dtype": "float32", "keras_history": ["add", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 16], "dtype": "float32", "keras_history": ["act2", 0, 0]}}]], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "MaxPooling2D", "config": {"name": "pool", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}, "registered_name": null, "name": "pool", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 18, 17, 32], "dtype": "float32", "keras_history": ["concat", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "AveragePooling2D", "config": {"name": "avg", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "pool_size": [2, 2], "padding": "same", "strides": [1, 1], "data_format": "channels_last"}, "registered_name": null, "name": "avg", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 9, 8, 32], "dtype": "float32", "keras_history": ["pool", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "GlobalAveragePooling2D", "config": {"name": "gap", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "data_format": "channels_last", "keepdims": false}, "registered_name": null, "name": "gap", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 9, 8, 32], "dtype": "float32", "keras_history": ["avg", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "GlobalMaxPooling2D", "config": {"name": "gmp", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "data_format": "channels_last", "keepdims": false}, "registered_name": null, "name": "gmp", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 9, 8, 32], "dtype": "float32", "keras_history": ["avg", 0, 0]}}], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "Concatenate", "config": {"name": "concat2", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "axis": -1}, "registered_name": null, "build_config": {"input_shape": [[null, 32], [null, 32]]}, "name": "concat2", "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"shape": [null, 32], "dtype": "float32", "keras_history": ["gap", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"shape": [null, 32], "dtype": "float32", "keras_history": ["gmp", 0, 0]}}]], "kwargs": {}}]},
{"module": "keras.layers", "class_name": "Dropout", "config": {"name": "drop", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "rate": 0.25, "seed": null, "noise_shape": null}, "registered_name": null, "name": "drop", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 64], "dtype": "float32", "keras_history": ["concat2", 0, 0]}}], "kwargs": {"training": false}}]},
{"module": "keras.layers", "class_name": "Dense", "config": {"name": "fc", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "units": 10, "activation": "softmax", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null}, "registered_name": null, "build_config": {"input_shape": [null, 64]}, "name": "fc", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 64], "dtype": "float32", "keras_history": ["drop", 0, 0]}}], "kwargs": {}}]}
], "input_layers": ["input_layer", 0, 0], "output_layers": ["fc", 0, 0]}, "registered_name": "Functional", "build_config": {"input_shape": null}, "compile_config": {}}
"""#

    /// The `model_config` attribute Keras 3.15.1 wrote into a legacy full-model `.h5`
    /// (`model.save("tiny.h5")`): no "module"/"registered_name" on layers; Add's args[0] is a list.
    static let keras3H5 = #"""
{"class_name": "Functional", "config": {"name": "tiny", "trainable": true, "layers": [
{"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, "name": "input_layer", "inbound_nodes": []},
{"class_name": "Conv2D", "config": {"name": "c", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "filters": 4, "kernel_size": [1, 1], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "name": "c", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8, 8, 4], "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]},
{"class_name": "Add", "config": {"name": "sum", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}}, "name": "sum", "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"shape": [null, 8, 8, 4], "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"shape": [null, 8, 8, 4], "dtype": "float32", "keras_history": ["c", 0, 0]}}]], "kwargs": {}}]},
{"class_name": "GlobalAveragePooling2D", "config": {"name": "gap", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "data_format": "channels_last", "keepdims": false}, "name": "gap", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8, 8, 4], "dtype": "float32", "keras_history": ["sum", 0, 0]}}], "kwargs": {}}]},
{"class_name": "Dense", "config": {"name": "out", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "units": 2, "activation": "linear", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null}, "name": "out", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["gap", 0, 0]}}], "kwargs": {}}]}
], "input_layers": ["input_layer", 0, 0], "output_layers": ["out", 0, 0]}}
"""#

    /// Keras 3 `model.to_json()` of `Sequential([Input((16, 16, 1)), Conv2D(4, 3, relu),
    /// MaxPooling2D(), Flatten(), Dense(3, sigmoid, use_bias=False)], name="seq")`.
    static let sequential = #"""
{"module": "keras", "class_name": "Sequential", "config": {"name": "seq", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "layers": [
{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 16, 16, 1], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null},
{"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "conv2d", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 16, 16, 1]}},
{"module": "keras.layers", "class_name": "MaxPooling2D", "config": {"name": "max_pooling2d", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}, "registered_name": null},
{"module": "keras.layers", "class_name": "Flatten", "config": {"name": "flatten", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "data_format": "channels_last"}, "registered_name": null, "build_config": {"input_shape": [null, 7, 7, 4]}},
{"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "units": 3, "activation": "sigmoid", "use_bias": false, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null}, "registered_name": null, "build_config": {"input_shape": [null, 196]}}
], "build_input_shape": [null, 16, 16, 1]}, "registered_name": null, "build_config": {"input_shape": [null, 16, 16, 1]}, "compile_config": {}}
"""#

    /// A tf-keras 2.x legacy `.h5` `model_config`, written by hand in that format: nested-list
    /// inbound nodes, dtype strings, BatchNormalization axis as a list, `batch_input_shape`.
    /// Keras 3.15.1 loads it (legacy loader) and reports the counts used below.
    static let legacyFunctional = #"""
{"class_name": "Functional", "config": {"name": "model", "layers": [
{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 28, 28, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
{"class_name": "Conv2D", "config": {"name": "conv1", "trainable": true, "dtype": "float32", "filters": 8, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "name": "conv1", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
{"class_name": "BatchNormalization", "config": {"name": "bn_conv1", "trainable": false, "dtype": "float32", "axis": [3], "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true, "beta_initializer": {"class_name": "Zeros", "config": {}}, "gamma_initializer": {"class_name": "Ones", "config": {}}, "moving_mean_initializer": {"class_name": "Zeros", "config": {}}, "moving_variance_initializer": {"class_name": "Ones", "config": {}}, "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null}, "name": "bn_conv1", "inbound_nodes": [[["conv1", 0, 0, {}]]]},
{"class_name": "Activation", "config": {"name": "activation_1", "trainable": true, "dtype": "float32", "activation": "relu"}, "name": "activation_1", "inbound_nodes": [[["bn_conv1", 0, 0, {}]]]},
{"class_name": "Conv2D", "config": {"name": "res_a", "trainable": true, "dtype": "float32", "filters": 8, "kernel_size": [1, 1], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": false, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "name": "res_a", "inbound_nodes": [[["activation_1", 0, 0, {}]]]},
{"class_name": "Add", "config": {"name": "add_1", "trainable": true, "dtype": "float32"}, "name": "add_1", "inbound_nodes": [[["activation_1", 0, 0, {}], ["res_a", 0, 0, {}]]]},
{"class_name": "MaxPooling2D", "config": {"name": "max_pooling2d_1", "trainable": true, "dtype": "float32", "pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}, "name": "max_pooling2d_1", "inbound_nodes": [[["add_1", 0, 0, {}]]]},
{"class_name": "Flatten", "config": {"name": "flatten_1", "trainable": true, "dtype": "float32", "data_format": "channels_last"}, "name": "flatten_1", "inbound_nodes": [[["max_pooling2d_1", 0, 0, {}]]]},
{"class_name": "Dropout", "config": {"name": "dropout_1", "trainable": true, "dtype": "float32", "rate": 0.5, "noise_shape": null, "seed": null}, "name": "dropout_1", "inbound_nodes": [[["flatten_1", 0, 0, {}]]]},
{"class_name": "Dense", "config": {"name": "fc", "trainable": true, "dtype": "float32", "units": 10, "activation": "softmax", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "name": "fc", "inbound_nodes": [[["dropout_1", 0, 0, {}]]]}
], "input_layers": [["input_1", 0, 0]], "output_layers": [["fc", 0, 0]]}, "keras_version": "2.13.1", "backend": "tensorflow"}
"""#

    /// A Keras 2.2.4-style Sequential `model_config` (hand-written): no InputLayer, the first
    /// layer carries `batch_input_shape`; AveragePooling2D with `strides: null`. Keras's counts
    /// come from the equivalent Keras 3 Sequential model.
    static let legacySequential = #"""
{"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
{"class_name": "Conv2D", "config": {"name": "conv2d_1", "trainable": false, "batch_input_shape": [null, 28, 28, 1], "dtype": "float32", "filters": 32, "kernel_size": [5, 5], "strides": [2, 2], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}},
{"class_name": "ZeroPadding2D", "config": {"name": "zero_padding2d_1", "trainable": true, "padding": [1, 2], "data_format": "channels_last"}},
{"class_name": "AveragePooling2D", "config": {"name": "average_pooling2d_1", "trainable": true, "pool_size": [3, 3], "padding": "same", "strides": null, "data_format": "channels_last"}},
{"class_name": "Flatten", "config": {"name": "flatten_1", "trainable": true, "data_format": "channels_last"}},
{"class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "units": 10, "activation": "tanh", "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}}
]}, "keras_version": "2.2.4", "backend": "tensorflow"}
"""#

    /// Removes the line breaks added for readability, giving Keras's `json.dumps` text.
    static func compact(_ text: String) -> String {
        text.replacingOccurrences(of: "[\n", with: "[")
            .replacingOccurrences(of: ",\n", with: ", ")
            .replacingOccurrences(of: "\n]", with: "]")
    }
}

/// Files of Fixtures/architectures (written by Fixtures/make_architectures.py from real Keras).
private enum KerasArchitectureFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/architectures")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func exist(_ model: String) -> Bool {
        FileManager.default.fileExists(atPath: url("\(model).config.json").path)
            && FileManager.default.fileExists(atPath: url("\(model).json").path)
    }

    static func config(_ model: String) throws -> String { try String(contentsOf: url("\(model).config.json"), encoding: .utf8) }

    static func structure(_ model: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url("\(model).json"))) as! [String: Any]
    }
}

/// One layer as Keras reports it: name, class, output shape without batch, params, inbound layers.
private struct KerasLayer {
    var name: String
    var className: String
    var shape: [Int]
    var params: Int
    var inputs: [String]
    init(_ name: String, _ className: String, _ shape: [Int], _ params: Int, _ inputs: [String] = []) {
        self.name = name
        self.className = className
        self.shape = shape
        self.params = params
        self.inputs = inputs
    }
}

@Suite struct KerasConfigTests {
    private func expectLayers(_ graph: Graph, _ expected: [KerasLayer], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(graph.nodes.map(\.name) == expected.map(\.name), sourceLocation: sourceLocation)
        for (node, layer) in zip(graph.nodes, expected) {
            #expect(node.op.kerasClassName == layer.className, "\(node.name)", sourceLocation: sourceLocation)
            #expect(node.outputShape == layer.shape, "\(node.name)", sourceLocation: sourceLocation)
            #expect(node.parameterCount == layer.params, "\(node.name)", sourceLocation: sourceLocation)
            #expect(node.inputs == layer.inputs, "\(node.name)", sourceLocation: sourceLocation)
        }
    }

    private func roundTrip(_ graph: Graph, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let exported = try KerasConfigExporter.json(for: graph)
        let reimported = try KerasConfigImporter.graph(fromJSON: exported)
        #expect(reimported == graph, sourceLocation: sourceLocation)
    }

    // MARK: - Keras 3 functional (to_json / config.json)

    @Test func importsKeras3Functional() throws {
        let graph = try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.functional)
        expectLayers(graph, [
            KerasLayer("input_layer", "InputLayer", [32, 32, 3], 0),
            KerasLayer("rescale", "Rescaling", [32, 32, 3], 0, ["input_layer"]),
            KerasLayer("pad", "ZeroPadding2D", [35, 33, 3], 0, ["rescale"]),
            KerasLayer("conv1", "Conv2D", [18, 17, 16], 432, ["pad"]),
            KerasLayer("bn1", "BatchNormalization", [18, 17, 16], 64, ["conv1"]),
            KerasLayer("relu1", "ReLU", [18, 17, 16], 0, ["bn1"]),
            KerasLayer("dw", "DepthwiseConv2D", [18, 17, 16], 160, ["relu1"]),
            KerasLayer("bn2", "BatchNormalization", [18, 17, 16], 48, ["dw"]),
            KerasLayer("act2", "Activation", [18, 17, 16], 0, ["bn2"]),
            KerasLayer("add", "Add", [18, 17, 16], 0, ["relu1", "act2"]),
            KerasLayer("concat", "Concatenate", [18, 17, 32], 0, ["add", "act2"]),
            KerasLayer("pool", "MaxPooling2D", [9, 8, 32], 0, ["concat"]),
            KerasLayer("avg", "AveragePooling2D", [9, 8, 32], 0, ["pool"]),
            KerasLayer("gap", "GlobalAveragePooling2D", [32], 0, ["avg"]),
            KerasLayer("gmp", "GlobalMaxPooling2D", [32], 0, ["avg"]),
            KerasLayer("concat2", "Concatenate", [64], 0, ["gap", "gmp"]),
            KerasLayer("drop", "Dropout", [64], 0, ["concat2"]),
            KerasLayer("fc", "Dense", [10], 650, ["drop"]),
        ])
        #expect(graph.totalParameterCount == 1354)
        #expect(graph.trainableParameterCount == 858)
        #expect(graph.outputs == ["fc"])
        #expect(graph.inputNodes.map(\.name) == ["input_layer"])
        #expect(graph.nodes.filter { !$0.trainable }.map(\.name) == ["conv1"])

        #expect(graph.node("rescale")?.op == .rescaling(scale: 1.0 / 255.0, offset: -0.5))
        #expect(graph.node("pad")?.op == .zeroPadding2D(top: 1, bottom: 2, left: 0, right: 1))
        #expect(graph.node("conv1")?.op == .conv2D(ConvAttributes(filters: 16, kernel: [3, 3], strides: [2, 2], padding: .same, useBias: false)))
        #expect(graph.node("bn1")?.op == .batchNormalization(BatchNormAttributes(axis: -1, epsilon: 1.001e-5)))
        #expect(graph.node("relu1")?.op == .relu)
        #expect(graph.node("dw")?.op == .depthwiseConv2D(ConvAttributes(filters: 1, kernel: [3, 3], padding: .same)))
        #expect(graph.node("bn2")?.op == .batchNormalization(BatchNormAttributes(axis: 3, epsilon: 1e-3, center: false, scale: true)))
        #expect(graph.node("act2")?.op == .activation(.relu))
        #expect(graph.node("concat")?.op == .concatenate(axis: -1))
        #expect(graph.node("pool")?.op == .maxPooling2D(PoolAttributes(size: [2, 2], strides: [2, 2])))
        #expect(graph.node("avg")?.op == .averagePooling2D(PoolAttributes(size: [2, 2], strides: [1, 1], padding: .same)))
        #expect(graph.node("drop")?.op == .dropout(rate: 0.25))
        #expect(graph.node("fc")?.op == .dense(DenseAttributes(units: 10, activation: .softmax)))
        #expect(graph.node("bn2")?.weights.map(\.name) == ["gamma", "moving_mean", "moving_variance"])
        #expect(graph.node("dw")?.weights.map(\.shape) == [[3, 3, 16, 1], [16]])
    }

    @Test func exportReproducesKeras3ToJSONByteForByte() throws {
        let graph = try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.functional)
        let exported = try KerasConfigExporter.json(for: graph, modelName: "small")
        #expect(exported == KerasConfigSamples.compact(KerasConfigSamples.functional))
    }

    @Test func importsKeras3LegacyH5ModelConfig() throws {
        let graph = try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.keras3H5)
        expectLayers(graph, [
            KerasLayer("input_layer", "InputLayer", [8, 8, 4], 0),
            KerasLayer("c", "Conv2D", [8, 8, 4], 20, ["input_layer"]),
            KerasLayer("sum", "Add", [8, 8, 4], 0, ["input_layer", "c"]),
            KerasLayer("gap", "GlobalAveragePooling2D", [4], 0, ["sum"]),
            KerasLayer("out", "Dense", [2], 10, ["gap"]),
        ])
        #expect(graph.totalParameterCount == 30)
        #expect(graph.outputs == ["out"])
        try roundTrip(graph)
    }

    // MARK: - Legacy (tf-keras 2.x / Keras 2) configs

    @Test func importsLegacyFunctionalWithNestedListInboundNodes() throws {
        let graph = try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.legacyFunctional)
        expectLayers(graph, [
            KerasLayer("input_1", "InputLayer", [28, 28, 3], 0),
            KerasLayer("conv1", "Conv2D", [28, 28, 8], 224, ["input_1"]),
            KerasLayer("bn_conv1", "BatchNormalization", [28, 28, 8], 32, ["conv1"]),
            KerasLayer("activation_1", "Activation", [28, 28, 8], 0, ["bn_conv1"]),
            KerasLayer("res_a", "Conv2D", [28, 28, 8], 64, ["activation_1"]),
            KerasLayer("add_1", "Add", [28, 28, 8], 0, ["activation_1", "res_a"]),
            KerasLayer("max_pooling2d_1", "MaxPooling2D", [14, 14, 8], 0, ["add_1"]),
            KerasLayer("flatten_1", "Flatten", [1568], 0, ["max_pooling2d_1"]),
            KerasLayer("dropout_1", "Dropout", [1568], 0, ["flatten_1"]),
            KerasLayer("fc", "Dense", [10], 15690, ["dropout_1"]),
        ])
        #expect(graph.totalParameterCount == 16010)
        #expect(graph.trainableParameterCount == 15978)
        #expect(graph.outputs == ["fc"])
        #expect(graph.node("bn_conv1")?.trainable == false)
        #expect(graph.node("bn_conv1")?.op == .batchNormalization(BatchNormAttributes(axis: 3, epsilon: 1e-3)))
        #expect(graph.node("res_a")?.op == .conv2D(ConvAttributes(filters: 8, kernel: [1, 1], useBias: false, activation: .relu)))
        #expect(graph.node("dropout_1")?.op == .dropout(rate: 0.5))
        try roundTrip(graph)
    }

    @Test func importsKeras3Sequential() throws {
        let graph = try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.sequential)
        expectLayers(graph, [
            KerasLayer("input_layer", "InputLayer", [16, 16, 1], 0),
            KerasLayer("conv2d", "Conv2D", [14, 14, 4], 40, ["input_layer"]),
            KerasLayer("max_pooling2d", "MaxPooling2D", [7, 7, 4], 0, ["conv2d"]),
            KerasLayer("flatten", "Flatten", [196], 0, ["max_pooling2d"]),
            KerasLayer("dense", "Dense", [3], 588, ["flatten"]),
        ])
        #expect(graph.totalParameterCount == 628)
        #expect(graph.outputs == ["dense"])
        #expect(graph.node("conv2d")?.op == .conv2D(ConvAttributes(filters: 4, kernel: [3, 3], activation: .relu)))
        #expect(graph.node("dense")?.op == .dense(DenseAttributes(units: 3, useBias: false, activation: .sigmoid)))
        try roundTrip(graph)
    }

    @Test func importsLegacySequentialWithoutInputLayer() throws {
        let expected = [
            KerasLayer("input_layer", "InputLayer", [28, 28, 1], 0),
            KerasLayer("conv2d_1", "Conv2D", [12, 12, 32], 832, ["input_layer"]),
            KerasLayer("zero_padding2d_1", "ZeroPadding2D", [14, 16, 32], 0, ["conv2d_1"]),
            KerasLayer("average_pooling2d_1", "AveragePooling2D", [5, 6, 32], 0, ["zero_padding2d_1"]),
            KerasLayer("flatten_1", "Flatten", [960], 0, ["average_pooling2d_1"]),
            KerasLayer("dense_1", "Dense", [10], 9610, ["flatten_1"]),
        ]
        let graph = try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.legacySequential)
        expectLayers(graph, expected)
        #expect(graph.totalParameterCount == 10442)
        #expect(graph.trainableParameterCount == 9610)
        #expect(graph.node("conv2d_1")?.trainable == false)
        #expect(graph.node("zero_padding2d_1")?.op == .zeroPadding2D(top: 1, bottom: 1, left: 2, right: 2))
        #expect(graph.node("average_pooling2d_1")?.op == .averagePooling2D(PoolAttributes(size: [3, 3], strides: [3, 3], padding: .same)))
        #expect(graph.node("dense_1")?.op == .dense(DenseAttributes(units: 10, activation: .tanh)))
        #expect(graph.outputs == ["dense_1"])
        try roundTrip(graph)

        // Keras 2.0/2.1 wrote a Sequential's config as the bare list of layers.
        var object = try JSONSerialization.jsonObject(with: Data(KerasConfigSamples.legacySequential.utf8)) as! [String: Any]
        object["config"] = (object["config"] as! [String: Any])["layers"]
        let bare = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(try KerasConfigImporter.graph(fromJSON: bare) == graph)
    }

    // MARK: - keras.applications fixtures

    private func checkAgainstFixture(_ model: String, totalParams: Int) throws {
        let graph = try KerasConfigImporter.graph(fromJSON: try KerasArchitectureFixtures.config(model))
        let structure = try KerasArchitectureFixtures.structure(model)
        let rows = structure["layers"] as! [[Any]]
        #expect(graph.totalParameterCount == totalParams)
        #expect(graph.totalParameterCount == structure["total_params"] as? Int)
        #expect(graph.trainableParameterCount == structure["trainable_params"] as? Int)
        #expect(graph.nodes.count == rows.count)
        for (node, row) in zip(graph.nodes, rows) {
            let shape = (row[2] as! [Any]).dropFirst().map { $0 as! Int }
            #expect(node.name == row[0] as? String)
            #expect(node.op.kerasClassName == row[1] as? String, "\(node.name)")
            #expect(node.outputShape == shape, "\(node.name)")
            #expect(node.parameterCount == row[3] as? Int, "\(node.name)")
            #expect(node.inputs == row[4] as? [String], "\(node.name)")
        }
        #expect(graph.outputs == [rows.last?[0] as? String ?? ""])
        // The exporter writes exactly what Keras's to_json() wrote.
        let name = (try JSONSerialization.jsonObject(with: Data(try KerasArchitectureFixtures.config(model).utf8)) as! [String: Any])["config"]
            .flatMap { ($0 as? [String: Any])?["name"] as? String } ?? "functional"
        #expect(try KerasConfigExporter.json(for: graph, modelName: name) == (try KerasArchitectureFixtures.config(model)))
        try roundTrip(graph)
    }

    @Test(.enabled(if: KerasArchitectureFixtures.exist("resnet50_top"),
                   "Fixtures/architectures/resnet50_top.config.json or resnet50_top.json is missing; run Fixtures/make_architectures.py"))
    func resnet50FixtureMatchesKeras() throws {
        try checkAgainstFixture("resnet50_top", totalParams: 25_636_712)
    }

    @Test(.enabled(if: KerasArchitectureFixtures.exist("vgg16_top"),
                   "Fixtures/architectures/vgg16_top.config.json or vgg16_top.json is missing; run Fixtures/make_architectures.py"))
    func vgg16FixtureMatchesKeras() throws {
        try checkAgainstFixture("vgg16_top", totalParams: 138_357_544)
    }

    @Test(.enabled(if: KerasArchitectureFixtures.exist("mobilenet_top"),
                   "Fixtures/architectures/mobilenet_top.config.json or mobilenet_top.json is missing; run Fixtures/make_architectures.py"))
    func mobilenetFixtureMatchesKerasAndTheBuilder() throws {
        try checkAgainstFixture("mobilenet_top", totalParams: 4_253_864)
        // Keras's own config imports as exactly the builder's graph (ReLU(6), DepthwiseConv2D,
        // keepdims pooling, Reshape), and the builder's graph exports as Keras's config.
        let imported = try KerasConfigImporter.graph(fromJSON: try KerasArchitectureFixtures.config("mobilenet_top"))
        #expect(imported == (try Architecture.mobilenet.build()))
        #expect(try KerasConfigExporter.json(for: try Architecture.mobilenet.build(), modelName: "mobilenet_1.00_224")
                == (try KerasArchitectureFixtures.config("mobilenet_top")))
    }

    // MARK: - Round trips

    /// A graph with every op, built through the Graph API, with frozen layers.
    static func handBuiltGraph() throws -> Graph {
        var g = Graph()
        try g.add("image", .input(shape: [20, 24, 3]))
        try g.add("scale", .rescaling(scale: 2.0 / 255.0, offset: -1), inputs: ["image"])
        try g.add("pad", .zeroPadding2D(top: 0, bottom: 1, left: 2, right: 3), inputs: ["scale"])
        try g.add("stem", .conv2D(ConvAttributes(filters: 8, kernel: [3, 5], strides: [2, 1], padding: .valid, dilation: [1, 1], useBias: true, activation: .tanh)), inputs: ["pad"])
        try g.add("stem_bn", .batchNormalization(BatchNormAttributes(axis: 3, epsilon: 1.001e-5, center: true, scale: false)), inputs: ["stem"])
        try g.add("stem_relu", .relu, inputs: ["stem_bn"])
        try g.add("dw", .depthwiseConv2D(ConvAttributes(filters: 2, kernel: [3, 3], strides: [1, 1], padding: .same, useBias: false)), inputs: ["stem_relu"])
        try g.add("pw", .conv2D(ConvAttributes(filters: 8, kernel: [3, 3], padding: .same, dilation: [2, 1], activation: .sigmoid)), inputs: ["dw"])
        try g.add("sum", .add, inputs: ["stem_relu", "pw", "stem_relu"])
        try g.add("cat", .concatenate(axis: 3), inputs: ["sum", "dw"])
        try g.add("max", .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2], padding: .same)), inputs: ["cat"])
        try g.add("avg", .averagePooling2D(PoolAttributes(size: [2, 2])), inputs: ["max"])
        try g.add("act", .activation(.softmax), inputs: ["avg"])
        try g.add("gap", .globalAveragePooling2D, inputs: ["act"])
        try g.add("gmp", .globalMaxPooling2D, inputs: ["act"])
        try g.add("flat", .flatten, inputs: ["avg"])
        try g.add("feat", .concatenate(axis: -1), inputs: ["gap", "gmp", "flat"])
        try g.add("drop", .dropout(rate: 0.3), inputs: ["feat"])
        try g.add("logits", .dense(DenseAttributes(units: 7, useBias: false, activation: .linear)), inputs: ["drop"])
        try g.add("probs", .activation(.softmax), inputs: ["logits"])
        try g.add("aux", .dense(DenseAttributes(units: 2, activation: .relu)), inputs: ["gap"])
        try g.freeze(through: "stem_bn")
        try g.setTrainable("dw", false)
        g.outputs = ["probs", "aux"]
        return g
    }

    @Test func roundTripsEverySample() throws {
        for sample in [KerasConfigSamples.functional, KerasConfigSamples.keras3H5, KerasConfigSamples.sequential,
                       KerasConfigSamples.legacyFunctional, KerasConfigSamples.legacySequential] {
            try roundTrip(try KerasConfigImporter.graph(fromJSON: sample))
        }
    }

    @Test func roundTripsHandBuiltGraphWithEveryOp() throws {
        let graph = try Self.handBuiltGraph()
        try roundTrip(graph)
        let exported = try KerasConfigExporter.json(for: graph, modelName: "hand")
        let object = try JSONSerialization.jsonObject(with: Data(exported.utf8)) as! [String: Any]
        let config = object["config"] as! [String: Any]
        #expect(object["class_name"] as? String == "Functional")
        #expect(object["module"] as? String == "keras.src.models.functional")
        #expect(config["name"] as? String == "hand")
        #expect((config["input_layers"] as? [Any])?.first as? String == "image")
        #expect((config["output_layers"] as? [[Any]])?.map { $0.first as? String } == ["probs", "aux"])
        let layers = config["layers"] as! [[String: Any]]
        #expect(layers.map { $0["name"] as! String } == graph.nodes.map(\.name))
        // Merge layers take the list of keras tensors as args[0].
        let sum = layers.first { $0["name"] as? String == "sum" }!
        let args = ((sum["inbound_nodes"] as! [[String: Any]])[0]["args"] as! [Any])
        #expect(args.count == 1)
        #expect((args[0] as? [Any])?.count == 3)
    }

    @Test func roundTripsArchitectureBuilders() throws {
        for architecture in [Architecture.resnet50, .vgg16, .mobilenet, .mobilenetv2, .xception, .inceptionresnetv2] {
            try roundTrip(try architecture.build())
        }
    }

    // MARK: - Errors

    private func functionalConfig(extraLayer: String, output: String) -> String {
        """
        {"class_name": "Functional", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 10, 4], "dtype": "float32", "name": "in"}, "name": "in", "inbound_nodes": []},
        \(extraLayer)], "input_layers": [["in", 0, 0]], "output_layers": [["\(output)", 0, 0]]}}
        """
    }

    @Test func unsupportedClassNamesLayerAndClass() throws {
        let json = functionalConfig(extraLayer: #"{"class_name": "LSTM", "config": {"name": "lstm", "units": 8}, "name": "lstm", "inbound_nodes": [[["in", 0, 0, {}]]]}"#, output: "lstm")
        #expect(throws: GraphError.unsupportedLayer(name: "lstm", className: "LSTM")) { try KerasConfigImporter.graph(fromJSON: json) }
        // Keras 3 inbound nodes too.
        let keras3 = KerasConfigSamples.functional.replacingOccurrences(of: #""class_name": "Dropout""#, with: #""class_name": "SpatialDropout2D""#)
        #expect(throws: GraphError.unsupportedLayer(name: "drop", className: "SpatialDropout2D")) { try KerasConfigImporter.graph(fromJSON: keras3) }
    }

    private func unsupportedDetail(_ json: String) -> (name: String, detail: String)? {
        do {
            _ = try KerasConfigImporter.graph(fromJSON: json)
            return nil
        } catch GraphError.unsupportedLayer(let name, let className) {
            return (name, className)
        } catch {
            return nil
        }
    }

    @Test func unsupportedOptionsNameTheOption() throws {
        let sample = KerasConfigSamples.functional
        let cases: [(String, String, String, String)] = [
            (#""activation": "softmax""#, #""activation": "mish""#, "fc", "mish"),
            (#""activation": "softmax""#, #""activation": "gelu_tanh""#, "fc", "gelu_tanh"),
            (#""data_format": "channels_last""#, #""data_format": "channels_first""#, "pad", "channels_first"),
            (#""groups": 1"#, #""groups": 2"#, "conv1", "groups"),
            (#""axis": 3, "momentum""#, #""axis": 1, "momentum""#, "bn2", "axis 1"),
        ]
        for (old, new, layer, detail) in cases {
            let json = sample.replacingOccurrences(of: old, with: new)
            #expect(json != sample, "sample lacks \(old)")
            let found = unsupportedDetail(json)
            #expect(found?.name == layer, "\(new)")
            #expect(found?.detail.contains(detail) == true, "\(new): \(found?.detail ?? "no error")")
        }
    }

    /// Nested models are read (NestedModelTests); an empty one is an error that names it.
    @Test func emptyNestedModelIsInvalid() throws {
        let nested = #"{"class_name": "Functional", "config": {"name": "inner", "layers": [], "input_layers": [], "output_layers": []}, "name": "inner", "inbound_nodes": [[["in", 0, 0, {}]]]}"#
        let functional = #expect(throws: GraphError.self) { try KerasConfigImporter.graph(fromJSON: functionalConfig(extraLayer: nested, output: "inner")) }
        #expect(functional.map { "\($0)".contains("inner") } == true, "\(functional.map { "\($0)" } ?? "")")
        let sequential = #"{"class_name": "Sequential", "config": {"name": "block", "layers": []}, "name": "block", "inbound_nodes": [[["in", 0, 0, {}]]]}"#
        let chain = #expect(throws: GraphError.self) { try KerasConfigImporter.graph(fromJSON: functionalConfig(extraLayer: sequential, output: "block")) }
        #expect(chain.map { "\($0)".contains("'block'") } == true)
    }

    @Test func sharedLayerIsUnsupported() throws {
        let shared = #"{"class_name": "Dense", "config": {"name": "d", "units": 3}, "name": "d", "inbound_nodes": [[["in", 0, 0, {}]], [["in", 0, 0, {}]]]}"#
        let found = unsupportedDetail(functionalConfig(extraLayer: shared, output: "d"))
        #expect(found?.name == "d")
        #expect(found?.detail.contains("shared") == true)
    }

    @Test func malformedJSONIsInvalidConfig() throws {
        let bad = [
            "", "{not json", "[1, 2", "42", #"{"config": {}}"#, #"{"class_name": "Functional"}"#,
            #"{"class_name": "Functional", "config": {"layers": 3}}"#,
            #"{"class_name": "Functional", "config": {"layers": [{"config": {"name": "x"}}]}}"#,
            #"{"class_name": "Sequential", "config": {"layers": []}}"#,
            #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}]}}"#,
            functionalConfig(extraLayer: #"{"class_name": "Dense", "config": {"name": "d", "units": "many"}, "name": "d", "inbound_nodes": [[["in", 0, 0, {}]]]}"#, output: "d"),
            functionalConfig(extraLayer: #"{"class_name": "Dense", "config": {"name": "d", "units": 3}, "name": "d", "inbound_nodes": [[["nowhere", 0, 0, {}]]]}"#, output: "d"),
            functionalConfig(extraLayer: #"{"class_name": "Dense", "config": {"name": "d", "units": 3}, "name": "d", "inbound_nodes": [[["in", 0, 0, {}]]]}"#, output: "missing"),
            KerasConfigSamples.functional.replacingOccurrences(of: #""keras_history": ["relu1", 0, 0]"#, with: #""keras_history": "relu1""#),
        ]
        for json in bad {
            let error = #expect(throws: GraphError.self, "\(json.prefix(120))") { try KerasConfigImporter.graph(fromJSON: json) }
            if let error, case .invalidConfig = error {} else { Issue.record("expected invalidConfig, got \(String(describing: error)) for \(json.prefix(120))") }
        }
    }

    @Test func exportRejectsEmptyGraph() throws {
        let error = #expect(throws: GraphError.self) { try KerasConfigExporter.json(for: Graph()) }
        if let error, case .invalidConfig = error {} else { Issue.record("expected invalidConfig, got \(String(describing: error))") }
    }

    // MARK: - Export for the real-Keras check

    /// With ZOO_EXPORT_DIR set, writes `<name>.json` (the exporter's output) and
    /// `<name>.expected.json` (the graph's layer names, output shapes with batch dim, parameter
    /// counts and trainable flags) for a Python script to load with real Keras.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ZOO_EXPORT_DIR"] != nil, "set ZOO_EXPORT_DIR to write exported configs"))
    func writeExportsForRealKeras() throws {
        let directory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["ZOO_EXPORT_DIR"]!)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var graphs: [(String, Graph)] = [
            ("small", try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.functional)),
            ("keras3_h5", try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.keras3H5)),
            ("sequential", try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.sequential)),
            ("legacy_functional", try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.legacyFunctional)),
            ("legacy_sequential", try KerasConfigImporter.graph(fromJSON: KerasConfigSamples.legacySequential)),
            ("hand_built", try Self.handBuiltGraph()),
            ("resnet50_builder", try Architecture.resnet50.build()),
        ]
        for model in ["resnet50_top", "vgg16_top"] where KerasArchitectureFixtures.exist(model) {
            graphs.append((model, try KerasConfigImporter.graph(fromJSON: try KerasArchitectureFixtures.config(model))))
        }
        for (name, graph) in graphs {
            try KerasConfigExporter.json(for: graph, modelName: name).write(to: directory.appendingPathComponent("\(name).json"), atomically: true, encoding: .utf8)
            let expected: [String: Any] = [
                "layers": graph.nodes.map { [$0.name, [NSNull()] + $0.outputShape.map { $0 as Any }, $0.parameterCount, $0.trainable] as [Any] },
                "outputs": graph.effectiveOutputs,
                "total_params": graph.totalParameterCount,
                "trainable_params": graph.trainableParameterCount,
            ]
            try JSONSerialization.data(withJSONObject: expected).write(to: directory.appendingPathComponent("\(name).expected.json"))
        }
    }
}

/// Issue 12's ops through a real Keras 3 config (Fixtures/compute/ops2.keras, written by
/// Keras 3.15.1): every layer imports, and the export is Keras's own `config.json` byte for byte
/// (apart from the `shared_object_id`s `model.save` adds, which are memory addresses).
@Suite struct KerasConfigIssue12Tests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/compute/ops2.keras").path

    @Test func ops2ConfigRoundTripsByteForByte() throws {
        let checkpoint = try CheckpointReader.read(Self.path)
        let saved = try #require(checkpoint.modelConfig)
        let config = saved.replacingOccurrences(of: #", "shared_object_id": [0-9]+"#, with: "", options: .regularExpression)
        let graph = try KerasConfigImporter.graph(fromJSON: config)
        #expect(graph.node("sep")?.op == .separableConv2D(SeparableConvAttributes(filters: 6, kernel: [3, 3], strides: [2, 2], padding: .same, depthMultiplier: 2)))
        #expect(graph.node("relu6_layer")?.op == .reluLayer(ReLUAttributes(maxValue: 6)))
        #expect(graph.node("relu_args")?.op == .reluLayer(ReLUAttributes(maxValue: 0.8, negativeSlope: 0.1, threshold: 0.3)))
        #expect(graph.node("act_swish")?.op == .activation(.silu))
        #expect(graph.node("act_hard_swish")?.op == .activation(.hardSilu))
        #expect(graph.node("act_hard_sigmoid")?.op == .activation(.hardSigmoid))
        #expect(graph.node("se_squeeze")?.op == .globalAveragePooling2DKeepingDims)
        #expect(graph.node("se_gate")?.outputShape == [5, 5, 6])
        #expect(graph.node("norm")?.weights.map(\.name) == ["mean", "variance", "count"])
        #expect(graph.node("norm_const")?.weights.isEmpty == true)
        #expect(graph.node("layer_scale")?.weights.map(\.shape) == [[6]])
        let exported = try KerasConfigExporter.json(for: graph, modelName: "ops2")
        if exported != config {
            let a = Array(exported.utf8), b = Array(config.utf8)
            let at = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            Issue.record("export differs at byte \(at): ours …\(String(decoding: a[max(0, at - 120)..<min(a.count, at + 120)], as: UTF8.self))… Keras …\(String(decoding: b[max(0, at - 120)..<min(b.count, at + 120)], as: UTF8.self))…")
        }
        #expect(try KerasConfigImporter.graph(fromJSON: exported) == graph)
    }

    /// A Lambda layer and a custom class are errors that name the layer and the class.
    @Test func lambdaAndCustomLayersAreNamed() throws {
        func layer(_ module: String, _ cls: String) -> String {
            #"{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "m", "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "input_layer"}, "inbound_nodes": []}, {"module": "\#(module)", "class_name": "\#(cls)", "config": {"name": "odd", "function": {"class_name": "__lambda__"}}, "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]}], "input_layers": ["input_layer", 0, 0], "output_layers": ["odd", 0, 0]}}"#
        }
        for (module, cls, fragment) in [("keras.layers", "Lambda", "layer 'odd' has unsupported type Lambda (Python code stored in the model"),
                                        ("my_project.blocks", "FancyBlock", "layer 'odd' has unsupported type FancyBlock from my_project.blocks (a custom layer"),
                                        ("keras.src.ops.numpy", "Sin", "layer 'odd' has unsupported type Sin from keras.src.ops.numpy (a Keras op"),
                                        ("keras.src.ops.numpy", "Add", "layer 'odd' has unsupported type Add from keras.src.ops.numpy of 1 tensor(s) and 0 other")] {
            #expect { try KerasConfigImporter.graph(fromJSON: layer(module, cls)) } throws: { error in
                "\(error)".hasPrefix(fragment)
            }
        }
    }
}
