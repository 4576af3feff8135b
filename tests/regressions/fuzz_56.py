"""Found by the fuzzer: crashed (NameError: bwd_h2_q is not defined), not shrunk.

The copies pass merged `y_bar = bwd_h2_q(...)` and `y_bar += ...` into one sum, the
call nested in it, and the derivatives a gradient calls were looked for at the top
of statements only, so bwd_h2_q was never written.

Reproduce: python -m fuzz --one 56
"""

# fuzz seed: 56
# ruff: noqa  (a generated program, kept as the fuzzer wrote it)
import math


def h1(p, q=-1.73):
    for i in range(2):
        if (math.atan(p) < math.atanh(0.5 * math.sin(q)) or p > 3):
            for j in range(3):
                if p > (j * 0.25):
                    continue
                s = math.tanh((math.tanh((j * 0.16)) ** 3 - -1.35))
                u = math.erf(s)
            if ((p * 0.18) > math.log(2.0 + math.cos(p), 2.0) or p > 1.71):
                if not (min(p, p) >= -1.23):
                    return (p * (1.5 + math.cos((q if -1.51 < q < 2 else q))) ** math.tanh(p))
                p = 0.5 * math.atan((q + 1.98))
                d = math.tanh((p + math.fabs(p)))
            s = math.sin((q + (-q)))
            if s < q:
                break
        else:
            p -= 0.3 * math.tanh((math.acos(0.5 * math.tanh(q)) + math.exp(math.tanh(1))))
            d = math.tanh(p)
        q += 0.3 * math.tanh(min(math.hypot(p, 0.5), ((i * 0.5) - q)))
        if p < (1.0 + q * q) ** 0.5:
            j = 0
            while j < 4:
                j += 1
                c = math.sin((p * p))
            s = math.tanh(((p * 1.45) if p < p else 1))
            b = math.tanh(s)
        a = math.erf((p * q))
        if q <= ((i * 0.26) + q):
            continue
        d, u = 0.5 * math.atan((math.exp(math.tanh(q)) * (a - a))), math.sin(a)
        a *= (0.9 * math.erf((d % 1.5)))
    return (math.exp(math.tanh((-1))) - p) + q


def h2(p, q):
    if not ((p - q) < h1(q)):
        p *= math.exp(math.tanh((q - p)))
        c, s = (math.sqrt(2.0 + math.sin(q)) / 3), -0.77
        i = 0
        while i < 3:
            i += 1
            d = math.sin(math.asinh(s))
            if (q * -0.38) >= c:
                if ((c - (i * 0.36)) > 1.28 or c > -2.0):
                    s = 0.5 * math.atan((math.log1p(0.48 * 0.48) + 0.47))
                    continue
                if c <= q:
                    p = 0.5 * p + 0.5 * math.tanh((1.13 - q))
                    continue
            if not (-0.44 <= d):
                p, s = s, p
                if (p % 1.5) < math.tanh(c) ** 3:
                    s = 0.5 * math.atan((math.log2(1.5 + math.sin(q)) + (i * 0.19)))
                    break
                if q > (math.pi - c):
                    s = 0.5 * s + 0.5 * math.tanh((0.22 - c))
                    break
            b = math.erf(p)
    else:
        u = (-1.39 + p)
    for i in range(2, 0, -1):
        c = math.erf(p)
        if h1(math.e) <= 0.16:
            u = math.tanh(math.exp(math.tanh((q if q >= p else q))))
            if p < p:
                u = max((i * 0.39), (2 / (1.5 + u * u)))
                b = math.sin(((1.01 + (i * 0.38)) if p <= q else c))
                q /= (1.5 + math.tanh(((--0.6) / (1.5 + math.atan(u) * math.atan(u)))) * math.tanh(((--0.6) / (1.5 + math.atan(u) * math.atan(u)))))
            else:
                b = math.erf(c)
                if -1.46 <= math.atanh(0.5 * math.sin(1.23)) and (i * 0.4) > 1.81:
                    continue
                if q < c:
                    break
            for j in range(0, 2, 2):
                u -= 0.3 * math.tanh(b)
                b, q = q, b
            p -= 0.3 * math.sin(math.sin((i * 0.44)))
        elif c <= (q) ** 2:
            p /= (1.5 + math.sin(((1.32 * -0.77) - c)) * math.sin(((1.32 * -0.77) - c)))
            u = math.erf(p)
            q = math.erf(u)
        else:
            if ((i * 0.38) * q) <= c:
                a = math.sin((p * 3))
            elif p <= (-c) and q > 0.9:
                if ((-c) <= math.hypot(c, 0.5) or p > -0.64):
                    break
            elif ((p - q) >= math.log10(1.0 + 1.93 * 1.93) or 0.08 > 0.59):
                p = h1(q, q=p)
                if h1(p=c) <= math.expm1(math.tanh(q)):
                    p = 0.5 * math.atan(math.asinh(p))
                    break
                d = math.erf(q)
            v = 0.5 * math.atan(q)
            v = math.sin(q)
        s = math.erf(math.asinh(math.atanh(0.5 * math.sin(0.47))))
        p += 0.3 * 0.5 * math.atan(math.erfc((i * 0.24)))
        if math.hypot(p, 0.5) >= pow(math.tanh(p), 2) and c < -1.26:
            s = math.tanh(-0.2)
            continue
        if math.sin(s) > (q - s):
            s = 0.5 * math.atan((s * q))
            w = math.erf(0.39)
            if (-0.19 + w) < (q if s <= s else math.e):
                s = 0.5 * s + 0.5 * math.tanh(p)
                break
        else:
            b = math.erf(1.25)
        a = math.tanh(math.exp(-(p) ** 2))
    for i in range(4, 0, -1):
        if (q < p or p > -0.71):
            s, a = min(q, -1.26), math.tanh((q + (q * q)))
            u = 0.5 * math.atan((a + (0.7 / (1.5 + 1.42 * 1.42))))
            w = math.sin(math.atanh(0.5 * math.sin(math.exp(-((i * 0.26)) ** 2))))
        elif q <= q:
            for j in range(4):
                if (1.5 + math.cos(p)) ** math.tanh(q) >= (p * p):
                    return p
                if p >= q and q > -1.93:
                    continue
                if p > p:
                    continue
            c = math.tanh(math.log(1.0 + (i * 0.24) * (i * 0.24)))
            s = math.tanh((i * 0.18))
            w = h1((c * p), q=c)
            c /= (1.5 + math.sin(s) * math.sin(s))
        q /= (1.5 + math.sin(math.sqrt(2.0 + math.sin(math.sinh(math.tanh(0.83))))) * math.sin(math.sqrt(2.0 + math.sin(math.sinh(math.tanh(0.83))))))
        for j in range(1, 3):
            if 0.4 < p < 3:
                if p >= p:
                    break
                b = math.tanh(math.fabs(math.cos((i * 0.34))))
            else:
                q /= (1.5 + math.erf(((p + (j * 0.4)) + q)) * math.erf(((p + (j * 0.4)) + q)))
                d, c = (j * 0.49), 0.5 * math.atan(q)
    return math.atanh(0.5 * math.sin(-1.81))


def f(x, y):
    i = 0
    while True:
        i += 1
        if i > 3:
            break
        if not (y < (0.69 % 1.5)):
            v = math.erf(-0.73)
        else:
            x *= (0.9 * math.tanh((max(y, x, y) + (y if (-0.6 >= x or x > 1.28) else y))))
        if math.fabs(x) <= y:
            break
        if (x > (i * 0.13) or x > 0.7):
            if y >= -1.96 and y < 0.92:
                y = 0.5 * math.atan((h1(p=x, q=(i * 0.46)) + (i * 0.28)))
                continue
            a = 0.5 * math.atan((y * math.log2(1.5 + math.sin(x))))
            d = math.tanh((y / (1.5 + -1.93 * -1.93)))
        elif x < (y * y):
            if (x % 1.5) < y:
                x *= (0.9 * math.sin(math.asinh((y - y))))
            else:
                if math.atan2(y, 1.5 + math.cos(math.pi)) > math.tanh(-1.18) ** 3:
                    x = 0.5 * x + 0.5 * math.tanh((y + max(-1.65, 3)))
                    break
                y -= 0.3 * math.sin(0.32)
            y, x = x, y
            v = math.tanh((abs(y) / 2.0))
            d = math.sin(((x * v) + (y * v)))
            for j in range(1, 3):
                if not (1.34 >= (x * y)):
                    continue
                v = math.sin(math.log(1.0 + math.pi * math.pi))
                s = 0.5 * math.atan(v)
        y /= (1.5 + math.sin(x) * math.sin(x))
    i = 0
    while i < 2:
        i += 1
        j = 0
        while j < 3:
            j += 1
            for k in range(2):
                y *= (0.9 * math.sin(math.log(2.0 + math.cos((x - y)), 2.0)))
                y = 0.5 * y + 0.5 * math.tanh(h2((k * 0.15), y))
            k = 0
            while k < 4:
                k += 1
                y /= (1.5 + math.tanh(y) * math.tanh(y))
            c = math.erf((math.pi * x))
    d, c = math.tanh(math.e), (math.sin(x) / (2.0 + math.cos((-(y / 2.0)))))
    for i in range(3):
        j = 0
        while True:
            j += 1
            if j > 1:
                break
            w = 0.5 * math.atan(1.18)
            y, w = w, y
            if x < (j * 0.28):
                break
            if h1(p=x) <= (d * w):
                a = math.erf((y + (1.63) ** 2))
                if y < math.atan2(y, 1.5 + math.cos(a)):
                    w = math.tanh(y)
                    continue
                y, w = w, y
            w = math.sin((d * math.asinh((i * 0.37))))
        if (d + 2.0) > 0.77:
            if (d + 3) >= math.tanh((i * 0.48)) ** 3 and x > 1.89:
                c, y = y, c
                x = 0.5 * x + 0.5 * math.tanh((math.tanh(c) ** 3 * d))
            if (y <= (i * 0.42) or y > -0.56):
                x = 0.5 * x + 0.5 * math.tanh(y)
                if y < y:
                    break
            if math.acos(0.5 * math.tanh(y)) > y:
                return c
            if -1.05 < math.asinh(d):
                d = 0.5 * math.atan(y)
                break
        else:
            if math.erfc(1.39) >= d:
                return math.atan2(math.log2(1.5 + math.sin(y)), 1.5 + math.cos(0.17))
            a = 0.5 * math.atan(y)
            if -1.82 < -1.45 and (i * 0.34) < 0.76:
                y = 0.5 * math.atan(a)
        j = 0
        while j < 2:
            j += 1
            a = d
            if x > y:
                c = 0.5 * c + 0.5 * math.tanh((math.acosh(1.5 + a * a) + x))
                continue
            u = math.sin((math.fabs(x) / 2.0))
    return c



POINTS = [(0.4137, 0.5721), (0.2913, -0.2689), (-0.4271, 0.7093)]


def test_fuzz_56():
    from fuzz.check import assert_matches_finite_differences

    assert_matches_finite_differences(f, POINTS)
