#!/usr/bin/env python3
"""The transform matrices of Winograd's F(4, 5) (and so F(4×4, 5×5)) in exact rational arithmetic,
as Sources/SwiftGANCKernels/winograd.c writes them out, and a check that they compute the
correlation exactly.

Toom-Cook with the points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity (alpha = 4 + 5 - 1 = 8): the
linear convolution s = g * h of a 5-tap g and a 4-tap h is evaluated at the points
(G g, A h), multiplied pointwise and interpolated back (C); correlating a length-8 d with g is its
transpose with respect to h, so y = A^T [(G g) . (B^T d)] with B = C. Lagrange's denominators go
into G; row 0 of G and B^T is negated (it changes nothing) so both start with +1.

    python3 scripts/winograd-matrices.py      (prints the matrices; exits 1 if a check fails)
"""
from fractions import Fraction as F
import random

M_OUT, R = 4, 5
ALPHA = M_OUT + R - 1
POINTS = [F(0), F(1), F(-1), F(2), F(-2), F(1, 2), F(-1, 2)]  # and infinity


def polymul(p, q):
    out = [F(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return out


def product_of_factors(skip=None):
    """Coefficients (lowest degree first) of the product of (x - p) over the points but `skip`."""
    poly = [F(1)]
    for index, p in enumerate(POINTS):
        if index != skip:
            poly = polymul(poly, [-p, F(1)])
    return poly


def matrices():
    denominators = []
    for j, p in enumerate(POINTS):
        d = F(1)
        for l, q in enumerate(POINTS):
            if l != j:
                d *= p - q
        denominators.append(d)
    at = [[p**i for p in POINTS] + [F(1) if i == M_OUT - 1 else F(0)] for i in range(M_OUT)]
    g = [[p**k / denominators[j] for k in range(R)] for j, p in enumerate(POINTS)] + [[F(0)] * (R - 1) + [F(1)]]
    bt = [product_of_factors(j) + [F(0)] for j in range(len(POINTS))] + [product_of_factors()]
    g[0] = [-v for v in g[0]]
    bt[0] = [-v for v in bt[0]]
    return at, g, bt


def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def transpose(a):
    return [list(row) for row in zip(*a)]


def check(at, g, bt):
    rng = random.Random(0)
    for _ in range(20):
        d = [[F(rng.randint(-9, 9)) for _ in range(ALPHA)] for _ in range(ALPHA)]
        k = [[F(rng.randint(-9, 9)) for _ in range(R)] for _ in range(R)]
        u = matmul(matmul(g, k), transpose(g))
        v = matmul(matmul(bt, d), transpose(bt))
        y = matmul(matmul(at, [[u[i][j] * v[i][j] for j in range(ALPHA)] for i in range(ALPHA)]), transpose(at))
        direct = [[sum(d[i + a][j + b] * k[a][b] for a in range(R) for b in range(R)) for j in range(M_OUT)]
                  for i in range(M_OUT)]
        if y != direct:
            return False
    return True


def show(name, m):
    print(name)
    for row in m:
        print("  " + " ".join(f"{str(v):>7}" for v in row))


if __name__ == "__main__":
    at, g, bt = matrices()
    show("A^T (4x8)", at)
    show("G (8x5)", g)
    show("B^T (8x8)", bt)
    ok = check(at, g, bt)
    print("y = A^T [(G k G^T) . (B^T d B)] A equals the 2-D correlation exactly:", "yes" if ok else "NO")
    raise SystemExit(0 if ok else 1)
