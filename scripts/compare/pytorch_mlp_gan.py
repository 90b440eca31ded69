"""The mlp-gan training step in PyTorch eager mode, for comparing with `swiftgan bench mlp-gan`.

Same networks, loss, optimizer and step as SwiftGAN's mlp-gan: one discriminator update on real and
fake together (one pass over the 2n examples, as SwiftGAN's GANTrainingStep does when D has no batch
statistics; the mean BCE over them is the mean of the real and fake losses), then one generator
update, batch 64, random data in [-1, 1].
Prints one JSON object with steps_per_second (options: see timing.py).
Usage: python3 scripts/compare/pytorch_mlp_gan.py [--seconds 5] [--threads N] [--compile] [--bf16]
"""
import torch
from torch import nn

from timing import autocast, report, setup

args = setup(batch_size=64)


def block(i, o):
    # Keras BatchNormalization(momentum=0.8) is PyTorch BatchNorm1d(momentum=0.2, eps=1e-3).
    return [nn.Linear(i, o), nn.LeakyReLU(0.2), nn.BatchNorm1d(o, momentum=0.2, eps=1e-3)]


generator = nn.Sequential(*block(100, 256), *block(256, 512), *block(512, 1024), nn.Linear(1024, 784), nn.Tanh())
discriminator = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
bce = nn.BCEWithLogitsLoss()
b = args.batch_size
real = torch.rand(b, 784) * 2 - 1
targets = torch.cat([torch.ones(b, 1), torch.zeros(b, 1)])
ones = torch.ones(b, 1)


def step():
    with autocast():
        fake = generator(torch.randn(b, 100))
    # ---- Train Discriminator ----
    opt_d.zero_grad(set_to_none=True)
    with autocast():
        d_loss = bce(discriminator(torch.cat([real, fake.detach()])), targets)
    d_loss.backward()
    opt_d.step()
    # ---- Train Generator ----
    opt_g.zero_grad(set_to_none=True)
    with autocast():
        g_loss = bce(discriminator(fake), ones)
    g_loss.backward()
    opt_g.step()


report(step, args.seconds, b, warmup=10, modules=(generator, discriminator))
