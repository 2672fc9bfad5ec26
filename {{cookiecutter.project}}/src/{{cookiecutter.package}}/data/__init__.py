"""Image-folder data: listing and decoding (``images``), labels (``labels``), the
``keras.utils.PyDataset`` loader (``pydataset``), the ``tf.data`` pipeline (``pipeline``), the
training/validation split (``split``) and the offline demo dataset (``demo``)."""
