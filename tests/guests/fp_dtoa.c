/* Double-to-string with exact digits, written here: big integers for the shortest digits that
   read back to the same double (Steele & White's free format with Burger & Dybvig's
   boundaries), the exact decimal expansion (f * 5^-e), and %.16e rounded half-even from it.
   The doubles come from FP arithmetic (FDIV, FSQRT, FMADD, series, conversions) and random bit
   patterns. FP is exercised again by a naive FP printer, by reading the shortest digits back
   on Clinger's fast path (SCVTF, then one multiply or divide by an exact power of ten), by
   FCVT to float, and by rounding to integral values and integers in every FPCR rounding mode.

   One line per double: "d <bits> <shortest> <%.16e> <exact> ...". tests/test_fp_guests.py
   checks the shortest, %.16e and exact columns against Python's float repr, format and
   Decimal, as well as qemu-system-aarch64 printing the same. */
#include "fp.h"

/* --- big unsigned integers, 32-bit limbs ----------------------------------------------------- */

#define LIMBS 100                       /* 3200 bits: 2^53 * 5^1074 needs 2548 */

typedef struct {
    int n;                              /* limbs in use; the top one is non-zero */
    uint32_t d[LIMBS];
} big;

static void big_trim(big *b)
{
    while (b->n && !b->d[b->n - 1])
        b->n--;
}

static void big_set(big *b, uint64_t v)
{
    b->n = 0;
    for (; v; v >>= 32)
        b->d[b->n++] = (uint32_t)v;
}

static void big_mul_small(big *b, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->d[i] * m + carry;
        b->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry)
        b->d[b->n++] = (uint32_t)carry;
}

static void big_shl(big *b, int s)
{
    if (!b->n || !s)
        return;
    int w = s / 32, r = s % 32, n = b->n;
    uint32_t out[LIMBS];
    for (int i = 0; i < n + w + 1; i++)
        out[i] = 0;
    for (int i = 0; i < n; i++) {
        uint64_t v = (uint64_t)b->d[i] << r;
        out[i + w] |= (uint32_t)v;
        out[i + w + 1] |= (uint32_t)(v >> 32);
    }
    b->n = n + w + 1;
    for (int i = 0; i < b->n; i++)
        b->d[i] = out[i];
    big_trim(b);
}

static int big_cmp(const big *a, const big *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (int i = a->n - 1; i >= 0; i--)
        if (a->d[i] != b->d[i])
            return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}

static void big_add(big *r, const big *a, const big *b)
{
    int n = a->n > b->n ? a->n : b->n;
    uint64_t carry = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = carry + (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0);
        r->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    r->n = n;
    if (carry)
        r->d[r->n++] = (uint32_t)carry;
}

static void big_sub(big *a, const big *b)          /* a >= b */
{
    int64_t borrow = 0;
    for (int i = 0; i < a->n; i++) {
        int64_t t = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
        borrow = t < 0;
        a->d[i] = (uint32_t)(t + (borrow << 32));
    }
    big_trim(a);
}

static uint32_t big_divmod_small(big *b, uint32_t m)
{
    uint64_t rem = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        uint64_t cur = (rem << 32) | b->d[i];
        b->d[i] = (uint32_t)(cur / m);
        rem = cur % m;
    }
    big_trim(b);
    return (uint32_t)rem;
}

/* Decimal digits of b (destroyed), no leading zeros; "" for 0. Returns the length. */
static int big_to_dec(big *b, char *out)
{
    char tmp[1000];
    int n = 0;
    while (b->n) {
        uint32_t chunk = big_divmod_small(b, 1000000000u);
        for (int k = 0; k < 9; k++, chunk /= 10)
            tmp[n++] = (char)('0' + chunk % 10);
    }
    while (n && tmp[n - 1] == '0')
        n--;
    for (int k = 0; k < n; k++)
        out[k] = tmp[n - 1 - k];
    out[n] = 0;
    return n;
}

/* --- a binary float as f * 2^e --------------------------------------------------------------- */

struct fmt {
    int mbits, bias;                    /* stored fraction bits, exponent bias */
};
static const struct fmt F64 = {52, 1023}, F32 = {23, 127};

struct parts {
    int neg, kind;                      /* kind: 0 finite, 1 infinity, 2 NaN */
    uint64_t f;                         /* significand, hidden bit included */
    int e, min_e;                       /* value = f * 2^e; min_e: e of the denormals */
};

static struct parts split(uint64_t bits, struct fmt t)
{
    struct parts p;
    int ebits = t.bias == 1023 ? 11 : 8;
    uint64_t frac = bits & ((1ULL << t.mbits) - 1);
    int ex = (int)((bits >> t.mbits) & ((1u << ebits) - 1));
    p.neg = (int)(bits >> (t.mbits + ebits)) & 1;
    p.kind = ex == (1 << ebits) - 1 ? (frac ? 2 : 1) : 0;
    p.min_e = 1 - t.bias - t.mbits;
    p.f = ex ? frac | (1ULL << t.mbits) : frac;
    p.e = ex ? ex - t.bias - t.mbits : p.min_e;
    return p;
}

/* --- the digits -------------------------------------------------------------------------------- */

/* The shortest digits that read back to this value (nearest among them); value = 0.D * 10^k.
   r/s is the value, mp/s and mm/s the distances to the rounding boundaries above and below;
   a significand that is even reads back from its boundaries too. */
static int shortest(const struct parts *p, int mbits, char *out, int *kout)
{
    static big r, s, mp, mm, t;
    int even = (p->f & 1) == 0;
    int unequal = p->f == (1ULL << mbits) && p->e > p->min_e;      /* lower gap is half */
    big_set(&r, p->f);
    big_set(&s, 1);
    big_set(&mp, 1);
    big_set(&mm, 1);
    if (p->e >= 0) {
        big_shl(&r, p->e + 1 + unequal);
        big_shl(&s, 1 + unequal);
        big_shl(&mp, p->e + unequal);
        big_shl(&mm, p->e);
    } else {
        big_shl(&r, 1 + unequal);
        big_shl(&s, 1 + unequal - p->e);
        big_shl(&mp, unequal);
    }
    int k = 0;
    for (;;) {                          /* the smallest k with (r + mp) / s < 10^k (or <=) */
        big_add(&t, &r, &mp);
        int c = big_cmp(&t, &s);
        if (!(even ? c >= 0 : c > 0))
            break;
        big_mul_small(&s, 10);
        k++;
    }
    for (;;) {
        big_add(&t, &r, &mp);
        big_mul_small(&t, 10);
        int c = big_cmp(&t, &s);
        if (!(even ? c < 0 : c <= 0))
            break;
        big_mul_small(&r, 10);
        big_mul_small(&mp, 10);
        big_mul_small(&mm, 10);
        k--;
    }
    int n = 0;
    for (;;) {
        big_mul_small(&r, 10);
        big_mul_small(&mp, 10);
        big_mul_small(&mm, 10);
        int d = 0;
        while (big_cmp(&r, &s) >= 0) {
            big_sub(&r, &s);
            d++;
        }
        int c1 = big_cmp(&r, &mm);
        int low = even ? c1 <= 0 : c1 < 0;
        big_add(&t, &r, &mp);
        int c2 = big_cmp(&t, &s);
        int high = even ? c2 >= 0 : c2 > 0;
        if (!low && !high) {
            out[n++] = (char)('0' + d);
            continue;
        }
        if (low && high) {              /* both read back: the nearer, ties to even */
            big_add(&t, &r, &r);
            int c = big_cmp(&t, &s);
            d += c > 0 || (c == 0 && (d & 1));
        } else if (high) {
            d++;
        }
        out[n++] = (char)('0' + d);
        break;
    }
    out[n] = 0;
    *kout = k;
    return n;
}

/* The exact digits: value = 0.D * 10^k, trailing zeros dropped. */
static int exact(const struct parts *p, char *out, int *kout)
{
    static big b;
    big_set(&b, p->f);
    if (p->e >= 0) {
        big_shl(&b, p->e);
    } else {
        int n5 = -p->e;
        for (; n5 >= 13; n5 -= 13)
            big_mul_small(&b, 1220703125u);         /* 5^13 */
        for (; n5 > 0; n5--)
            big_mul_small(&b, 5);
    }
    char tmp[1000];
    int len = big_to_dec(&b, tmp);      /* digits of f * 5^-e (or f * 2^e) */
    *kout = len + (p->e < 0 ? p->e : 0);
    while (len && tmp[len - 1] == '0')
        len--;
    for (int k = 0; k < len; k++)
        out[k] = tmp[k];
    out[len] = 0;
    return len;
}

/* Round 0.D * 10^k to nsig digits, half to even (D exact, so the tail decides exactly). */
static int round_sig(const char *d, int n, int *k, int nsig, char *out)
{
    for (int i = 0; i < nsig; i++)
        out[i] = i < n ? d[i] : '0';
    out[nsig] = 0;
    if (n <= nsig)
        return nsig;
    int up;
    if (d[nsig] > '5') {
        up = 1;
    } else if (d[nsig] < '5') {
        up = 0;
    } else {
        int rest = 0;
        for (int i = nsig + 1; i < n; i++)
            rest |= d[i] != '0';
        up = rest || ((out[nsig - 1] - '0') & 1);
    }
    if (up) {
        int i = nsig - 1;
        while (i >= 0 && out[i] == '9')
            out[i--] = '0';
        if (i >= 0) {
            out[i]++;
        } else {                        /* 99.9 -> 100: one more digit to the left */
            out[0] = '1';
            (*k)++;
        }
    }
    return nsig;
}

/* --- output ------------------------------------------------------------------------------------ */

static void put_sci(const char *d, int n, int k, int min_exp_digits)
{
    putc(d[0]);
    if (n > 1) {
        putc('.');
        for (int i = 1; i < n; i++)
            putc(d[i]);
    }
    putc('e');
    int x = k - 1;
    if (min_exp_digits) {
        putc(x < 0 ? '-' : '+');
        if (x < 0)
            x = -x;
        if (x < 10)
            putc('0');
    }
    put_dec(x);
}

static void put_positional(const char *d, int n, int k)
{
    if (k <= 0) {
        puts("0.");
        for (int i = 0; i < -k; i++)
            putc('0');
        puts(d);
    } else if (k >= n) {
        puts(d);
        for (int i = n; i < k; i++)
            putc('0');
    } else {
        for (int i = 0; i < n; i++) {
            if (i == k)
                putc('.');
            putc(d[i]);
        }
    }
}

static char sd[800], xd[1200], rd[40];
static int sn, sk;                      /* the last shortest digits: count, exponent */

/* "shortest %.16e exact" for a double, or the special's name three times. */
static void put_formats(uint64_t bits)
{
    struct parts p = split(bits, F64);
    const char *special = p.kind == 1 ? "inf" : p.kind == 2 ? "nan" : p.f == 0 ? "0" : 0;
    for (int col = 0; col < 3; col++) {
        putc(' ');
        if (p.neg && p.kind != 2)
            putc('-');
        if (special) {
            puts(special);
            continue;
        }
        int k, n;
        if (col == 0) {
            sn = n = shortest(&p, F64.mbits, sd, &sk);
            put_sci(sd, n, sk, 0);
        } else {
            n = exact(&p, xd, &k);
            if (col == 1) {
                round_sig(xd, n, &k, 17, rd);
                put_sci(rd, 17, k, 2);
            } else {
                put_positional(xd, n, k);
            }
        }
    }
}

static void put_shortest_f32(float f)
{
    struct parts p = split(f32_bits(f), F32);
    if (p.neg && p.kind != 2)
        putc('-');
    if (p.kind || !p.f) {
        puts(p.kind == 1 ? "inf" : p.kind == 2 ? "nan" : "0");
        return;
    }
    char d[40];
    int k, n = shortest(&p, F32.mbits, d, &k);
    put_sci(d, n, k, 0);
}

/* A naive printer in FP arithmetic: scale into [1, 10) by tens, then peel 17 digits. */
static void put_naive(double v)
{
    if (v != v || v - v != 0) {
        puts("-");
        return;
    }
    if (v < 0) {
        putc('-');
        v = -v;
    }
    int x = 0;
    if (v != 0) {
        while (v >= 10) {
            v /= 10;
            x++;
        }
        while (v < 1) {
            v *= 10;
            x--;
        }
    }
    for (int i = 0; i < 17; i++) {
        int d = (int)v;
        d = d > 9 ? 9 : d;
        putc((char)('0' + d));
        if (i == 0)
            putc('.');
        v = (v - d) * 10;
    }
    putc('e');
    put_dec(x);
}

/* Clinger's fast path: digits <= 15 and |power of ten| <= 22 read back exactly with one
   rounding. Returns 1 if it applies (then *out is the double). */
static double pow10_tab[23];

static int fast_read(const char *d, int n, int k, double *out)
{
    int p = k - n;
    if (n > 15 || p > 22 || p < -22)
        return 0;
    int64_t m = 0;
    for (int i = 0; i < n; i++)
        m = m * 10 + (d[i] - '0');
    double v = (double)m;
    *out = p >= 0 ? v * pow10_tab[p] : v / pow10_tab[-p];
    return 1;
}

/* --- the doubles ------------------------------------------------------------------------------ */

static uint64_t seed = 0x6a09e667f3bcc908UL;
static int fast_tried, fast_ok;

static void show(const char *name, double v)
{
    uint64_t bits = f64_bits(v);
    puts("d ");
    puts(name);
    putc(' ');
    put_hex64(bits);
    put_formats(bits);
    puts(" naive ");
    put_naive(v);
    puts(" f32 ");
    float f = (float)v;
    put_hex(f32_bits(f));
    putc(' ');
    put_shortest_f32(f);
    putc('\n');
    struct parts p = split(bits, F64);
    if (!p.kind && p.f) {
        double back;
        if (fast_read(sd, sn, sk, &back)) {
            fast_tried++;
            fast_ok += f64_bits(back) == (bits & ~(1ULL << 63));
        }
    }
}

static double series_pi(void)                 /* Machin: 16 atan(1/5) - 4 atan(1/239) */
{
    double a = 0, b = 0, t5 = 1.0 / 5, t239 = 1.0 / 239;
    for (int k = 0; k < 30; k++) {
        double s = (k & 1) ? -1 : 1;
        a += s * t5 / (2 * k + 1);
        b += s * t239 / (2 * k + 1);
        t5 /= 25;
        t239 /= 57121;
    }
    return 16 * a - 4 * b;
}

static double series_e(void)
{
    double e = 1, t = 1;
    for (int k = 1; k < 25; k++) {
        t /= k;
        e += t;
    }
    return e;
}

static void computed(void)
{
    volatile double one = 1, three = 3, ten = 10, two = 2;
    show("1/3", one / three);
    show("2/3", 2 * one / three);
    show("1/10", one / ten);
    show("0.1+0.2", one / ten + two / ten);
    show("sqrt2", __builtin_sqrt(two));
    show("-sqrt3", -__builtin_sqrt(3 * one));
    show("pi", series_pi());
    show("e", series_e());
    show("fma", __builtin_fma(one / three, three, -one));
    show("1e23", 1e22 * ten);
    double p = one;
    for (int i = 0; i < 30; i++)
        p *= ten;
    show("10^30", p);
    for (int i = 0; i < 60; i++)
        p /= ten;
    show("10^-30", p);
    show("2^53+1", (double)(int64_t)((1LL << 53) + 1));
    show("u64max", (double)(uint64_t)~0ULL);
    show("i64min", (double)(int64_t)(1ULL << 63));
    show("dblmax", bits_f64(0x7fefffffffffffffUL));
    show("dblmin", bits_f64(0x0010000000000000UL));
    show("dblmin/2", bits_f64(0x0010000000000000UL) / two);
    show("denmin", bits_f64(1));
    show("dblmax*2", bits_f64(0x7fefffffffffffffUL) * two);
    show("-0", -(one - one));
    show("0/0", (one - one) / (one - one));
    show("5e-324*0.5", bits_f64(1) / two);
    show("9.5", 19 * one / two);
    show("2^-1022-ulp", bits_f64(0x000fffffffffffffUL));
    show("2^63", bits_f64(0x43e0000000000000UL));
    show("1e308", 1e300 * (double)100000000);
    show("4.35", 435 * one / 100);
    show("0.3", 3 * one / ten);
    show("123456.789", 123456789 * one / 1000);
}

/* Rounding to integral values and to integers (FRINT*, FCVT*) in each FPCR mode. */
static void rounding(void)
{
    static const char *mode[4] = {"rn", "rp", "rm", "rz"};
    volatile double v[] = {2.5, -2.5, 3.5, -0.5, 0.49999999999999994, 1e16 + 1, -7.75,
                           4503599627370497.0, 1e19, -9.3e18, 2e-300};
    for (int m = 0; m < 4; m++) {
        fpcr_set(FPCR_RMODE(m));
        uint64_t h = 0;
        for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
            double x = v[i];
            h = mix_f64(h, __builtin_rint(x));
            h = mix_f64(h, __builtin_nearbyint(x));
            h = mix_f64(h, __builtin_round(x));
            h = mix_f64(h, __builtin_floor(x));
            h = mix_f64(h, __builtin_ceil(x));
            h = mix_f64(h, __builtin_trunc(x));
            h = mix(h, (uint64_t)(int64_t)x);
            h = mix(h, (uint64_t)__builtin_llround(x));
            h = mix(h, (uint64_t)(int32_t)x);
            h = mix(h, (uint64_t)x);
            h = mix_f64(h, (double)(int64_t)(v[i] * 1e3));
            h = mix_f32(h, (float)x);
            h = mix_f32(h, (float)(int64_t)(v[i] * 7));
        }
        uint64_t fpsr = fpsr_get();
        fpcr_set(0);
        puts(mode[m]);
        put_kv(" rounding", h);
        puts(mode[m]);
        put_kv(" rounding fpsr", fpsr);
        fpsr_set(0);
    }
}

int main(void)
{
    pow10_tab[0] = 1;
    for (int i = 1; i < 23; i++)
        pow10_tab[i] = pow10_tab[i - 1] * 10;
    computed();
    put_fpsr("computed fpsr");
    for (int i = 0; i < 120; i++) {
        char name[8] = "r";
        name[1] = (char)('0' + i / 100);
        name[2] = (char)('0' + i / 10 % 10);
        name[3] = (char)('0' + i % 10);
        name[4] = 0;
        uint64_t bits = xorshift64(&seed);
        if (i % 3 == 0)                 /* near 1: the exponents with short exact forms */
            bits = (bits & 0x800fffffffffffffUL) | ((uint64_t)(1023 + (int)(bits >> 52) % 60 - 30) << 52);
        if (i % 3 == 1) {               /* a short decimal m * 10^p, correctly rounded */
            double m = (double)(bits % 10000000), t = pow10_tab[(bits >> 32) % 23];
            bits = f64_bits((bits >> 40) & 1 ? m * t : m / t);
        }
        show(name, bits_f64(bits));
    }
    put_fpsr("random fpsr");
    puts("fast path reads ");
    put_dec(fast_ok);
    puts(" of ");
    put_dec(fast_tried);
    putc('\n');
    rounding();
    puts("dtoa: done\n");
    return 0;
}
