#!/usr/bin/env python
"""Tabular regression with a batch generator built on keras.utils.data_utils.Sequence."""
import math
import os

import numpy as np

from keras.models import Model
from keras.layers import Input, Dense, Dropout
from keras.utils.data_utils import Sequence
from keras.callbacks import EarlyStopping

N_FEATURES = 20


class ArraySequence(Sequence):

    def __init__(self, x_set, y_set, batch_size):
        self.x, self.y = x_set, y_set
        self.batch_size = batch_size

    def __len__(self):
        return int(math.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size:(idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size:(idx + 1) * self.batch_size]
        return np.array(batch_x), np.array(batch_y)


def build_model():
    inputs = Input(shape=(N_FEATURES,))
    x = Dense(64, activation='relu')(inputs)
    x = Dropout(0.1)(x)
    x = Dense(32, activation='relu')(x)
    outputs = Dense(1)(x)
    model = Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer='rmsprop', loss='mse', metrics=['mae'])
    return model


if __name__ == '__main__':
    x = np.random.randn(1000, N_FEATURES)
    y = x.sum(axis=1, keepdims=True)
    train_seq = ArraySequence(x[:800], y[:800], batch_size=64)
    val_seq = ArraySequence(x[800:], y[800:], batch_size=64)

    model = build_model()
    model.fit_generator(train_seq,
                        steps_per_epoch=len(train_seq),
                        epochs=3,
                        validation_data=val_seq,
                        validation_steps=len(val_seq),
                        callbacks=[EarlyStopping(patience=2)],
                        workers=os.cpu_count() or 1,
                        use_multiprocessing=False)
    loss, mae = model.evaluate_generator(val_seq, steps=len(val_seq), workers=2)
    print('val loss %.4f mae %.4f' % (loss, mae))
    preds = model.predict_generator(val_seq, steps=len(val_seq), max_queue_size=10, verbose=1)
    print(preds.shape)
