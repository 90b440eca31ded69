"""The dcgan training step in Keras with a tf.function custom step, for comparing with `swiftgan bench dcgan`.

Same networks as SwiftGAN's dcgan (Géron's Fashion-MNIST DCGAN), NHWC with Keras 'same' padding, Keras
defaults elsewhere (Glorot-uniform kernels, zero biases, BatchNorm momentum 0.99, ε 1e-3):

    G: z(100) → Dense 7·7·128 → Reshape 7×7×128 → BatchNorm
              → Conv2DTranspose 64, 5×5, stride 2, same → SELU → BatchNorm
              → Conv2DTranspose 1, 5×5, stride 2, same → tanh            (28×28×1)
    D: Conv2D 64, 5×5, stride 2, same → LeakyReLU(0.2) → Dropout(0.3)
       → Conv2D 128, 5×5, stride 2, same → LeakyReLU(0.2) → Dropout(0.3) → Flatten → Dense 1 (logit)

Adam(1e-3, β₁ 0.9, ε 1e-7), binary cross-entropy, batch 32, random data in [-1, 1]. One D update on real
and fake together (one pass: D has no batch statistics), then one G update; only G's variables are updated.
Usage: python3 scripts/compare/keras_dcgan.py [--seconds 5] [--threads N] [--xla] [--bf16]
"""
from keras_timing import function, report, setup

args = setup(batch_size=32)

import keras  # noqa: E402  (after setup: TensorFlow's threads are sized before anything runs)
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

generator = keras.Sequential([
    keras.Input((100,)), layers.Dense(7 * 7 * 128), layers.Reshape((7, 7, 128)), layers.BatchNormalization(),
    layers.Conv2DTranspose(64, 5, strides=2, padding="same", activation="selu"), layers.BatchNormalization(),
    layers.Conv2DTranspose(1, 5, strides=2, padding="same"), layers.Activation("tanh", dtype="float32"),
], name="generator")
discriminator = keras.Sequential([
    keras.Input((28, 28, 1)),
    layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2), layers.Dropout(0.3),
    layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2), layers.Dropout(0.3),
    layers.Flatten(), layers.Dense(1), layers.Activation("linear", dtype="float32"),
], name="discriminator")
g_opt = keras.optimizers.Adam(1e-3, beta_1=0.9, epsilon=1e-7)
d_opt = keras.optimizers.Adam(1e-3, beta_1=0.9, epsilon=1e-7)
g_opt.build(generator.trainable_variables)
d_opt.build(discriminator.trainable_variables)
bce = keras.losses.BinaryCrossentropy(from_logits=True)
b = args.batch_size
real = tf.random.uniform([b, 28, 28, 1], -1, 1)
d_targets = tf.concat([tf.ones([b, 1]), tf.zeros([b, 1])], 0)
ones = tf.ones([b, 1])


@function
def step():
    noise = tf.random.normal([b, 100])
    with tf.GradientTape() as g_tape:
        fake = generator(noise, training=True)
        with g_tape.stop_recording():
            # ---- Train Discriminator ----
            with tf.GradientTape() as d_tape:
                d_loss = bce(d_targets, discriminator(tf.concat([real, tf.stop_gradient(fake)], 0), training=True))
            d_vars = discriminator.trainable_variables
            d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
        # ---- Train Generator ---- (through the updated D; only G's variables are updated)
        g_loss = bce(ones, discriminator(fake, training=True))
    g_vars = generator.trainable_variables
    g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
    return d_loss, g_loss


report(step, args, generator, discriminator, warmup=5)
