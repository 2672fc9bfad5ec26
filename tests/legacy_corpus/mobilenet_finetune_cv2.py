# Fine-tune MobileNetV2 on a folder of images read with OpenCV (Keras 2.2.4)
import glob
import os

import cv2
import numpy as np

from keras.applications.mobilenet_v2 import MobileNetV2, preprocess_input
from keras.layers import GlobalAveragePooling2D, Dense, Dropout
from keras.models import Model
from keras.optimizers import Adam
from keras.callbacks import ModelCheckpoint, ReduceLROnPlateau
from keras.utils.np_utils import to_categorical

IMG_SIZE = 96
N_CLASSES = 4


def read_image(path):
    img = cv2.imread(path)
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    img = cv2.resize(img, (IMG_SIZE, IMG_SIZE))
    return preprocess_input(img.astype(np.float32))


def build_model():
    base = MobileNetV2(input_shape=(IMG_SIZE, IMG_SIZE, 3), alpha=0.35,
                       include_top=False, weights=None)
    x = GlobalAveragePooling2D()(base.output)
    x = Dropout(0.3)(x)
    out = Dense(N_CLASSES, activation='softmax')(x)
    model = Model(inputs=base.input, outputs=out)
    for layer in base.layers[:-20]:
        layer.trainable = False
    return model


if __name__ == '__main__':
    paths = sorted(glob.glob(os.path.join('data', '*', '*.jpg')))
    if paths:
        X = np.stack([read_image(p) for p in paths])
        labels = [os.path.basename(os.path.dirname(p)) for p in paths]
        classes = sorted(set(labels))
        y = to_categorical([classes.index(l) for l in labels], N_CLASSES)
    else:
        X = np.random.rand(16, IMG_SIZE, IMG_SIZE, 3).astype(np.float32)
        y = to_categorical(np.random.randint(0, N_CLASSES, 16), N_CLASSES)
    model = build_model()
    model.compile(optimizer=Adam(lr=1e-4), loss='categorical_crossentropy', metrics=['acc'])
    model.fit(X, y, epochs=1, batch_size=8,
              callbacks=[ModelCheckpoint('mobilenet.h5', save_best_only=False),
                         ReduceLROnPlateau(patience=2)])
