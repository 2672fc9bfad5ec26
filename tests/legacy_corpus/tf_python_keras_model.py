# Binary classifier written against the internal tensorflow.python.keras package
# (common in TF 1.13 - 2.3 code that followed IDE autocompletion)
import numpy as np
import tensorflow as tf
from tensorflow.python.keras.models import Sequential
from tensorflow.python.keras.layers import Dense, Dropout
from tensorflow.python.keras import backend as K
from tensorflow.python.keras.callbacks import EarlyStopping


def build_model():
    K.clear_session()
    model = Sequential()
    model.add(Dense(64, activation='relu', input_shape=(30,)))
    model.add(Dropout(0.5))
    model.add(Dense(32, activation='relu'))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    return model


if __name__ == '__main__':
    X = np.random.rand(300, 30)
    y = np.random.randint(0, 2, 300)
    model = build_model()
    es = EarlyStopping(monitor='val_loss', patience=5)
    model.fit(X, y, epochs=5, batch_size=32, validation_split=0.2, callbacks=[es])
    print(K.int_shape(model.output))
