"""MNIST MLP with the usual Keras 2.2 callbacks (2018 style): checkpoint every epoch,
early stopping, learning-rate schedule on plateau, then class predictions."""
from __future__ import print_function

import numpy as np
from keras.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TensorBoard
from keras.layers import Dense, Dropout
from keras.models import Sequential
from keras.optimizers import RMSprop

batch_size = 128
num_classes = 10
epochs = 20


def build_model():
    model = Sequential()
    model.add(Dense(512, activation="relu", input_shape=(784,)))
    model.add(Dropout(0.2))
    model.add(Dense(num_classes, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])
    return model


def callbacks():
    checkpoint = ModelCheckpoint(
        "weights.{epoch:02d}-{val_loss:.2f}.hdf5",
        monitor="val_loss",
        verbose=1,
        save_best_only=True,
        period=1,
    )
    early = EarlyStopping(
        monitor="val_loss", min_delta=0, patience=3, verbose=1, mode="auto", baseline=None,
        restore_best_weights=True,
    )
    plateau = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5)
    board = TensorBoard(log_dir="./logs", histogram_freq=0, write_graph=True, write_grads=False)
    return [checkpoint, early, plateau, board]


if __name__ == "__main__":
    x_train = np.random.rand(256, 784).astype("float32")
    y_train = np.eye(num_classes)[np.random.randint(0, num_classes, 256)]
    model = build_model()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1,
              callbacks=callbacks())
    classes = model.predict_classes(x_train[:10])
    probabilities = model.predict_proba(x_train[:10])
    print(classes, probabilities.shape)
