/* The floating-point workload of benchmarks/run.py (--workload fp): per round a 64x64 double
   and a 64x64 float matrix multiply in the order compilers vectorise (FMLA over rows), a
   radix-2 double FFT of 1024 points and back, and the Mandelbrot escape loop over a 64x48 grid
   in double (scalar FMUL/FADD/FCMP and branches). SCALE rounds; the matrices are fed back so
   no round can be skipped. Prints checksums of the bit patterns at the end. */
#include "fp.h"

#ifndef SCALE
#define SCALE 1
#endif
#define M 64
#define LOGN 10
#define N (1 << LOGN)

static double A[M][M], B[M][M], C[M][M];
static float Af[M][M], Bf[M][M], Cf[M][M];
static double re[N], im[N], twr[N], twi[N];
static uint64_t seed = 0x510e527fade682d1UL;

static double rnd(void) { return (double)((int64_t)xorshift64(&seed) >> 11) * 0x1p-53; }

static void __attribute__((noinline)) matmul_d(void)
{
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < M; j++)
            C[i][j] = 0;
        for (int k = 0; k < M; k++) {
            double a = A[i][k];
            for (int j = 0; j < M; j++)
                C[i][j] += a * B[k][j];
        }
    }
    /* feed back, scaled into [-1, 1] again */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            A[i][j] = C[i][j] / (__builtin_fabs(C[i][j]) + 1.0);
}

static void __attribute__((noinline)) matmul_f(void)
{
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < M; j++)
            Cf[i][j] = 0;
        for (int k = 0; k < M; k++) {
            float a = Af[i][k];
            for (int j = 0; j < M; j++)
                Cf[i][j] += a * Bf[k][j];
        }
    }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            Af[i][j] = Cf[i][j] / (__builtin_fabsf(Cf[i][j]) + 1.0f);
}

static void __attribute__((noinline)) fft(int inverse)
{
    for (unsigned k = 0, r = 0; k < N; k++) {
        if (r > k) {
            double t = re[k]; re[k] = re[r]; re[r] = t;
            t = im[k]; im[k] = im[r]; im[r] = t;
        }
        unsigned bit = N >> 1;          /* r = bit-reverse(k + 1) */
        while (r & bit) {
            r ^= bit;
            bit >>= 1;
        }
        r |= bit;
    }
    double sgn = inverse ? -1 : 1;
    for (int h = 1; h < N; h <<= 1)
        for (int i = 0; i < N; i += 2 * h)
            for (int j = 0; j < h; j++) {
                double wr = twr[h + j], wi = sgn * twi[h + j];
                double *ar = re + i + j, *ai = im + i + j, *br = re + i + j + h, *bi = im + i + j + h;
                double vr = *br * wr - *bi * wi, vi = *br * wi + *bi * wr;
                *br = *ar - vr;
                *bi = *ai - vi;
                *ar += vr;
                *ai += vi;
            }
    if (inverse)
        for (int k = 0; k < N; k++) {
            re[k] *= 1.0 / N;
            im[k] *= 1.0 / N;
        }
}

static uint64_t __attribute__((noinline)) mandel(double x0, double y0)
{
    uint64_t total = 0;
    for (int r = 0; r < 48; r++)
        for (int c = 0; c < 64; c++) {
            double cx = x0 + 3.0 * c / 64, cy = y0 + 2.4 * r / 48, x = 0, y = 0;
            int n = 0;
            while (n < 256 && x * x + y * y <= 4.0) {
                double t = x * x - y * y + cx;
                y = 2 * x * y + cy;
                x = t;
                n++;
            }
            total += (uint64_t)n;
        }
    return total;
}

int main(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            A[i][j] = rnd();
            B[i][j] = rnd() * (1.0 / 8);
            Af[i][j] = (float)rnd();
            Bf[i][j] = (float)rnd() * 0.125f;
        }
    /* twiddles by rotation: w(h, j+1) = w(h, j) * w(h, 1), w(h, 1) from halving angles */
    double c = -1, s = 0;                               /* exp(-i pi) */
    for (int h = 1; h < N; h <<= 1) {
        double wr = 1, wi = 0;
        for (int j = 0; j < h; j++) {
            twr[h + j] = wr;
            twi[h + j] = wi;
            double t = wr * c - wi * s;
            wi = wr * s + wi * c;
            wr = t;
        }
        s = -__builtin_sqrt((1 - c) / 2);              /* half the angle */
        c = __builtin_sqrt((1 + c) / 2);
    }
    for (int k = 0; k < N; k++) {
        re[k] = rnd();
        im[k] = rnd();
    }
    uint64_t h = 0, iters = 0;
    for (int round = 0; round < SCALE; round++) {
        matmul_d();
        matmul_f();
        fft(0);
        fft(1);
        iters += mandel(-2.2 + (round % 7) * 0.01, -1.2);
    }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            h = mix_f32(mix_f64(h, A[i][j]), Af[i][j]);
    for (int k = 0; k < N; k++)
        h = mix_f64(mix_f64(h, re[k]), im[k]);
    put_kv("fp_bench matrices and fft", h);
    puts("fp_bench mandelbrot iterations ");
    put_dec((int64_t)iters);
    putc('\n');
    put_fpsr("fp_bench fpsr");
    puts("fp_bench: done\n");
    return 0;
}
