"""The acgan training step in PyTorch eager mode, for comparing with `swiftgan bench acgan`.

Same networks as SwiftGAN's acgan (the GAN-improvements tutorial's conditional DCGAN with an
auxiliary classifier) in PyTorch's NCHW layout, with padding=2 (and output_padding=1 where the
stride is 2) for Keras's 'same'; same step: one discriminator update on real and fake together
(real/fake BCE with per-example smoothed targets, class cross-entropy on the real half), one
generator update (BCE against 1 plus the requested labels' cross-entropy); batch 128, random data
in [0, 1].
Usage: python3 scripts/compare/pytorch_acgan.py [--seconds 5] [--threads N] [--compile] [--bf16]
"""
import torch
from torch import nn
import torch.nn.functional as F

from timing import autocast, report, setup

args = setup(batch_size=128)


class Reshape(nn.Module):
    def forward(self, x):
        return x.view(-1, 40, 7, 7)


def up(i, o, stride):
    extra = 1 if stride == 2 else 0
    return [nn.ConvTranspose2d(i, o, 5, stride=stride, padding=2, output_padding=extra),
            nn.BatchNorm2d(o, momentum=0.01, eps=1e-3), nn.LeakyReLU(0.2)]


generator = nn.Sequential(
    nn.Linear(110, 7 * 7 * 40), nn.BatchNorm1d(7 * 7 * 40, momentum=0.01, eps=1e-3), nn.LeakyReLU(0.2), Reshape(),
    *up(40, 80, 2), *up(80, 80, 1), *up(80, 80, 1), *up(80, 80, 1),
    nn.ConvTranspose2d(80, 1, 5, stride=2, padding=2, output_padding=1), nn.Sigmoid())


def down(i, o, stride):
    return [nn.Conv2d(i, o, 5, stride=stride, padding=2), nn.LeakyReLU(0.2), nn.Dropout(0.2)]


discriminator = nn.Sequential(
    *down(1, 17, 2), *down(17, 35, 2), *down(35, 70, 2), *down(70, 140, 1), *down(140, 70, 1),
    nn.Flatten(), nn.Linear(4 * 4 * 70, 11))
opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
b = args.batch_size
real = torch.rand(b, 1, 28, 28)
real_labels = torch.randint(0, 10, (b,))
ones = torch.ones(b, 1)


def step():
    fake_labels = torch.randint(0, 10, (b,))
    with autocast():
        fake = generator(torch.cat([torch.randn(b, 100), F.one_hot(fake_labels, 10).float()], 1))
    # ---- Train Discriminator ----
    opt_d.zero_grad(set_to_none=True)
    targets = torch.cat([1 - 0.2 * torch.rand(b, 1), 0.2 * torch.rand(b, 1)])
    with autocast():
        out = discriminator(torch.cat([real, fake.detach()]))
        d_loss = F.binary_cross_entropy_with_logits(out[:, :1], targets) + 0.5 * F.cross_entropy(out[:b, 1:], real_labels)
    d_loss.backward()
    opt_d.step()
    # ---- Train Generator ----
    opt_g.zero_grad(set_to_none=True)
    with autocast():
        judged = discriminator(fake)
        g_loss = F.binary_cross_entropy_with_logits(judged[:, :1], ones) + F.cross_entropy(judged[:, 1:], fake_labels)
    g_loss.backward()
    opt_g.step()


report(step, args.seconds, b, warmup=3, modules=(generator, discriminator))
