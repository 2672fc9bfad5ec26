# Sarcasm detection (TensorFlow in Practice / Coursera, TF 2.0-2.5)
import json

import numpy as np
import tensorflow as tf
from tensorflow.keras.preprocessing.text import Tokenizer
from tensorflow.keras.preprocessing.sequence import pad_sequences

vocab_size = 10000
embedding_dim = 16
max_length = 100
trunc_type = 'post'
padding_type = 'post'
oov_tok = "<OOV>"


def build_model():
    model = tf.keras.Sequential([
        tf.keras.layers.Embedding(vocab_size, embedding_dim),
        tf.keras.layers.GlobalAveragePooling1D(),
        tf.keras.layers.Dense(24, activation='relu'),
        tf.keras.layers.Dense(1, activation='sigmoid')
    ])
    model.build(input_shape=(None, max_length))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    return model


if __name__ == '__main__':
    datastore = [{"headline": "mom starting to fear son's web series closest thing she will have to grandchild",
                  "is_sarcastic": 1},
                 {"headline": "former versace store clerk sues over secret 'black code' for minority shoppers",
                  "is_sarcastic": 0}] * 64
    sentences = [item['headline'] for item in datastore]
    labels = np.array([item['is_sarcastic'] for item in datastore])

    tokenizer = Tokenizer(num_words=vocab_size, oov_token=oov_tok)
    tokenizer.fit_on_texts(sentences)
    word_index = tokenizer.word_index
    sequences = tokenizer.texts_to_sequences(sentences)
    padded = pad_sequences(sequences, maxlen=max_length, padding=padding_type, truncating=trunc_type)

    model = build_model()
    model.summary()
    model.fit(padded, labels, epochs=2, verbose=2)
    print(json.dumps(tokenizer.to_json())[:80])
