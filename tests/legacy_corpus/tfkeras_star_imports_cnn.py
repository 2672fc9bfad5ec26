"""CIFAR-10 CNN, TensorFlow 2.1 tutorial style, written with star imports."""
import numpy as np
import tensorflow as tf
from tensorflow.keras.models import *
from tensorflow.keras.layers import *
from tensorflow.keras.optimizers import *
from tensorflow.keras.callbacks import *

NUM_CLASSES = 10


def build_model():
    model = Sequential()
    model.add(Conv2D(32, (3, 3), padding='same', input_shape=(32, 32, 3)))
    model.add(Activation('relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(64, activation='relu'))
    model.add(Dense(NUM_CLASSES, activation='softmax'))
    model.compile(loss='categorical_crossentropy',
                  optimizer=RMSprop(lr=0.0001, rho=0.9),
                  metrics=['accuracy'])
    return model


def callbacks():
    checkpoint = ModelCheckpoint('cifar10.keras', monitor='val_accuracy', save_best_only=True, period=1)
    reduce = ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=3, min_lr=1e-5)
    return [checkpoint, reduce]


if __name__ == '__main__':
    x = np.random.rand(32, 32, 32, 3).astype('float32')
    y = tf.keras.utils.to_categorical(np.random.randint(0, NUM_CLASSES, 32), NUM_CLASSES)
    build_model().fit(x, y, batch_size=16, epochs=1, callbacks=callbacks())
