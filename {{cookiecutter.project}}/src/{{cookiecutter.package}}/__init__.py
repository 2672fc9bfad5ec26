"""The project's package: image classification on a locked, smoke-tested Keras stack.

``model.py`` is yours: ``build_model(image_size, num_classes, **options)`` returns the
compiled model every command uses. Around it: ``config`` (one typed configuration per
command) and ``cli`` (their flags and files); ``data/`` (image folders, the PyDataset and
``tf.data`` loaders, the split, the demo dataset); ``training/`` (the engine, the run record,
plots); ``distributed/`` (multi-worker training); ``train``, ``evaluate``, ``predict``,
``export`` and ``benchmark`` (the commands); ``artifacts`` (a trained model and its class
names); ``checks`` (what ``make smoke`` runs on the package).
"""

__version__ = "0.1.0"
