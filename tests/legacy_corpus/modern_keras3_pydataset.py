"""Keras 3 data loading with keras.utils.PyDataset (workers are passed to the dataset)."""
import math

import numpy as np

import keras
from keras import layers


class RandomTabularDataset(keras.utils.PyDataset):
    def __init__(self, n, batch_size=32, n_features=16, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        self.batch_size = batch_size
        self.x = np.random.rand(n, n_features).astype("float32")
        self.y = (self.x.sum(axis=1) > n_features / 2).astype("float32")

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, idx):
        lo = idx * self.batch_size
        hi = min(lo + self.batch_size, self.n)
        return self.x[lo:hi], self.y[lo:hi]


def build_model():
    inputs = keras.Input(shape=(16,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    train = RandomTabularDataset(512, workers=2, use_multiprocessing=False, max_queue_size=10)
    val = RandomTabularDataset(128)
    model = build_model()
    model.fit(train, validation_data=val, epochs=2)
    print(model.evaluate(val, return_dict=True))
