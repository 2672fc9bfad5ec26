"""{{ cookiecutter.package }}: a TensorFlow/Keras project with a locked, smoke-tested stack.

Modules: ``data`` (PyDataset loader), ``pipeline`` (tf.data pipeline), ``model``
(``keras.Sequential`` classifier), ``train`` (training CLI), ``demo_data`` (offline demo
dataset) and ``smoke`` (import smoke test).
"""

__version__ = "0.1.0"
