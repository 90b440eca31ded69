"""The dcgan training step in PyTorch eager mode, for comparing with `swiftgan bench dcgan`.

Same networks as SwiftGAN's dcgan (Géron's Fashion-MNIST DCGAN) in PyTorch's NCHW layout, with
padding=2/output_padding=1 for Keras's 'same' (the same shapes and work; TensorFlow places the odd
padding pixel differently, which does not matter for speed), same step: one discriminator update on real
and fake together, one generator update, batch 32, random data in [-1, 1].
Usage: python3 scripts/compare/pytorch_dcgan.py [--seconds 5] [--threads N] [--compile] [--bf16]
"""
import torch
from torch import nn

from timing import autocast, report, setup

args = setup(batch_size=32)


class Reshape(nn.Module):
    def forward(self, x):
        return x.view(-1, 128, 7, 7)


generator = nn.Sequential(
    nn.Linear(100, 7 * 7 * 128), Reshape(), nn.BatchNorm2d(128, momentum=0.01, eps=1e-3),
    nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1), nn.SELU(), nn.BatchNorm2d(64, momentum=0.01, eps=1e-3),
    nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1), nn.Tanh())
discriminator = nn.Sequential(
    nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
    nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
    nn.Flatten(), nn.Linear(7 * 7 * 128, 1))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, eps=1e-7)
opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3, eps=1e-7)
bce = nn.BCEWithLogitsLoss()
b = args.batch_size
real = torch.rand(b, 1, 28, 28) * 2 - 1
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


report(step, args.seconds, b, warmup=5, modules=(generator, discriminator))
