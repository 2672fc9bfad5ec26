# TF 2.9 - 2.11: "from tensorflow.keras ..." is not resolved by PyCharm / Pylance,
# so people imported from the generated API package to get autocompletion.
import numpy as np

from keras.api._v2.keras.models import Sequential
from keras.api._v2.keras.layers import Dense, Dropout, Flatten, Conv1D, MaxPooling1D
from keras.api._v2.keras.utils import Sequence
from keras.api._v2.keras import optimizers

TIMESTEPS = 64
CHANNELS = 3


class WindowSequence(Sequence):
    def __init__(self, series, batch_size=16):
        self.series = series
        self.batch_size = batch_size

    def __len__(self):
        return (len(self.series) - TIMESTEPS) // self.batch_size

    def __getitem__(self, idx):
        starts = range(idx * self.batch_size, (idx + 1) * self.batch_size)
        x = np.stack([self.series[s:s + TIMESTEPS] for s in starts])
        y = np.stack([self.series[s + TIMESTEPS, 0] for s in starts])
        return x, y


def build_model():
    model = Sequential()
    model.add(Conv1D(16, 5, activation='relu', input_shape=(TIMESTEPS, CHANNELS)))
    model.add(MaxPooling1D(2))
    model.add(Conv1D(32, 3, activation='relu'))
    model.add(Flatten())
    model.add(Dropout(0.2))
    model.add(Dense(1))
    model.compile(optimizer=optimizers.Adam(learning_rate=3e-4), loss='mse')
    return model


if __name__ == '__main__':
    data = np.random.randn(1000, CHANNELS).astype('float32')
    model = build_model()
    model.fit(WindowSequence(data), epochs=2)
