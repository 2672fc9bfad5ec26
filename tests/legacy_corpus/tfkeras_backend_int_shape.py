"""Small U-Net style encoder/decoder (TF 2.4). Uses tf.keras.backend helpers for shapes."""
import numpy as np
import tensorflow as tf
import tensorflow.keras.backend as K
from tensorflow.keras.layers import (Input, Conv2D, MaxPooling2D,
                                     UpSampling2D, concatenate, Cropping2D)
from tensorflow.keras.models import Model


def crop_to_match(skip, up):
    """Crop the skip connection so that it matches the upsampled tensor."""
    sh = tf.keras.backend.int_shape(skip)
    uh = K.int_shape(up)
    dh, dw = sh[1] - uh[1], sh[2] - uh[2]
    if dh == 0 and dw == 0:
        return skip
    return Cropping2D(cropping=((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2)))(skip)


def conv_block(x, filters):
    x = Conv2D(filters, 3, activation='relu', padding='same')(x)
    x = Conv2D(filters, 3, activation='relu', padding='same')(x)
    return x


def build_model(input_size=(64, 64, 1)):
    tf.keras.backend.clear_session()
    inputs = Input(input_size)
    c1 = conv_block(inputs, 8)
    p1 = MaxPooling2D(pool_size=(2, 2))(c1)
    c2 = conv_block(p1, 16)
    p2 = MaxPooling2D(pool_size=(2, 2))(c2)
    b = conv_block(p2, 32)
    u2 = UpSampling2D(size=(2, 2))(b)
    c3 = conv_block(concatenate([crop_to_match(c2, u2), u2], axis=-1), 16)
    u1 = UpSampling2D(size=(2, 2))(c3)
    c4 = conv_block(concatenate([crop_to_match(c1, u1), u1], axis=-1), 8)
    outputs = Conv2D(1, 1, activation='sigmoid')(c4)
    print('output shape:', K.int_shape(outputs))
    return Model(inputs=inputs, outputs=outputs)


def dice_coef(y_true, y_pred, smooth=1.):
    y_true_f = K.flatten(y_true)
    y_pred_f = K.flatten(y_pred)
    intersection = K.sum(y_true_f * y_pred_f)
    return (2. * intersection + smooth) / (K.sum(y_true_f) + K.sum(y_pred_f) + smooth)


if __name__ == '__main__':
    model = build_model()
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=[dice_coef])
    x = np.random.rand(8, 64, 64, 1).astype('float32')
    y = (np.random.rand(8, 64, 64, 1) > 0.5).astype('float32')
    model.fit(x, y, batch_size=4, epochs=1)
