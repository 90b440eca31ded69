"""The acgan training step in Keras with a tf.function custom step, for comparing with `swiftgan bench acgan`.

Same networks as SwiftGAN's acgan (the GAN-improvements tutorial's conditional DCGAN with an auxiliary
classifier), NHWC with Keras 'same' padding, Glorot-uniform kernels except the two N(0, 0.02) ones,
BatchNorm momentum 0.99, ε 1e-3:

    G: concat(z(100), one-hot label(10)) → Dense 7·7·40, N(0, 0.02) → BatchNorm → LeakyReLU(0.2) → Reshape 7×7×40
       → Conv2DTranspose 80, 5×5, stride 2 → BatchNorm → LeakyReLU(0.2)                         (14×14)
       → 3 × [Conv2DTranspose 80, 5×5, stride 1 → BatchNorm → LeakyReLU(0.2)]
       → Conv2DTranspose 1, 5×5, stride 2 → sigmoid                                            (28×28×1)
    D: Conv2D 17, 5×5, stride 2, N(0, 0.02) → LeakyReLU(0.2) → Dropout(0.2), then the same with
       35 (stride 2), 70 (stride 2), 140 (stride 1), 70 (stride 1) → Flatten
       → two heads side by side: Dense 1 (real/fake logit) and Dense 10 (class logits)

Adam(2e-4, β₁ 0.5, ε 1e-7), batch 128, random data in [0, 1]. One D update on real and fake together:
BCE against per-example smoothed targets (real U(0.8, 1), fake U(0, 0.2)) plus ½ × the class
cross-entropy of the real half (the fakes' all-zero class targets add nothing); then one G update:
BCE against 1 plus the cross-entropy of the labels G was asked for; only G's variables are updated.
Usage: python3 scripts/compare/keras_acgan.py [--seconds 5] [--threads N] [--xla] [--bf16]
"""
from keras_timing import function, report, setup

args = setup(batch_size=128)

import keras  # noqa: E402  (after setup: TensorFlow's threads are sized before anything runs)
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

init02 = keras.initializers.RandomNormal(stddev=0.02)


def up(filters, stride):
    return [layers.Conv2DTranspose(filters, 5, strides=stride, padding="same"), layers.BatchNormalization(),
            layers.LeakyReLU(negative_slope=0.2)]


generator = keras.Sequential([
    keras.Input((110,)), layers.Dense(7 * 7 * 40, kernel_initializer=init02), layers.BatchNormalization(),
    layers.LeakyReLU(negative_slope=0.2), layers.Reshape((7, 7, 40)),
    *up(80, 2), *up(80, 1), *up(80, 1), *up(80, 1),
    layers.Conv2DTranspose(1, 5, strides=2, padding="same"), layers.Activation("sigmoid", dtype="float32"),
], name="generator")

images = keras.Input((28, 28, 1))
x = images
for filters, stride in [(17, 2), (35, 2), (70, 2), (140, 1), (70, 1)]:
    x = layers.Conv2D(filters, 5, strides=stride, padding="same",
                      kernel_initializer=init02 if filters == 17 else "glorot_uniform")(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Dropout(0.2)(x)
x = layers.Flatten()(x)
logits = layers.Concatenate()([layers.Dense(1)(x), layers.Dense(10)(x)])
discriminator = keras.Model(images, layers.Activation("linear", dtype="float32")(logits), name="discriminator")

g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5, epsilon=1e-7)
d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5, epsilon=1e-7)
g_opt.build(generator.trainable_variables)
d_opt.build(discriminator.trainable_variables)
bce = keras.losses.BinaryCrossentropy(from_logits=True)
cce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
b = args.batch_size
real = tf.random.uniform([b, 28, 28, 1], 0, 1)
real_labels = tf.random.uniform([b], 0, 10, dtype=tf.int32)
ones = tf.ones([b, 1])


@function
def step():
    fake_labels = tf.random.uniform([b], 0, 10, dtype=tf.int32)
    noise = tf.concat([tf.random.normal([b, 100]), tf.one_hot(fake_labels, 10)], 1)
    with tf.GradientTape() as g_tape:
        fake = generator(noise, training=True)
        with g_tape.stop_recording():
            # ---- Train Discriminator ----
            targets = tf.concat([1 - 0.2 * tf.random.uniform([b, 1]), 0.2 * tf.random.uniform([b, 1])], 0)
            with tf.GradientTape() as d_tape:
                out = discriminator(tf.concat([real, tf.stop_gradient(fake)], 0), training=True)
                d_loss = bce(targets, out[:, :1]) + 0.5 * cce(real_labels, out[:b, 1:])
            d_vars = discriminator.trainable_variables
            d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
        # ---- Train Generator ---- (through the updated D; only G's variables are updated)
        judged = discriminator(fake, training=True)
        g_loss = bce(ones, judged[:, :1]) + cce(fake_labels, judged[:, 1:])
    g_vars = generator.trainable_variables
    g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
    return d_loss, g_loss


report(step, args, generator, discriminator, warmup=3)
