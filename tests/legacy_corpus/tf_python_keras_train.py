"""A 2020 Stack Overflow answer: everything from tensorflow.python.keras, because the IDE's
autocomplete found it there. Trains a small binary classifier on random data."""
import numpy as np
from tensorflow.python.keras import backend as K
from tensorflow.python.keras.callbacks import EarlyStopping
from tensorflow.python.keras.layers import Dense, Dropout, Input
from tensorflow.python.keras.models import Model


def build_model():
    inputs = Input(shape=(20,))
    hidden = Dense(32, activation="relu")(inputs)
    hidden = Dropout(0.1)(hidden)
    outputs = Dense(1, activation="sigmoid")(hidden)
    model = Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    K.clear_session()
    x = np.random.rand(64, 20).astype("float32")
    y = (x.sum(axis=1) > 10).astype("float32")
    model = build_model()
    stop = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[stop])
    print("loss", history.history["loss"][-1])
