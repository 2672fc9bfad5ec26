"""MNIST CNN using tensorflow.python.keras (TF 1.14 / 2.0 era)."""
import numpy as np
import tensorflow as tf
from tensorflow.python.keras import layers
from tensorflow.python.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense, Dropout, BatchNormalization
from tensorflow.python.keras.models import Model
from tensorflow.python.keras.optimizer_v2.adam import Adam
from tensorflow.python.keras.utils.np_utils import to_categorical
from tensorflow.python.keras import backend as K


def build_model():
    inputs = layers.Input(shape=(28, 28, 1))
    x = Conv2D(32, (3, 3), activation='relu')(inputs)
    x = BatchNormalization()(x)
    x = MaxPooling2D((2, 2))(x)
    x = Conv2D(64, (3, 3), activation='relu')(x)
    x = MaxPooling2D((2, 2))(x)
    x = Flatten()(x)
    x = Dropout(0.5)(x)
    outputs = Dense(10, activation='softmax')(x)
    model = Model(inputs, outputs)
    model.compile(optimizer=Adam(learning_rate=0.001),
                  loss='categorical_crossentropy', metrics=['accuracy'])
    return model


if __name__ == '__main__':
    x_train = np.random.rand(128, 28, 28, 1).astype(K.floatx())
    y_train = to_categorical(np.random.randint(0, 10, 128), 10)
    model = build_model()
    model.fit(x_train, y_train, batch_size=32, epochs=1)
