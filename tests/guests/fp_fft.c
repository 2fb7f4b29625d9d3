/* Radix-2 FFT in double and float: twiddles from our own sine and cosine series (FDIV), the
   bit-reversal permutation, butterflies over contiguous per-level twiddles (vectorisable),
   magnitudes (FSQRT), the strongest bins, Parseval's energies, the inverse transform and its
   round-trip error, and an integer convolution through the FFT rounded back (FRINTA, FCVTZS)
   and checked against the direct one. Everything is printed as bit patterns or integers. */
#include "fp.h"

#define LOGN 10
#define N (1 << LOGN)
static const double PI = 3.14159265358979323846;

/* tw_*[h + j] = exp(-i pi j / h) for the level whose butterflies span 2h (h = 1, 2, 4, ...). */
static double tw_re[N], tw_im[N], re[N], im[N], x0[N];
static float twf_re[N], twf_im[N], ref[N], imf[N];
static uint64_t seed = 0x9e3779b97f4a7c15UL;

/* Taylor series, |x| <= pi: each term from the last by one multiply and one divide. */
static double sin_t(double x)
{
    double term = x, sum = x;
    for (int n = 1; n < 20; n++) {
        term *= -x * x / ((2 * n) * (2 * n + 1));
        sum += term;
    }
    return sum;
}

static double cos_t(double x)
{
    double term = 1, sum = 1;
    for (int n = 1; n < 20; n++) {
        term *= -x * x / ((2 * n - 1) * (2 * n));
        sum += term;
    }
    return sum;
}

static void twiddles(void)
{
    for (int h = 1; h < N; h <<= 1)
        for (int j = 0; j < h; j++) {
            double a = PI * j / h;
            tw_re[h + j] = cos_t(a);
            tw_im[h + j] = -sin_t(a);
            twf_re[h + j] = (float)tw_re[h + j];
            twf_im[h + j] = (float)tw_im[h + j];
        }
}

static unsigned bitrev(unsigned v)
{
    unsigned r = 0;
    for (int b = 0; b < LOGN; b++, v >>= 1)
        r = (r << 1) | (v & 1);
    return r;
}

#define FFT(NAME, T, TRE, TIM)                                                         \
static void __attribute__((noinline)) NAME(T *restrict xr, T *restrict xi, int inverse) \
{                                                                                       \
    for (unsigned k = 0; k < N; k++) {                                                  \
        unsigned r = bitrev(k);                                                         \
        if (r > k) {                                                                    \
            T t = xr[k]; xr[k] = xr[r]; xr[r] = t;                                      \
            t = xi[k]; xi[k] = xi[r]; xi[r] = t;                                        \
        }                                                                               \
    }                                                                                   \
    T sgn = inverse ? -1 : 1;                                                           \
    for (int h = 1; h < N; h <<= 1)                                                     \
        for (int i = 0; i < N; i += 2 * h) {                                            \
            T *ar = xr + i, *ai = xi + i, *br = xr + i + h, *bi = xi + i + h;           \
            for (int j = 0; j < h; j++) {                                               \
                T wr = TRE[h + j], wi = sgn * TIM[h + j];                               \
                T vr = br[j] * wr - bi[j] * wi, vi = br[j] * wi + bi[j] * wr;           \
                br[j] = ar[j] - vr;                                                     \
                bi[j] = ai[j] - vi;                                                     \
                ar[j] += vr;                                                            \
                ai[j] += vi;                                                            \
            }                                                                           \
        }                                                                               \
    if (inverse) {                                                                      \
        T s = (T)1 / N;                                                                 \
        for (int k = 0; k < N; k++) {                                                   \
            xr[k] *= s;                                                                 \
            xi[k] *= s;                                                                 \
        }                                                                               \
    }                                                                                   \
}

FFT(fft_d, double, tw_re, tw_im)
FFT(fft_f, float, twf_re, twf_im)

/* Two tones (bins 37 and 100) and some noise. */
static void signal(void)
{
    for (int n = 0; n < N; n++) {
        double a = 2 * PI * ((37 * n) % N) / N, b = 2 * PI * ((100 * n) % N) / N;
        if (a > PI) a -= 2 * PI;
        if (b > PI) b -= 2 * PI;
        double noise = (double)((int64_t)xorshift64(&seed) >> 11) * 0x1p-54;
        x0[n] = 3 * cos_t(a) + 1.5 * sin_t(b) + noise;
    }
}

static void top_bins(const char *what, const double *mag)
{
    int best[4] = {-1, -1, -1, -1};
    for (int k = 0; k < N; k++)
        for (int s = 0; s < 4; s++)
            if (best[s] < 0 || mag[k] > mag[best[s]]) {
                for (int t = 3; t > s; t--)
                    best[t] = best[t - 1];
                best[s] = k;
                break;
            }
    puts(what);
    puts(" top bins");
    for (int s = 0; s < 4; s++) {
        putc(' ');
        put_dec(best[s]);
    }
    putc('\n');
}

static double mag[N];

static void run_double(const char *mode, uint64_t fpcr)
{
    fpcr_set(fpcr);
    fpsr_set(0);
    for (int k = 0; k < N; k++) {
        re[k] = x0[k];
        im[k] = 0;
    }
    double et = 0, ef = 0;
    for (int k = 0; k < N; k++)
        et += x0[k] * x0[k];
    fft_d(re, im, 0);
    uint64_t h = 0;
    for (int k = 0; k < N; k++) {
        mag[k] = __builtin_sqrt(re[k] * re[k] + im[k] * im[k]);
        ef += mag[k] * mag[k];
        h = mix_f64(mix_f64(h, re[k]), im[k]);
    }
    ef /= N;
    puts(mode);
    put_kv(" fft.d spectrum", h);
    top_bins(mode, mag);
    puts(mode);
    put_kv(" fft.d energy time", f64_bits(et));
    puts(mode);
    put_kv(" fft.d energy freq", f64_bits(ef));
    fft_d(re, im, 1);
    double err = 0;
    h = 0;
    for (int k = 0; k < N; k++) {
        double d = __builtin_fabs(re[k] - x0[k]) + __builtin_fabs(im[k]);
        err = __builtin_fmax(err, d);
        h = mix_f64(mix_f64(h, re[k]), im[k]);
    }
    puts(mode);
    put_kv(" ifft.d", h);
    puts(mode);
    put_kv(" ifft.d max error", f64_bits(err));
    uint64_t fpsr = fpsr_get();
    fpcr_set(0);
    puts(mode);
    put_kv(" fpsr", fpsr);
}

static void run_float(void)
{
    fpsr_set(0);
    for (int k = 0; k < N; k++) {
        ref[k] = (float)x0[k];
        imf[k] = 0;
    }
    fft_f(ref, imf, 0);
    uint64_t h = 0;
    for (int k = 0; k < N; k++) {
        mag[k] = __builtin_sqrtf(ref[k] * ref[k] + imf[k] * imf[k]);
        h = mix_f32(mix_f32(h, ref[k]), imf[k]);
    }
    put_kv("fft.f spectrum", h);
    top_bins("fft.f", mag);
    fft_f(ref, imf, 1);
    float err = 0;
    h = 0;
    for (int k = 0; k < N; k++) {
        float d = __builtin_fabsf(ref[k] - (float)x0[k]);
        err = d > err ? d : err;
        h = mix_f32(mix_f32(h, ref[k]), imf[k]);
    }
    put_kv("ifft.f", h);
    put_kv("ifft.f max error", f32_bits(err));
    put_fpsr("fft.f fpsr");
}

/* Product of two polynomials with small integer coefficients, through the FFT and directly. */
#define TERMS 300
static int64_t pa[TERMS], pb[TERMS], direct[2 * TERMS];
static double br_[N], bi_[N];

static void convolution(void)
{
    for (int k = 0; k < TERMS; k++) {
        pa[k] = (int64_t)(xorshift64(&seed) % 2001) - 1000;
        pb[k] = (int64_t)(xorshift64(&seed) % 2001) - 1000;
    }
    for (int k = 0; k < 2 * TERMS; k++)
        direct[k] = 0;
    for (int i = 0; i < TERMS; i++)
        for (int j = 0; j < TERMS; j++)
            direct[i + j] += pa[i] * pb[j];
    for (int k = 0; k < N; k++) {
        re[k] = k < TERMS ? (double)pa[k] : 0;
        im[k] = 0;
        br_[k] = k < TERMS ? (double)pb[k] : 0;
        bi_[k] = 0;
    }
    fft_d(re, im, 0);
    fft_d(br_, bi_, 0);
    for (int k = 0; k < N; k++) {
        double r = re[k] * br_[k] - im[k] * bi_[k], i = re[k] * bi_[k] + im[k] * br_[k];
        re[k] = r;
        im[k] = i;
    }
    fft_d(re, im, 1);
    int wrong = 0;
    uint64_t h = 0;
    double worst = 0;
    for (int k = 0; k < 2 * TERMS; k++) {
        int64_t v = (int64_t)__builtin_round(re[k]);
        wrong += v != direct[k];
        worst = __builtin_fmax(worst, __builtin_fabs(re[k] - (double)v));
        h = mix(h, (uint64_t)v);
    }
    put_kv("convolution", h);
    puts("convolution wrong coefficients ");
    put_dec(wrong);
    putc('\n');
    put_kv("convolution worst rounding distance", f64_bits(worst));
    put_fpsr("convolution fpsr");
}

int main(void)
{
    twiddles();
    uint64_t h = 0;
    for (int k = 1; k < N; k++)
        h = mix_f32(mix_f64(mix_f64(h, tw_re[k]), tw_im[k]), twf_im[k]);
    put_kv("twiddles", h);
    put_f64("cos(pi/4)", tw_re[N / 2 + N / 8]);
    put_f64("sin(pi/8)", -tw_im[N / 2 + N / 16]);
    signal();
    put_fpsr("setup fpsr");
    run_double("rn", 0);
    run_double("rz", FPCR_RMODE(3));
    run_double("rp", FPCR_RMODE(1));
    run_float();
    convolution();
    puts("fft: done\n");
    return 0;
}
