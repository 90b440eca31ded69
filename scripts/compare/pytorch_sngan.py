"""The sngan training step in PyTorch, for comparing with `swiftgan bench sngan`.

Same networks as SwiftGAN's sngan (Sources/SwiftGANTraining/Zoo/SNGAN.swift) at its bench defaults
(28×28×1, width w = 16, sngan's default, conditional on 10 classes) in PyTorch's NCHW layout; 3×3 convolutions with
padding=1 are Keras's 'same':

    G: z(128) → Linear 7·7·4w → view 4w×7×7
              → UpBlock 4w → 2w (14×14) → UpBlock 2w → w (28×28)
              → BatchNorm → ReLU → Conv 1, 3×3 → tanh
    D: DownBlock 1 → w (14×14, no leading ReLU) → DownBlock w → 2w (7×7)
       → ReLU → sum over pixels φ (2w) → Linear(φ) + ⟨embed(y), φ⟩            (projection)

    UpBlock:   cBN → ReLU → upsample ×2 → Conv 3×3 → cBN → ReLU → Conv 3×3,  + upsample ×2 → Conv 1×1
    DownBlock: [ReLU →] Conv 3×3 → ReLU → Conv 3×3 → avg-pool 2,              + Conv 1×1 → avg-pool 2

cBN is SwiftGAN's ConditionalBatchNorm: BatchNorm2d(affine=False) then a per-class scale and shift
(embeddings initialized to 1 and 0); BatchNorm(momentum 0.1, ε 1e-5) (SwiftGAN's Keras-style
momentum 0.9). Glorot-uniform weights and zero biases, as SwiftGAN's layers start. The recipe is
sngan's default, ragan-sn: spectral norm (torch.nn.utils.parametrizations.spectral_norm, one power
iteration) on every weight of D, the projection's embedding included; the relativistic average loss
(RaSGAN: G's update judges the real batch again, without gradients, as SwiftGAN's does); Adam 8e-4
with β (0, 0.99) and ε 1e-7 for both networks; an EMA of G's parameters (0.999, with SwiftGAN's warm-up
min(0.999, (1 + t)/(10 + t))) after each G update. Batch 64, random data in [-1, 1] with random
labels, fake labels drawn each step. One step: one D update on real and fake together (D has no
batch statistics, so one pass, as SwiftGAN's GANTrainingStep), then one G update on the same fakes.

Where the work differs from SwiftGAN's step (all as in the other peers, or negligible):
  - G's loss.backward() also computes D's weight gradients (SwiftGAN differentiates only with respect
    to G's parameters), as in every peer here.
  - PyTorch's spectral_norm makes its power iteration on every forward in training mode, so also in
    G's update (SwiftGAN: once per D update); a few matrix-vector products per layer.
Usage: python3 scripts/compare/pytorch_sngan.py [--seconds 5] [--threads N] [--compile] [--bf16] [--width 16]
"""
import torch
from torch import nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

from timing import autocast, report, setup

args = setup(batch_size=64, add_options=lambda p: p.add_argument(
    "--width", type=int, default=16, help="base channel count w, as `swiftgan train --width` (sngan's default and the bench's: 16)"))
w = args.width
classes = 10


class ConditionalBatchNorm(nn.Module):
    """γ[y]·BN(x) + β[y], BN without an affine map of its own; γ starts at 1, β at 0."""

    def __init__(self, c):
        super().__init__()
        self.norm = nn.BatchNorm2d(c, affine=False, momentum=0.1, eps=1e-5)
        self.scale = nn.Embedding(classes, c)
        self.offset = nn.Embedding(classes, c)
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.offset.weight)

    def forward(self, x, y):
        return self.scale(y)[:, :, None, None] * self.norm(x) + self.offset(y)[:, :, None, None]


class UpBlock(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.norm1, self.conv1 = ConditionalBatchNorm(i), nn.Conv2d(i, o, 3, padding=1)
        self.norm2, self.conv2 = ConditionalBatchNorm(o), nn.Conv2d(o, o, 3, padding=1)
        self.shortcut = nn.Conv2d(i, o, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x, y):
        h = self.up(F.relu(self.norm1(x, y)))
        h = self.conv2(F.relu(self.norm2(self.conv1(h), y)))
        return h + self.shortcut(self.up(x))


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(128, 7 * 7 * 4 * w)
        self.blocks = nn.ModuleList([UpBlock(4 * w, 2 * w), UpBlock(2 * w, w)])
        self.norm = nn.BatchNorm2d(w, momentum=0.1, eps=1e-5)
        self.output = nn.Conv2d(w, 1, 3, padding=1)

    def forward(self, z, y):
        h = self.dense(z).view(-1, 4 * w, 7, 7)
        for block in self.blocks:
            h = block(h, y)
        return torch.tanh(self.output(F.relu(self.norm(h))))


class DownBlock(nn.Module):
    def __init__(self, i, o, leading_activation=True):
        super().__init__()
        self.main = nn.Sequential(*([nn.ReLU()] if leading_activation else []),
                                  nn.Conv2d(i, o, 3, padding=1), nn.ReLU(), nn.Conv2d(o, o, 3, padding=1),
                                  nn.AvgPool2d(2))
        self.shortcut = nn.Sequential(nn.Conv2d(i, o, 1), nn.AvgPool2d(2))

    def forward(self, x):
        return self.main(x) + self.shortcut(x)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(DownBlock(1, w, leading_activation=False), DownBlock(w, 2 * w), nn.ReLU())
        self.linear = nn.Linear(2 * w, 1)
        self.embedding = nn.Embedding(classes, 2 * w)

    def forward(self, x, y):
        features = self.body(x).sum(dim=(2, 3))
        return self.linear(features) + (self.embedding(y) * features).sum(dim=1, keepdim=True)


generator, discriminator = Generator(), Discriminator()
for module in list(generator.modules()) + list(discriminator.modules()):
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)
nn.init.xavier_uniform_(discriminator.embedding.weight)
for module in list(discriminator.modules()):
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.Embedding)):
        spectral_norm(module)

opt_g = torch.optim.Adam(generator.parameters(), lr=8e-4, betas=(0.0, 0.99), eps=1e-7)
opt_d = torch.optim.Adam(discriminator.parameters(), lr=8e-4, betas=(0.0, 0.99), eps=1e-7)
parameters = list(generator.parameters())
averages = [p.detach().clone() for p in parameters]
updates = torch.zeros(())  # a tensor, so that torch.compile does not specialize on the changing decay
b = args.batch_size
real = torch.rand(b, 1, 28, 28) * 2 - 1
real_labels = torch.randint(0, classes, (b,))


def update_average():
    with torch.no_grad():
        d = torch.clamp((1 + updates) / (10 + updates), max=0.999)
        updates.add_(1)
        torch._foreach_mul_(averages, d)
        torch._foreach_add_(averages, torch._foreach_mul(parameters, 1 - d))


def step():
    fake_labels = torch.randint(0, classes, (b,))
    with autocast():
        fake = generator(torch.randn(b, 128), fake_labels)
    # ---- Train Discriminator ---- (relativistic average BCE; real and fake in one pass)
    opt_d.zero_grad(set_to_none=True)
    with autocast():
        out = discriminator(torch.cat([real, fake.detach()]), torch.cat([real_labels, fake_labels]))
        d_real, d_fake = out[:b], out[b:]
        d_loss = F.binary_cross_entropy_with_logits(d_real - d_fake.mean(), torch.ones_like(d_real)) \
            + F.binary_cross_entropy_with_logits(d_fake - d_real.mean(), torch.zeros_like(d_fake))
    d_loss.backward()
    opt_d.step()
    # ---- Train Generator ----
    opt_g.zero_grad(set_to_none=True)
    with autocast():
        with torch.no_grad():
            judged_real = discriminator(real, real_labels)
        judged_fake = discriminator(fake, fake_labels)
        g_loss = F.binary_cross_entropy_with_logits(judged_fake - judged_real.mean(), torch.ones_like(judged_fake)) \
            + F.binary_cross_entropy_with_logits(judged_real - judged_fake.mean(), torch.zeros_like(judged_real))
    g_loss.backward()
    opt_g.step()
    update_average()


report(step, args.seconds, b, warmup=5, modules=(generator, discriminator))
