"""Advice for legacy names that have no successor of the same name in the installed stack.

This is text, not a verdict: ``verdicts`` shows it only after the probe found that a name
fails (or resolves only through the tf.keras compatibility surface) and that no public
path of the same name exists in plain ``keras`` (``verdicts.Judge.find_replacement``). Each
entry lists, after its text, the paths the text advises; ``tests/test_advice.py`` checks
that every one of them resolves in the installed stack and appears in the text. Sources:
the Keras 3 migration guide (https://keras.io/guides/migrating_to_keras_3/) and the Keras
2.x release notes.
"""

from __future__ import annotations

# legacy leaf name -> (advice, paths the advice names)
ADVICE: dict[str, tuple[str, tuple[str, ...]]] = {
    "Merge": (
        "the Keras 1 `Merge` layer is gone: use `keras.layers.Add`, `keras.layers.Concatenate`, "
        "`keras.layers.Multiply` or `keras.layers.Dot`",
        (
            "keras.layers.Add",
            "keras.layers.Concatenate",
            "keras.layers.Multiply",
            "keras.layers.Dot",
        ),
    ),
    "merge": (
        "Keras 1's `merge(..., mode=...)` is gone: use `keras.layers.add`, "
        "`keras.layers.concatenate`, `keras.layers.multiply` or `keras.layers.dot`",
        (
            "keras.layers.add",
            "keras.layers.concatenate",
            "keras.layers.multiply",
            "keras.layers.dot",
        ),
    ),
    "multi_gpu_model": (
        "build and compile the model inside `tf.distribute.MirroredStrategy().scope()`",
        ("tensorflow.distribute.MirroredStrategy",),
    ),
    "ImageDataGenerator": (
        "the Keras 3 way is `keras.utils.image_dataset_from_directory` with augmentation layers "
        "(`keras.layers.RandomFlip`, `keras.layers.RandomRotation`, `keras.layers.RandomZoom`)",
        (
            "keras.utils.image_dataset_from_directory",
            "keras.layers.RandomFlip",
            "keras.layers.RandomRotation",
            "keras.layers.RandomZoom",
        ),
    ),
    "Tokenizer": (
        "the Keras 3 way is the `keras.layers.TextVectorization` layer",
        ("keras.layers.TextVectorization",),
    ),
    "KerasClassifier": (
        "use `keras.wrappers.SKLearnClassifier(model=build_fn, ...)` (it needs scikit-learn)",
        ("keras.wrappers.SKLearnClassifier",),
    ),
    "KerasRegressor": (
        "use `keras.wrappers.SKLearnRegressor(model=build_fn, ...)` (it needs scikit-learn)",
        ("keras.wrappers.SKLearnRegressor",),
    ),
    "CuDNNLSTM": (
        "use `keras.layers.LSTM`: it runs the cuDNN kernel on a GPU with its default arguments",
        ("keras.layers.LSTM",),
    ),
    "CuDNNGRU": (
        "use `keras.layers.GRU`: it runs the cuDNN kernel on a GPU with its default arguments",
        ("keras.layers.GRU",),
    ),
    "get_session": (
        "Keras 3 has no sessions: delete the call (`keras.backend.clear_session` resets Keras)",
        ("keras.backend.clear_session",),
    ),
    "set_session": (
        "Keras 3 has no sessions: delete the call; for GPU memory growth use "
        "`tf.config.experimental.set_memory_growth`",
        ("tensorflow.config.experimental.set_memory_growth",),
    ),
    "placeholder": ("use `keras.Input(shape=...)`", ("keras.Input",)),
    "function": (
        "build a `keras.Model(inputs, outputs)` and call it instead of `K.function`",
        ("keras.Model",),
    ),
    "learning_phase": (
        "pass `training=True` or `training=False` when calling the model or layer "
        "(`keras.Model.__call__`)",
        ("keras.Model.__call__",),
    ),
    "set_learning_phase": (
        "pass `training=True` or `training=False` when calling the model or layer "
        "(`keras.Model.__call__`)",
        ("keras.Model.__call__",),
    ),
    "image_dim_ordering": (
        "use `keras.backend.image_data_format()` ('channels_last' or 'channels_first')",
        ("keras.backend.image_data_format",),
    ),
    "set_image_dim_ordering": (
        "use `keras.backend.set_image_data_format('channels_last')` ('th' was 'channels_first')",
        ("keras.backend.set_image_data_format",),
    ),
    "int_shape": ("use `tuple(x.shape)` or `keras.ops.shape(x)`", ("keras.ops.shape",)),
    "eval": ("use `keras.ops.convert_to_numpy(x)`", ("keras.ops.convert_to_numpy",)),
    "get_value": ("use `keras.ops.convert_to_numpy(x)`", ("keras.ops.convert_to_numpy",)),
    "batch_get_value": ("use `keras.ops.convert_to_numpy(x)`", ("keras.ops.convert_to_numpy",)),
    "set_value": (
        "use `variable.assign(value)` (`keras.Variable.assign`)",
        ("keras.Variable.assign",),
    ),
    "variable": ("use `keras.Variable(value)`", ("keras.Variable",)),
    "plot": ("use `keras.utils.plot_model`", ("keras.utils.plot_model",)),
}

# Keyword arguments of Keras 1/2 whose Keras 3 name is another one. Shown only after the
# probe found that the callee does not accept the old keyword and does accept the new one.
KEYWORD_RENAMES: dict[str, str] = {
    "lr": "learning_rate",
    "nb_epoch": "epochs",
    "output_dim": "units",
    "init": "kernel_initializer",
    "border_mode": "padding",
    "subsample": "strides",
    "dim_ordering": "data_format",
    "nb_filter": "filters",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "generator": "x",
    "nb_val_samples": "validation_steps",
    "samples_per_epoch": "steps_per_epoch",
}

# A keyword's successor, keyed by (class name, or the kind of Keras class, old keyword):
# (successor, same meaning, what differs). Shown only after the probe found that the old
# keyword raises and the call with the successor does not; rewritten by ``make migrate``
# only when the meaning is the same. ``tests/test_advice.py`` constructs each class with
# the old keyword (it must raise) and with the successor (it must not).
KEYWORD_SUCCESSORS: dict[tuple[str, str], tuple[str, bool, str]] = {
    ("optimizer", "lr"): ("learning_rate", True, ""),
    ("Model", "input"): ("inputs", True, ""),
    ("Model", "output"): ("outputs", True, ""),
    ("L1", "l"): ("l1", True, ""),
    ("L2", "l"): ("l2", True, ""),
    ("ModelCheckpoint", "period"): (
        "save_freq",
        False,
        "`period=N` saved every N epochs, while `save_freq=N` saves every N batches and "
        '`save_freq="epoch"` at the end of every epoch',
    ),
}

# Model methods Keras 2 had and keras.Model lacks (the list itself comes from the probe,
# ``probe.removed_methods``): what to call instead, and the paths that text names.
METHOD_ADVICE: dict[str, tuple[str, tuple[str, ...]]] = {
    "predict_classes": (
        "use `numpy.argmax(model.predict(x), axis=-1)` for a softmax output, "
        '`(model.predict(x) > 0.5).astype("int32")` for a sigmoid output',
        ("keras.Model.predict", "numpy.argmax"),
    ),
    "predict_proba": (
        "use `model.predict(x)`: with a softmax or sigmoid output it returns the probabilities",
        ("keras.Model.predict",),
    ),
    "to_yaml": ("use `model.to_json()` (YAML was removed)", ("keras.Model.to_json",)),
    "get_losses_for": ("use `model.losses`", ("keras.Model.losses",)),
}

# Keyword arguments a Keras 3 class accepts and drops (the probe finds them by building the
# class: ``probe.dropped_keywords``), keyed by (class name, or the kind of Keras class,
# keyword): (the meaning lost, the Keras 3 equivalent, whether it has the same effect, the
# paths the text names). ``make migrate`` rewrites only an entry of the same effect, and
# ``tests/test_advice.py`` proves each such equivalence numerically against Keras 2's own
# code (TensorFlow's internal copy, ``tensorflow.python.keras``).
DROPPED_ADVICE: dict[tuple[str, str], tuple[str, str, bool, tuple[str, ...]]] = {
    ("optimizer", "decay"): (
        "the learning rate no longer decays (Keras 2 used `lr / (1 + decay * iterations)`)",
        "pass `learning_rate=keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, "
        "decay_rate=decay)`, the same schedule",
        True,
        ("keras.optimizers.schedules.InverseTimeDecay",),
    ),
    ("Embedding", "input_length"): (
        "Keras 2 built a Sequential model from it; Keras 3 does not, so the model stays "
        "unbuilt until it is called",
        "start the model with `keras.Input(shape=(input_length,))`",
        False,
        ("keras.Input",),
    ),
}
