'''Sentiment classification with an LSTM on raw review text.

Texts are tokenized with the Keras Tokenizer, padded, and fed to
Embedding -> LSTM -> Dense (Keras 2.0.x layer module layout).
'''
from __future__ import print_function

import numpy as np

from keras.preprocessing.text import Tokenizer
from keras.preprocessing.sequence import pad_sequences
from keras.models import Model
from keras.layers import Input
from keras.layers.core import Dense, Dropout
from keras.layers.embeddings import Embedding
from keras.layers.recurrent import LSTM

max_features = 20000
maxlen = 80  # cut texts after this number of words (among top max_features most common words)
batch_size = 32
embedding_dims = 128


def build_model():
    print('Build model...')
    sequence_input = Input(shape=(maxlen,), dtype='int32')
    embedded = Embedding(max_features, embedding_dims)(sequence_input)
    x = LSTM(64, dropout=0.2, recurrent_dropout=0.2)(embedded)
    x = Dropout(0.5)(x)
    preds = Dense(1, activation='sigmoid')(x)
    model = Model(sequence_input, preds)
    # try using different optimizers and different optimizer configs
    model.compile(loss='binary_crossentropy',
                  optimizer='adam',
                  metrics=['accuracy'])
    return model


if __name__ == '__main__':
    texts = ['this movie was great', 'terrible plot and bad acting',
             'i loved it', 'worst film ever'] * 50
    labels = np.array([1, 0, 1, 0] * 50)

    tokenizer = Tokenizer(num_words=max_features)
    tokenizer.fit_on_texts(texts)
    sequences = tokenizer.texts_to_sequences(texts)
    word_index = tokenizer.word_index
    print('Found %s unique tokens.' % len(word_index))

    data = pad_sequences(sequences, maxlen=maxlen)
    print('Shape of data tensor:', data.shape)

    model = build_model()
    model.fit(data, labels, batch_size=batch_size, epochs=2, validation_split=0.2)
