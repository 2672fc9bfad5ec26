"""Sentiment RNN whose cell is chosen by an environment variable (Keras 1.2, 2017)."""
import os

import numpy as np
from keras.layers import Dense, Embedding
from keras.models import Sequential
from keras.optimizers import Adam

if os.environ.get('RNN_CELL', 'lstm') == 'gru':
    from keras.layers import GRU as RNN
else:
    from keras.layers import LSTM as RNN


def build_model():
    model = Sequential()
    model.add(Embedding(1000, 32))
    model.add(RNN(32, dropout_W=0.2, dropout_U=0.2))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer=Adam(lr=0.001), metrics=['accuracy'])
    return model


if __name__ == '__main__':
    X = np.random.randint(0, 1000, (64, 20))
    y = np.random.randint(0, 2, 64)
    build_model().fit(X, y, batch_size=32, nb_epoch=1)
