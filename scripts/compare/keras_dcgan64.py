"""The dcgan64 training step in Keras with a tf.function custom step, for comparing with `swiftgan bench dcgan64`.

Same networks as SwiftGAN's dcgan64 at its bench defaults (the DCGAN paper's architecture, width w = 32,
64×64×3 images), NHWC with Keras 'same' padding:

    G: z(100) → Dense 4·4·8w (no bias) → Reshape 4×4×8w → BatchNorm → ReLU
              → 3 × [Conv2DTranspose 4×4, stride 2 (no bias) → BatchNorm → ReLU]   (8w → 4w → 2w → w)
              → Conv2DTranspose 3, 4×4, stride 2 → tanh                              (64×64×3)
    D: Conv2D w, 4×4, stride 2 → LeakyReLU(0.2)
       → 3 × [Conv2D 4×4, stride 2 (no bias) → BatchNorm → LeakyReLU(0.2)]           (w → 2w → 4w → 8w, 4×4)
       → Flatten → Dense 1 (logit)

All kernels N(0, 0.02), zero biases; BatchNorm(momentum 0.9, ε 1e-5); Adam(2e-4, β₁ 0.5, ε 1e-7), batch 64,
random data in [-1, 1]. D has batch statistics, so its update sees the real and the fake batch in separate
passes (each normalized by its own statistics), as SwiftGAN's GANTrainingStep does for such a D; then one
G update; only G's variables are updated.
Usage: python3 scripts/compare/keras_dcgan64.py [--seconds 5] [--threads N] [--xla] [--bf16] [--width 32]
"""
from keras_timing import function, report, setup

args = setup(batch_size=64, add_options=lambda p: p.add_argument(
    "--width", type=int, default=32, help="base channel count w, as `swiftgan train --width` (bench: 32)"))

import keras  # noqa: E402  (after setup: TensorFlow's threads are sized before anything runs)
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

w = args.width
init02 = keras.initializers.RandomNormal(stddev=0.02)


def norm():
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-5)


g = [keras.Input((100,)), layers.Dense(4 * 4 * 8 * w, use_bias=False, kernel_initializer=init02),
     layers.Reshape((4, 4, 8 * w)), norm(), layers.ReLU()]
c = 8 * w
for _ in range(3):
    c //= 2
    g += [layers.Conv2DTranspose(c, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init02), norm(), layers.ReLU()]
g += [layers.Conv2DTranspose(3, 4, strides=2, padding="same", kernel_initializer=init02),
      layers.Activation("tanh", dtype="float32")]
generator = keras.Sequential(g, name="generator")

d = [keras.Input((64, 64, 3)), layers.Conv2D(w, 4, strides=2, padding="same", kernel_initializer=init02),
     layers.LeakyReLU(negative_slope=0.2)]
c = w
for _ in range(3):
    c *= 2
    d += [layers.Conv2D(c, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init02), norm(),
          layers.LeakyReLU(negative_slope=0.2)]
d += [layers.Flatten(), layers.Dense(1, kernel_initializer=init02), layers.Activation("linear", dtype="float32")]
discriminator = keras.Sequential(d, name="discriminator")

g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5, epsilon=1e-7)
d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5, epsilon=1e-7)
g_opt.build(generator.trainable_variables)
d_opt.build(discriminator.trainable_variables)
bce = keras.losses.BinaryCrossentropy(from_logits=True)
b = args.batch_size
real = tf.random.uniform([b, 64, 64, 3], -1, 1)
ones, zeros = tf.ones([b, 1]), tf.zeros([b, 1])


@function
def step():
    noise = tf.random.normal([b, 100])
    with tf.GradientTape() as g_tape:
        fake = generator(noise, training=True)
        with g_tape.stop_recording():
            # ---- Train Discriminator ---- (two passes: D normalizes each batch by its own statistics)
            with tf.GradientTape() as d_tape:
                d_loss = (bce(ones, discriminator(real, training=True))
                          + bce(zeros, discriminator(tf.stop_gradient(fake), training=True))) / 2
            d_vars = discriminator.trainable_variables
            d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
        # ---- Train Generator ---- (through the updated D; only G's variables are updated)
        g_loss = bce(ones, discriminator(fake, training=True))
    g_vars = generator.trainable_variables
    g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
    return d_loss, g_loss


report(step, args, generator, discriminator, warmup=5)
