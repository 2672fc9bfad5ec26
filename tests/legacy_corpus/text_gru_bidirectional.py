# Toxic comment classification: Bidirectional GRU over padded sequences.
# (Kaggle kernel style, Keras 2.1.x)
import os
import re

import numpy as np

from keras.models import Sequential
from keras.layers import Bidirectional, SpatialDropout1D, GlobalMaxPool1D
from keras.layers.core import Dense, Dropout
from keras.layers.embeddings import Embedding
from keras.layers.recurrent import GRU
from keras.preprocessing import text, sequence
from keras.callbacks import EarlyStopping, ModelCheckpoint

EMBED_SIZE = 50       # how big is each word vector
MAX_FEATURES = 20000  # how many unique words to use
MAXLEN = 100          # max number of words in a comment to use
LIST_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


def clean_text(s):
    s = s.lower()
    s = re.sub(r"[^a-z0-9' ]", " ", s)
    return s


def build_model():
    model = Sequential()
    model.add(Embedding(MAX_FEATURES, EMBED_SIZE, input_length=MAXLEN))
    model.add(SpatialDropout1D(0.2))
    model.add(Bidirectional(GRU(32, return_sequences=True, dropout=0.1, recurrent_dropout=0.1)))
    model.add(GlobalMaxPool1D())
    model.add(Dense(32, activation="relu"))
    model.add(Dropout(0.1))
    model.add(Dense(len(LIST_CLASSES), activation="sigmoid"))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    return model


if __name__ == "__main__":
    comments = [clean_text(c) for c in ["You are great!", "you are an idiot", "Thanks for the edit"] * 30]
    y = np.random.randint(0, 2, size=(len(comments), len(LIST_CLASSES)))

    tokenizer = text.Tokenizer(num_words=MAX_FEATURES)
    tokenizer.fit_on_texts(comments)
    X_t = sequence.pad_sequences(tokenizer.texts_to_sequences(comments), maxlen=MAXLEN)

    model = build_model()
    file_path = os.path.join("weights_base.best.hdf5")
    checkpoint = ModelCheckpoint(file_path, monitor='val_loss', verbose=1, save_best_only=True, mode='min')
    early = EarlyStopping(monitor="val_loss", mode="min", patience=3)
    model.fit(X_t, y, batch_size=32, epochs=2, validation_split=0.1, callbacks=[checkpoint, early])
