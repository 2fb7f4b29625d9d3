/* Mandelbrot and Julia sets: the escape-time loop in double and float drawn as ASCII art,
   iteration counts over a finer grid folded into checksums, and a branch-free form (a fixed
   number of steps with the escaped points frozen by a select) that the vectoriser turns into
   compares and bit selects over whole vectors. Counts and final orbit points are printed. */
#include "fp.h"

#define W 72
#define H 24
#define GW 96
#define GH 64

static int escape_d(double cx, double cy, int limit)
{
    double x = 0, y = 0;
    int n = 0;
    while (n < limit && x * x + y * y <= 4.0) {
        double t = x * x - y * y + cx;
        y = 2 * x * y + cy;
        x = t;
        n++;
    }
    return n;
}

static int escape_f(float cx, float cy, int limit)
{
    float x = 0, y = 0;
    int n = 0;
    while (n < limit && x * x + y * y <= 4.0f) {
        float t = x * x - y * y + cx;
        y = 2 * x * y + cy;
        x = t;
        n++;
    }
    return n;
}

static void art(void)
{
    static const char shade[] = " .:-=+*#%@";
    for (int r = 0; r < H; r++) {
        double cy = 1.2 - 2.4 * r / (H - 1);
        char line[W + 2];
        for (int c = 0; c < W; c++) {
            double cx = -2.2 + 3.0 * c / (W - 1);
            int n = escape_d(cx, cy, 500);
            line[c] = n >= 500 ? '@' : shade[n % 9];
        }
        line[W] = '\n';
        line[W + 1] = 0;
        puts(line);
    }
}

/* The escape loop over a grid (double and float): a checksum of the counts and their sum. */
static void grid(const char *what, double x0, double y0, double span, int limit)
{
    uint64_t hd = 0, hf = 0, sd = 0, sf = 0;
    for (int r = 0; r < GH; r++)
        for (int c = 0; c < GW; c++) {
            double cx = x0 + span * c / GW, cy = y0 + span * r / GW;
            int nd = escape_d(cx, cy, limit), nf = escape_f((float)cx, (float)cy, limit);
            hd = mix(hd, (uint64_t)nd);
            hf = mix(hf, (uint64_t)nf);
            sd += (uint64_t)nd;
            sf += (uint64_t)nf;
        }
    puts(what);
    put_kv(" double counts", hd);
    puts(what);
    puts(" double total ");
    put_dec((int64_t)sd);
    putc('\n');
    puts(what);
    put_kv(" float counts", hf);
    puts(what);
    puts(" float total ");
    put_dec((int64_t)sf);
    putc('\n');
}

/* Branch-free: every point steps STEPS times; a point counts while |z|^2 <= 4 and keeps its
   last z once it has escaped. One row at a time, the points side by side. */
#define STEPS 48
static double zx[GW], zy[GW], pcx[GW];
static float fzx[GW], fzy[GW], fpcx[GW];
static int cnt[GW], fcnt[GW];

static void __attribute__((noinline)) row_d(double cy, double jx, double jy, int julia)
{
    for (int s = 0; s < STEPS; s++)
        for (int c = 0; c < GW; c++) {
            double x = zx[c], y = zy[c];
            double ax = julia ? jx : pcx[c], ay = julia ? jy : cy;
            double nx = x * x - y * y + ax, ny = 2 * x * y + ay;
            int in = x * x + y * y <= 4.0;
            cnt[c] += in;
            zx[c] = in ? nx : x;
            zy[c] = in ? ny : y;
        }
}

static void __attribute__((noinline)) row_f(float cy, float jx, float jy, int julia)
{
    for (int s = 0; s < STEPS; s++)
        for (int c = 0; c < GW; c++) {
            float x = fzx[c], y = fzy[c];
            float ax = julia ? jx : fpcx[c], ay = julia ? jy : cy;
            float nx = x * x - y * y + ax, ny = 2 * x * y + ay;
            int in = x * x + y * y <= 4.0f;
            fcnt[c] += in;
            fzx[c] = in ? nx : x;
            fzy[c] = in ? ny : y;
        }
}

static void branch_free(const char *what, int julia, double jx, double jy)
{
    uint64_t hc = 0, hz = 0, fc = 0, fz = 0;
    for (int r = 0; r < GH; r++) {
        double cy = -1.0 + 2.0 * r / GH;
        for (int c = 0; c < GW; c++) {
            pcx[c] = -2.0 + 2.5 * c / GW;
            fpcx[c] = (float)pcx[c];
            zx[c] = julia ? pcx[c] : 0;
            zy[c] = julia ? cy : 0;
            fzx[c] = (float)zx[c];
            fzy[c] = (float)zy[c];
            cnt[c] = fcnt[c] = 0;
        }
        row_d(cy, jx, jy, julia);
        row_f((float)cy, (float)jx, (float)jy, julia);
        for (int c = 0; c < GW; c++) {
            hc = mix(hc, (uint64_t)cnt[c]);
            hz = mix_f64(mix_f64(hz, zx[c]), zy[c]);
            fc = mix(fc, (uint64_t)fcnt[c]);
            fz = mix_f32(mix_f32(fz, fzx[c]), fzy[c]);
        }
    }
    puts(what);
    put_kv(" double counts", hc);
    puts(what);
    put_kv(" double orbits", hz);
    puts(what);
    put_kv(" float counts", fc);
    puts(what);
    put_kv(" float orbits", fz);
}

int main(void)
{
    art();
    put_fpsr("art fpsr");
    grid("whole", -2.2, -1.2, 3.2, 200);
    grid("seahorse", -0.7600, 0.0800, 0.0200, 200);
    put_fpsr("grid fpsr");
    branch_free("stepped mandelbrot", 0, 0, 0);
    branch_free("stepped julia", 1, -0.8, 0.156);
    put_fpsr("stepped fpsr");
    fpcr_set(FPCR_RMODE(2) | FPCR_FZ);
    branch_free("stepped julia rm fz", 1, -0.8, 0.156);
    grid("seahorse rm fz", -0.7600, 0.0800, 0.0200, 200);
    fpcr_set(0);
    put_fpsr("rm fz fpsr");
    puts("mandel: done\n");
    return 0;
}
