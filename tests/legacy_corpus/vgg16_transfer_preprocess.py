"""Transfer learning on small images with a VGG16 base (Keras 2.2.x).

The original loaded weights='imagenet'; here the base is randomly initialised
so that building the model needs no download.
"""
import os
import sys

import numpy as np

from keras.applications.vgg16 import VGG16, preprocess_input
from keras.preprocessing.image import img_to_array, load_img
from keras.models import Model
from keras.layers import Input, GlobalAveragePooling2D, Dense, Dropout
from keras.optimizers import SGD
from keras.utils.vis_utils import plot_model

IMG_SIZE = 48
NUM_CLASSES = 3


def build_model():
    input_tensor = Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    base_model = VGG16(weights=None, include_top=False, input_tensor=input_tensor)
    # freeze the convolutional base
    for layer in base_model.layers:
        layer.trainable = False
    x = base_model.output
    x = GlobalAveragePooling2D()(x)
    x = Dense(64, activation='relu')(x)
    x = Dropout(0.5)(x)
    predictions = Dense(NUM_CLASSES, activation='softmax')(x)
    return Model(inputs=base_model.input, outputs=predictions)


def load_image(path):
    img = load_img(path, target_size=(IMG_SIZE, IMG_SIZE))
    x = img_to_array(img)
    x = np.expand_dims(x, axis=0)
    return preprocess_input(x)


if __name__ == '__main__':
    model = build_model()
    plot_model(model, to_file='vgg16_transfer.png', show_shapes=True)
    model.compile(optimizer=SGD(lr=0.0001, momentum=0.9), loss='categorical_crossentropy',
                  metrics=['accuracy'])
    if len(sys.argv) > 1 and os.path.exists(sys.argv[1]):
        print(model.predict(load_image(sys.argv[1])))
    else:
        x = preprocess_input(np.random.rand(16, IMG_SIZE, IMG_SIZE, 3) * 255.)
        y = np.eye(NUM_CLASSES)[np.random.randint(0, NUM_CLASSES, 16)]
        model.fit(x, y, epochs=1, batch_size=8)
