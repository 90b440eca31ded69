"""The dcgan64 training step in PyTorch, for comparing with `swiftgan bench dcgan64`.

Same networks as SwiftGAN's dcgan64 at its bench defaults (the DCGAN paper's architecture, width
w = 32, 64×64×3 images) in PyTorch's NCHW layout; with 4×4 kernels and stride 2, padding=1 is exactly
Keras's 'same' here (output = 2 × input):

    G: z(100) → Linear 4·4·8w (no bias) → view 8w×4×4 → BatchNorm → ReLU
              → 3 × [ConvTranspose 4×4, stride 2 (no bias) → BatchNorm → ReLU]  (8w → 4w → 2w → w)
              → ConvTranspose 3, 4×4, stride 2 → tanh                             (64×64×3)
    D: Conv w, 4×4, stride 2 → LeakyReLU(0.2)
       → 3 × [Conv 4×4, stride 2 (no bias) → BatchNorm → LeakyReLU(0.2)]          (w → 2w → 4w → 8w, 4×4)
       → Flatten → Linear 1 (logit)

Weights N(0, 0.02), BatchNorm(momentum 0.1, ε 1e-5) (SwiftGAN's Keras-style momentum 0.9),
Adam(2e-4, β₁ 0.5, ε 1e-7), batch 64, random data in [-1, 1]. D has batch statistics, so its update
sees the real and the fake batch in separate passes (each normalized by its own statistics), as
SwiftGAN's GANTrainingStep does for such a D; then one generator update.
Usage: python3 scripts/compare/pytorch_dcgan64.py [--seconds 5] [--threads N] [--compile] [--bf16] [--width 32]
"""
import torch
from torch import nn

from timing import autocast, report, setup

args = setup(batch_size=64, add_options=lambda p: p.add_argument(
    "--width", type=int, default=32, help="base channel count w, as `swiftgan train --width` (bench: 32)"))
w = args.width


def norm(c):
    return nn.BatchNorm2d(c, momentum=0.1, eps=1e-5)


class Reshape(nn.Module):
    def forward(self, x):
        return x.view(-1, 8 * w, 4, 4)


g = [nn.Linear(100, 4 * 4 * 8 * w, bias=False), Reshape(), norm(8 * w), nn.ReLU()]
c = 8 * w
for _ in range(3):
    g += [nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1, bias=False), norm(c // 2), nn.ReLU()]
    c //= 2
g += [nn.ConvTranspose2d(c, 3, 4, stride=2, padding=1), nn.Tanh()]
generator = nn.Sequential(*g)

d = [nn.Conv2d(3, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
c = w
for _ in range(3):
    d += [nn.Conv2d(c, c * 2, 4, stride=2, padding=1, bias=False), norm(c * 2), nn.LeakyReLU(0.2)]
    c *= 2
d += [nn.Flatten(), nn.Linear(4 * 4 * c, 1)]
discriminator = nn.Sequential(*d)

for module in list(generator) + list(discriminator):
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)

opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
bce = nn.BCEWithLogitsLoss()
b = args.batch_size
real = torch.rand(b, 3, 64, 64) * 2 - 1
ones, zeros = torch.ones(b, 1), torch.zeros(b, 1)


def step():
    with autocast():
        fake = generator(torch.randn(b, 100))
    # ---- Train Discriminator ---- (two passes: D normalizes each batch by its own statistics)
    opt_d.zero_grad(set_to_none=True)
    with autocast():
        d_loss = (bce(discriminator(real), ones) + bce(discriminator(fake.detach()), zeros)) / 2
    d_loss.backward()
    opt_d.step()
    # ---- Train Generator ----
    opt_g.zero_grad(set_to_none=True)
    with autocast():
        g_loss = bce(discriminator(fake), ones)
    g_loss.backward()
    opt_g.step()


report(step, args.seconds, b, warmup=5, modules=(generator, discriminator))
