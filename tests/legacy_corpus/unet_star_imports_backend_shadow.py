"""U-Net for binary segmentation of microscopy images (Keras 2.1, 2018).

The widely copied `model.py` layout: star imports from keras.models, keras.layers and
keras.optimizers, and the backend imported under the package's own name.
"""
import numpy as np
import os
from keras.models import *
from keras.layers import *
from keras.optimizers import *
from keras.callbacks import ModelCheckpoint, LearningRateScheduler
from keras import backend as keras


def dice_coef(y_true, y_pred, smooth=1.0):
    y_true_f = keras.flatten(y_true)
    y_pred_f = keras.flatten(y_pred)
    intersection = keras.sum(y_true_f * y_pred_f)
    return (2. * intersection + smooth) / (keras.sum(y_true_f) + keras.sum(y_pred_f) + smooth)


def build_model(pretrained_weights=None, input_size=(64, 64, 1)):
    inputs = Input(input_size)
    conv1 = Conv2D(16, 3, activation='relu', padding='same', kernel_initializer='he_normal')(inputs)
    conv1 = Conv2D(16, 3, activation='relu', padding='same', kernel_initializer='he_normal')(conv1)
    pool1 = MaxPooling2D(pool_size=(2, 2))(conv1)
    conv2 = Conv2D(32, 3, activation='relu', padding='same', kernel_initializer='he_normal')(pool1)
    drop2 = Dropout(0.5)(conv2)
    up3 = Conv2D(16, 2, activation='relu', padding='same', kernel_initializer='he_normal')(UpSampling2D(size=(2, 2))(drop2))
    merge3 = concatenate([conv1, up3], axis=3)
    conv3 = Conv2D(16, 3, activation='relu', padding='same', kernel_initializer='he_normal')(merge3)
    conv4 = Conv2D(1, 1, activation='sigmoid')(conv3)

    model = Model(input=inputs, output=conv4)
    model.compile(optimizer=Adam(lr=1e-4), loss='binary_crossentropy', metrics=['accuracy'])

    if pretrained_weights:
        model.load_weights(pretrained_weights)
    return model


if __name__ == '__main__':
    model = build_model()
    model_checkpoint = ModelCheckpoint('unet_membrane.hdf5', monitor='loss', verbose=1, save_best_only=True)
    x = np.random.rand(4, 64, 64, 1).astype('float32')
    y = (np.random.rand(4, 64, 64, 1) > 0.5).astype('float32')
    model.fit(x, y, batch_size=2, nb_epoch=1, callbacks=[model_checkpoint])
