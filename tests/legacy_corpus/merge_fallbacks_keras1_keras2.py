"""Siamese text matcher that supports Keras 1 and Keras 2 (2017).

The import block tries the Keras 1 location first and falls back to the Keras 2 one, as
many repositories did during the 1 -> 2 transition.
"""
import numpy as np

try:
    from keras.engine import merge
except ImportError:
    from keras.layers.merge import concatenate

try:
    from keras.layers.merge import add
except ImportError:
    from keras.layers import add

try:
    from keras.layers.recurrent import CuDNNLSTM as FastLSTM
except:
    from keras.layers.cudnn_recurrent import CuDNNLSTM as FastLSTM

from keras.layers import Dense, Embedding, Input, LSTM
from keras.models import Model


def build_model(vocab=1000, length=20):
    left, right = Input((length,)), Input((length,))
    embed = Embedding(vocab, 16)
    encode = LSTM(16)
    a, b = encode(embed(left)), encode(embed(right))
    joined = concatenate([a, b])
    summed = add([a, b])
    out = Dense(1, activation='sigmoid')(concatenate([joined, summed]))
    return Model(inputs=[left, right], outputs=out)


if __name__ == '__main__':
    x = np.random.randint(0, 1000, (8, 20))
    model = build_model()
    model.compile(optimizer='adam', loss='binary_crossentropy')
    model.fit([x, x], np.ones(8), epochs=1)
