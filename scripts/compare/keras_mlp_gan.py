"""The mlp-gan training step in Keras with a tf.function custom step, for comparing with `swiftgan bench mlp-gan`.

Same networks, initializers (Keras defaults: Glorot-uniform kernels, zero biases), loss, optimizer and
step as SwiftGAN's mlp-gan:

    G: z(100) → 3 × [Dense 256/512/1024 → LeakyReLU(0.2) → BatchNorm(momentum 0.8)] → Dense 784, tanh → 28×28×1
    D: Flatten → Dense 512 → LeakyReLU(0.2) → Dense 256 → LeakyReLU(0.2) → Dense 1 (logit)

Adam(2e-4, β₁ 0.5, ε 1e-7), binary cross-entropy, batch 64, random data in [-1, 1]. One D update on
real and fake together (one pass: D has no batch statistics; the mean BCE over the 2n examples is the
mean of the real and fake losses), then one G update through the updated D; D stays fixed in G's
update because only G's variables get gradients.
Usage: python3 scripts/compare/keras_mlp_gan.py [--seconds 5] [--threads N] [--xla] [--bf16]
"""
from keras_timing import function, report, setup

args = setup(batch_size=64)

import keras  # noqa: E402  (after setup: TensorFlow's threads are sized before anything runs)
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402


def block(units):
    return [layers.Dense(units), layers.LeakyReLU(negative_slope=0.2), layers.BatchNormalization(momentum=0.8)]


generator = keras.Sequential([keras.Input((100,)), *block(256), *block(512), *block(1024),
                              layers.Dense(784), layers.Reshape((28, 28, 1)), layers.Activation("tanh", dtype="float32")],
                             name="generator")
discriminator = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(),
                                  layers.Dense(512), layers.LeakyReLU(negative_slope=0.2),
                                  layers.Dense(256), layers.LeakyReLU(negative_slope=0.2),
                                  layers.Dense(1), layers.Activation("linear", dtype="float32")], name="discriminator")
g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5, epsilon=1e-7)
d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5, epsilon=1e-7)
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


report(step, args, generator, discriminator, warmup=10)
