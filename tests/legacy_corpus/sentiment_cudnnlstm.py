"""Fast GPU LSTM for sentiment analysis using CuDNNLSTM (Keras 2.1-2.3, TF 1.x GPU)."""
import numpy as np
import tensorflow as tf

from keras.models import Model
from keras.layers import Input, Dense, Embedding, SpatialDropout1D, concatenate
from keras.layers import CuDNNLSTM, Bidirectional, GlobalMaxPooling1D, GlobalAveragePooling1D
from keras.preprocessing.text import Tokenizer
from keras.preprocessing.sequence import pad_sequences
from keras.optimizers import Adam
from keras import backend as K

MAX_LEN = 70
VOCAB = 30000
EMB_DIM = 100


def build_model():
    inp = Input(shape=(MAX_LEN,))
    x = Embedding(VOCAB, EMB_DIM)(inp)
    x = SpatialDropout1D(0.3)(x)
    x = Bidirectional(CuDNNLSTM(64, return_sequences=True))(x)
    avg_pool = GlobalAveragePooling1D()(x)
    max_pool = GlobalMaxPooling1D()(x)
    conc = concatenate([avg_pool, max_pool])
    outp = Dense(1, activation="sigmoid")(conc)
    model = Model(inputs=inp, outputs=outp)
    return model


if __name__ == "__main__":
    config = tf.ConfigProto()
    config.gpu_options.allow_growth = True
    K.set_session(tf.Session(config=config))

    texts = ["good", "bad movie", "really really good"] * 40
    tok = Tokenizer(num_words=VOCAB, lower=True)
    tok.fit_on_texts(texts)
    X = pad_sequences(tok.texts_to_sequences(texts), maxlen=MAX_LEN)
    y = np.random.randint(0, 2, len(texts))

    model = build_model()
    model.compile(loss='binary_crossentropy', optimizer=Adam(lr=1e-3), metrics=['accuracy'])
    model.fit(X, y, batch_size=512, epochs=2, validation_split=0.1)
